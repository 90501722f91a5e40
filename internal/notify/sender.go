package notify

import "context"

// Sender delivers one event to one destination, once: retries are the
// [Dispatcher]'s. Send must honour ctx and return an error marked
// [Permanent] when retrying cannot help. Implementations must be safe for
// concurrent use.
type Sender interface {
	// Name is the name rules use to pick the sender.
	Name() string
	// Send delivers e once.
	Send(ctx context.Context, e Event) error
}
