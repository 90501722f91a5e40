package dast

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
)

// probe is one parameter of one endpoint under attack.
type probe struct {
	e        *endpoint
	p        param
	baseline *response
}

// attack runs the active checks on every parameter of every endpoint it
// is safe to attack, and the authentication check on secured GET
// operations. Parameters are attacked Concurrency at a time; the checks of
// one parameter run in order, so time measurements of one parameter never
// overlap each other.
func (s *state) attack(ctx context.Context, eps []*endpoint) {
	jobs := make(chan func(), s.opts.Concurrency)
	var wg sync.WaitGroup
	for range s.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if ctx.Err() == nil && !s.spent() {
					job()
				}
			}
		}()
	}
	for _, e := range eps {
		if e.Secured && e.Method == http.MethodGet {
			jobs <- func() { s.checkAuth(ctx, e) }
		}
		if !e.safe() {
			continue
		}
		for _, p := range e.Params {
			jobs <- func() { s.attackParam(ctx, e, p) }
		}
	}
	close(jobs)
	wg.Wait()
}

// spent reports whether the request budget ran out.
func (s *state) spent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.budgetHit
}

// attackParam runs every active check on one parameter.
func (s *state) attackParam(ctx context.Context, e *endpoint, p param) {
	base, err := s.sendParam(ctx, e, "", "")
	if err != nil {
		return
	}
	pr := &probe{e: e, p: p, baseline: base}
	s.checkXSS(ctx, pr)
	sqli := s.checkSQLError(ctx, pr)
	s.checkTraversal(ctx, pr)
	s.checkRedirect(ctx, pr)
	cmd := s.checkCommandEcho(ctx, pr)
	s.checkSSRF(ctx, pr)
	if !sqli {
		s.checkSQLTime(ctx, pr)
	}
	if !cmd {
		s.checkCommandTime(ctx, pr)
	}
}

// sendParam sends e with parameter name set to value ("" for benign
// values only). A failed request is recorded and returned as an error.
func (s *state) sendParam(ctx context.Context, e *endpoint, name, value string) (*response, error) {
	req, err := e.request(name, value)
	if err != nil {
		s.fail(e.display(), err)
		return nil, err
	}
	r, err := s.client.send(ctx, req, true)
	if err != nil {
		s.fail(e.display(), err)
		return nil, err
	}
	return r, nil
}

// report records a hit on pr's parameter with the payload and response.
func (s *state) reportProbe(pr *probe, id, payload string, r *response, evidence, message string) {
	s.report(hit{rule: id, method: pr.e.Method, url: pr.e.display(), param: pr.p.Name, payload: payload,
		request: r.Request, status: r.Status, evidence: evidence, message: message,
		extra: map[string]string{"parameter_in": pr.p.In}})
}

// marker returns a fresh random marker of 10 lowercase hex digits.
func marker() string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
