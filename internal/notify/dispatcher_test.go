package notify

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// outcome is one OnResult call.
type outcome struct {
	event, sender string
	attempt       int
	err           error
}

type recorder struct {
	mu  sync.Mutex
	got []outcome
}

func (r *recorder) onResult(e Event, sender string, attempt int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, outcome{e.ID, sender, attempt, err})
}

func (r *recorder) all() []outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func TestDispatcherRoutesByKindAndEnv(t *testing.T) {
	prod, deploys, all := newReceiver(t, "k"), newReceiver(t, "k"), newReceiver(t, "k")
	hook := func(name, url string) Sender {
		w, err := NewWebhook(WebhookConfig{Name: name, URL: url, Secret: NewSecret("k")})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	var rec recorder
	d, err := NewDispatcher(Options{
		Senders: []Sender{hook("prod", prod.URL), hook("deploys", deploys.URL), hook("all", all.URL)},
		Rules: []Rule{
			{Envs: []string{"prod"}, Sender: "prod"},
			{Kinds: []string{KindReleaseDeployed, KindReleaseRolledBack}, Sender: "deploys"},
			{Kinds: []string{KindReleaseDeployed}, Projects: []string{"shop"}, Sender: "deploys"}, // overlaps: still once
			{Sender: "all"},
		},
		OnResult: rec.onResult,
	})
	if err != nil {
		t.Fatal(err)
	}
	events := []Event{
		{ID: "a", Kind: KindRunFailed, Project: "shop", Env: "prod"},
		{ID: "b", Kind: KindReleaseDeployed, Project: "shop", Env: "staging"},
		{ID: "c", Kind: KindReleaseRolledBack, Project: "shop", Env: "prod"},
		{ID: "d", Kind: KindGateBlocked, Project: "api", Env: "dev"},
	}
	wantRoutes := [][]string{{"prod", "all"}, {"deploys", "all"}, {"prod", "deploys", "all"}, {"all"}}
	for i, ev := range events {
		if got := d.Route(ev); !slices.Equal(got, wantRoutes[i]) {
			t.Errorf("Route(%s) = %v, want %v", ev.ID, got, wantRoutes[i])
		}
		d.Notify(t.Context(), ev)
	}
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	ids := func(r *receiver) []string {
		var out []string
		for _, g := range r.deliveries() {
			if g.verifyErr != nil {
				t.Errorf("delivery %s not verified: %v", g.id, g.verifyErr)
			}
			out = append(out, g.id)
		}
		slices.Sort(out)
		return out
	}
	for name, tc := range map[string]struct {
		r    *receiver
		want []string
	}{"prod": {prod, []string{"a", "c"}}, "deploys": {deploys, []string{"b", "c"}}, "all": {all, []string{"a", "b", "c", "d"}}} {
		if got := ids(tc.r); !slices.Equal(got, tc.want) {
			t.Errorf("%s received %v, want %v", name, got, tc.want)
		}
	}
	if n := len(rec.all()); n != 8 {
		t.Errorf("%d results reported, want 8: %+v", n, rec.all())
	}
	for _, o := range rec.all() {
		if o.err != nil || o.attempt != 1 {
			t.Errorf("result %+v, want success on attempt 1", o)
		}
	}
}

// gateSender blocks every Send until released: a stuck destination.
type gateSender struct {
	name    string
	release chan struct{}
	mu      sync.Mutex
	sent    []string
}

func (g *gateSender) Name() string { return g.name }

func (g *gateSender) Send(ctx context.Context, e Event) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	g.sent = append(g.sent, e.ID)
	g.mu.Unlock()
	return nil
}

func TestDispatcherQueueFull(t *testing.T) {
	g := &gateSender{name: "stuck", release: make(chan struct{})}
	var rec recorder
	d, err := NewDispatcher(Options{Senders: []Sender{g}, Rules: []Rule{{Sender: "stuck"}},
		QueueSize: 2, Workers: 1, OnResult: rec.onResult})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, id := range []string{"1", "2", "3", "4"} {
		d.Notify(t.Context(), Event{ID: id, Kind: KindRunFailed})
	}
	if time.Since(start) > time.Second {
		t.Errorf("Notify blocked for %s on a full queue", time.Since(start))
	}
	full := rec.all()
	if len(full) != 2 {
		t.Fatalf("results before release: %+v, want two refusals", full)
	}
	for i, o := range full {
		if !errors.Is(o.err, ErrQueueFull) || o.attempt != 0 || o.sender != "stuck" || o.event != []string{"3", "4"}[i] {
			t.Errorf("refusal %+v, want ErrQueueFull for events 3 and 4", o)
		}
	}
	close(g.release)
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	slices.Sort(g.sent)
	if !slices.Equal(g.sent, []string{"1", "2"}) {
		t.Errorf("sent %v, want [1 2]", g.sent)
	}
	d.Notify(t.Context(), Event{ID: "5", Kind: KindRunFailed})
	if last := rec.all()[len(rec.all())-1]; !errors.Is(last.err, ErrClosed) || last.event != "5" {
		t.Errorf("Notify after Close reported %+v, want ErrClosed", last)
	}
}

