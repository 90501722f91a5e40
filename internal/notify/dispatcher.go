package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// Options configures a [Dispatcher].
type Options struct {
	// Senders are the destinations, each with a unique Name.
	Senders []Sender
	// Rules route events to senders by name; an event goes to each
	// matching sender once, however many rules match.
	Rules []Rule
	// Retry is the retry policy; zero fields take DefaultRetry's.
	Retry RetryPolicy
	// QueueSize bounds the deliveries accepted and not yet finished
	// (queued, being sent or waiting to retry); default 1000.
	QueueSize int
	// Workers is how many deliveries are sent at once; default 4.
	Workers int
	// AttemptTimeout bounds each Send; default 30s.
	AttemptTimeout time.Duration
	// OnResult, when set, is called after every attempt, from the
	// dispatcher's goroutines (it must be safe for concurrent use and
	// should return quickly). err is nil for a delivery; a *RetryError
	// for a failure that will be retried; any other error is final:
	// permanent, attempts exhausted, abandoned at Close, ErrQueueFull or
	// ErrClosed (attempt 0: never tried), or an invalid event (sender "").
	OnResult func(e Event, sender string, attempt int, err error)
	// Logger receives one line per attempt; default slog.Default().
	Logger *slog.Logger
}

// Dispatcher routes events to senders and delivers them in the background
// with retries. Its methods are safe for concurrent use.
type Dispatcher struct {
	senders  map[string]Sender
	rules    []Rule
	retry    RetryPolicy
	timeout  time.Duration
	onResult func(Event, string, int, error)
	log      *slog.Logger

	ctx    context.Context // cancelled when Close gives up
	cancel context.CancelFunc
	queue  chan *job

	mu      sync.Mutex
	pending int  // accepted and not finished
	closed  bool // Close was called
	drained chan struct{}
	once    sync.Once
	workers sync.WaitGroup
}

// job is one event on its way to one sender.
type job struct {
	ctx     context.Context // the caller's values, never its cancellation
	ev      Event
	sender  Sender
	attempt int // attempts made
}

// NewDispatcher checks opts and starts the workers; call Close to stop them.
func NewDispatcher(opts Options) (*Dispatcher, error) {
	retry, err := opts.Retry.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	d := &Dispatcher{
		senders: map[string]Sender{}, rules: opts.Rules, retry: retry,
		timeout: opts.AttemptTimeout, onResult: opts.OnResult, log: opts.Logger,
		drained: make(chan struct{}),
	}
	for _, s := range opts.Senders {
		if s == nil || s.Name() == "" {
			return nil, errors.New("notifications: a sender is nil or has no name")
		}
		if _, dup := d.senders[s.Name()]; dup {
			return nil, fmt.Errorf("notifications: two senders are named %q: names must be unique", s.Name())
		}
		d.senders[s.Name()] = s
	}
	for i, r := range opts.Rules {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("notifications: rules[%d]: %w", i, err)
		}
		if _, ok := d.senders[r.Sender]; !ok {
			return nil, fmt.Errorf("notifications: rules[%d]: no sender named %q", i, r.Sender)
		}
	}
	size, workers := opts.QueueSize, opts.Workers
	if size == 0 {
		size = 1000
	}
	if workers == 0 {
		workers = 4
	}
	if size < 1 || workers < 1 || opts.AttemptTimeout < 0 {
		return nil, fmt.Errorf("notifications: queue size %d, workers %d, attempt timeout %s: want positive values", size, workers, opts.AttemptTimeout)
	}
	if d.timeout == 0 {
		d.timeout = 30 * time.Second
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.queue = make(chan *job, size)
	d.workers.Add(workers)
	for range workers {
		go d.work()
	}
	return d, nil
}

// Route returns the names of the senders e goes to, in rule order.
func (d *Dispatcher) Route(e Event) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range d.rules {
		if r.Matches(e) && !seen[r.Sender] {
			seen[r.Sender] = true
			names = append(names, r.Sender)
		}
	}
	return names
}

