package notify

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrQueueFull is reported through OnResult when Notify finds the
// dispatcher's queue full; the delivery is dropped, not retried.
var ErrQueueFull = errors.New("notification queue is full: raise queue_size or fix the failing senders")

// ErrClosed is reported through OnResult for events passed to Notify after
// Close.
var ErrClosed = errors.New("notification dispatcher is closed")

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the [Dispatcher] does not retry it; a custom
// [Sender] uses it for failures such as a rejected request or a bad address.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// [Permanent].
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// RetryError is what OnResult receives for a failed attempt that will be
// retried: Err is the attempt's error and Delay the wait before the next
// attempt. Any other non-nil error reported through OnResult is final.
type RetryError struct {
	Err   error
	Delay time.Duration
}

// Error describes the failure and when the next attempt follows.
func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retrying in %s)", e.Err, e.Delay.Round(time.Millisecond))
}

// Unwrap returns the attempt's error.
func (e *RetryError) Unwrap() error { return e.Err }

// StatusError is returned by the HTTP senders when the receiver answers
// with a status other than 2xx. Responses 4xx other than 408 and 429 are
// also marked [Permanent].
type StatusError struct {
	Code int
	// Body is the start of the response body, for the operator.
	Body string
}

// Error names the status and what the receiver said.
func (e *StatusError) Error() string {
	body := strings.TrimSpace(e.Body)
	if body == "" {
		return fmt.Sprintf("receiver answered HTTP %d", e.Code)
	}
	return fmt.Sprintf("receiver answered HTTP %d: %s", e.Code, body)
}

func statusError(code int, body string) error {
	err := &StatusError{Code: code, Body: body}
	if code >= 400 && code < 500 && code != 408 && code != 429 {
		return Permanent(err)
	}
	return err
}