func TestDispatcherCloseDrainsRetries(t *testing.T) {
	rcv := newReceiver(t, "k", 503, 200)
	var rec recorder
	d, err := NewDispatcher(Options{
		Senders: []Sender{newTestWebhook(t, rcv.URL, "k")}, Rules: []Rule{{Sender: "hook"}},
		Retry:    RetryPolicy{BaseDelay: 100 * time.Millisecond},
		OnResult: rec.onResult,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x", "y"} {
		ev := testEvent()
		ev.ID = id
		d.Notify(t.Context(), ev)
	}
	// Close right away: it must wait for the retry of the first event.
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ok []string
	for _, o := range rec.all() {
		if o.err == nil {
			ok = append(ok, o.event)
		}
	}
	slices.Sort(ok)
	if !slices.Equal(ok, []string{"x", "y"}) {
		t.Errorf("delivered before Close returned: %v (all results %+v)", ok, rec.all())
	}
}

func TestDispatcherCloseGivesUp(t *testing.T) {
	rcv := newReceiver(t, "k", 500)
	var rec recorder
	done := make(chan struct{})
	d, err := NewDispatcher(Options{
		Senders: []Sender{newTestWebhook(t, rcv.URL, "k")}, Rules: []Rule{{Sender: "hook"}},
		Retry: RetryPolicy{Attempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour},
		OnResult: func(e Event, s string, a int, err error) {
			rec.onResult(e, s, a, err)
			var re *RetryError
			if err != nil && !errors.As(err, &re) {
				close(done)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify(t.Context(), testEvent())
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = d.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the deadline", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Close took %s with a 300ms deadline", time.Since(start))
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned delivery was never reported")
	}
	got := rec.all()
	last := got[len(got)-1]
	if !errors.Is(last.err, context.Canceled) || last.attempt != 1 {
		t.Errorf("final result %+v, want abandoned after 1 attempt", last)
	}
}

func TestDispatcherInvalidEventsAndOptions(t *testing.T) {
	var rec recorder
	g := &gateSender{name: "g", release: make(chan struct{})}
	close(g.release)
	d, err := NewDispatcher(Options{Senders: []Sender{g}, Rules: []Rule{{Sender: "g"}}, OnResult: rec.onResult})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify(t.Context(), Event{Kind: KindRunFailed})
	d.Notify(t.Context(), Event{ID: "x", Kind: "run.exploded"})
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := rec.all()
	if len(got) != 2 || got[0].err == nil || got[1].err == nil || got[0].sender != "" || len(g.sent) != 0 {
		t.Errorf("invalid events: results %+v, sent %v", got, g.sent)
	}
	for _, o := range []Options{
		{Senders: []Sender{g, g}},
		{Senders: []Sender{g}, Rules: []Rule{{Sender: "nope"}}},
		{Senders: []Sender{g}, Rules: []Rule{{Kinds: []string{"run.fail"}, Sender: "g"}}},
		{Senders: []Sender{g}, Retry: RetryPolicy{Jitter: 2}},
		{Senders: []Sender{g}, Retry: RetryPolicy{BaseDelay: time.Minute, MaxDelay: time.Second}},
		{Senders: []Sender{g}, QueueSize: -1},
	} {
		if d, err := NewDispatcher(o); err == nil {
			_ = d.Close(t.Context())
			t.Errorf("NewDispatcher accepted %+v", o)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	p, err := RetryPolicy{BaseDelay: time.Second, MaxDelay: 10 * time.Second, Jitter: -1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := p.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := p.Delay(1000); got != 10*time.Second {
		t.Errorf("Delay(1000) = %s", got)
	}
	p.Jitter = 0.5
	for range 100 {
		if d := p.Delay(3); d < 2*time.Second || d > 4*time.Second {
			t.Fatalf("jittered Delay(3) = %s, want within [2s, 4s]", d)
		}
	}
}