// Notify accepts e for delivery to every sender its rules pick and returns
// at once; outcomes arrive through OnResult. ctx lends its values (trace
// ids, say) to the deliveries but not its cancellation: a delivery outlives
// the request that caused it and ends only when it succeeds, fails for
// good, or Close gives up. A zero Time is set to now. When the queue is
// full the delivery is dropped and ErrQueueFull reported.
func (d *Dispatcher) Notify(ctx context.Context, e Event) {
	if ctx == nil {
		ctx = context.Background()
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Fields = maps.Clone(e.Fields) // the caller may reuse its map
	if err := e.Validate(); err != nil {
		d.report(e, "", 0, fmt.Errorf("notify: %w", err))
		return
	}
	type refusal struct {
		name string
		err  error
	}
	var refused []refusal
	d.mu.Lock()
	for _, name := range d.Route(e) {
		switch {
		case d.closed:
			refused = append(refused, refusal{name, ErrClosed})
		case d.pending >= cap(d.queue):
			refused = append(refused, refusal{name, ErrQueueFull})
		default:
			d.pending++
			// pending bounds the queue's length, so this never blocks.
			d.queue <- &job{ctx: context.WithoutCancel(ctx), ev: e, sender: d.senders[name]}
		}
	}
	d.mu.Unlock()
	for _, r := range refused {
		d.report(e, r.name, 0, fmt.Errorf("notify event %s via %s: %w", e.ID, r.name, r.err))
	}
}

// Close stops accepting events and waits until every accepted delivery has
// finished, retries included. When ctx ends first it cancels what is still
// running or waiting, whose results are then reported as abandoned, and
// returns ctx's error; those reports may arrive just after Close returns.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	if d.pending == 0 {
		d.once.Do(func() { close(d.drained) })
	}
	d.mu.Unlock()
	select {
	case <-d.drained:
		d.workers.Wait()
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		d.mu.Lock()
		n := d.pending
		d.mu.Unlock()
		return fmt.Errorf("close notifications: gave up with %d deliveries unfinished: %w", n, ctx.Err())
	}
}

func (d *Dispatcher) work() {
	defer d.workers.Done()
	for {
		select {
		case j := <-d.queue:
			d.attempt(j)
		case <-d.drained:
			return
		}
	}
}

// attempt makes one try of j and decides what follows.
func (d *Dispatcher) attempt(j *job) {
	name := j.sender.Name()
	if err := d.ctx.Err(); err != nil {
		d.finish(j, fmt.Errorf("notify event %s via %s: abandoned at close: %w", j.ev.ID, name, err))
		return
	}
	j.attempt++
	ctx, cancel := context.WithTimeout(j.ctx, d.timeout)
	stop := context.AfterFunc(d.ctx, cancel)
	err := safeSend(ctx, j.sender, j.ev)
	stop()
	cancel()
	if err == nil || IsPermanent(err) || j.attempt >= d.retry.Attempts || d.ctx.Err() != nil {
		d.finish(j, err)
		return
	}
	delay := d.retry.Delay(j.attempt)
	d.report(j.ev, name, j.attempt, &RetryError{Err: err, Delay: delay})
	go func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			// j still counts in pending, so there is room.
			d.queue <- j
		case <-d.ctx.Done():
			d.finish(j, fmt.Errorf("notify event %s via %s: abandoned at close (%w) after %d attempts, last error: %w", j.ev.ID, name, d.ctx.Err(), j.attempt, err))
		}
	}()
}

// finish reports j's final outcome and releases its place in the queue.
func (d *Dispatcher) finish(j *job, err error) {
	d.report(j.ev, j.sender.Name(), j.attempt, err)
	d.mu.Lock()
	d.pending--
	if d.closed && d.pending == 0 {
		d.once.Do(func() { close(d.drained) })
	}
	d.mu.Unlock()
}

func (d *Dispatcher) report(e Event, sender string, attempt int, err error) {
	attrs := []any{"event", e.ID, "kind", e.Kind, "sender", sender, "attempt", attempt}
	for _, kv := range [][2]string{{"project", e.Project}, {"run", e.Run}, {"release", e.Release}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	if err == nil {
		d.log.Debug("notification delivered", attrs...)
	} else {
		d.log.Warn("notification failed", append(attrs, "err", err.Error())...)
	}
	if d.onResult != nil {
		d.onResult(e, sender, attempt, err)
	}
}

// safeSend turns a panicking sender into a permanent error.
func safeSend(ctx context.Context, s Sender, e Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("sender %s panicked: %v", s.Name(), r))
		}
	}()
	return s.Send(ctx, e)
}
