package edge

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"

	"github.com/corazawaf/coraza/v3/types"
)

// matchedRule is what the test hook sees of a matched rule.
type matchedRule struct {
	ID       int
	Message  string
	ErrorLog string
}

// serveWAF runs the request (and, when configured, response) phases of
// a transaction around next. The transaction is always logged and closed.
func (e *Edge) serveWAF(w http.ResponseWriter, r *http.Request, rc *requestContext, next http.Handler) {
	l := e.waf
	tx := l.waf.NewTransactionWithID(rc.id)
	defer func() {
		tx.ProcessLogging()
		if e.txHook != nil {
			var m []matchedRule
			for _, mr := range tx.MatchedRules() {
				m = append(m, matchedRule{ID: mr.Rule().ID(), Message: mr.Message(), ErrorLog: mr.ErrorLog()})
			}
			e.txHook(rc.id, m)
		}
		if err := tx.Close(); err != nil {
			e.log.Warn("edge: closing the WAF transaction failed", "request_id", rc.id, "err", err)
		}
	}()

	it, oversize, err := l.processRequest(tx, r, rc, l.reject && l.mode == ModeEnforce)
	if err != nil {
		e.log.Warn("edge: reading the request for the WAF failed", "request_id", rc.id, "err", err)
		refuse(w, http.StatusBadRequest, LayerWAF, rc.id, "could not read the request body", 0)
		return
	}
	if it != nil {
		status := http.StatusForbidden
		if it.Action == "deny" && it.Status >= 400 && it.Status <= 599 {
			status = it.Status
		}
		if e.wafBlock(w, r, rc, tx, chooseRule(tx, it.RuleID), status, "request refused by the web application firewall") {
			return
		}
	} else if oversize && l.reject {
		if e.wafBlock(w, r, rc, tx, "request-body-limit", http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the %d bytes the firewall inspects", l.bodyLimit)) {
			return
		}
	}
	// Upgraded connections (WebSocket) are handed over, not answered:
	// there is no response body to hold.
	if !l.response || tx.IsInterrupted() || r.Header.Get("Upgrade") != "" {
		next.ServeHTTP(w, r)
		return
	}
	rw := &wafResponseWriter{w: w, tx: tx, limit: l.respLimit, proto: r.Proto, enforce: l.mode == ModeEnforce}
	next.ServeHTTP(rw, r)
	if it, passed := rw.finish(); it != nil {
		msg := "response refused by the web application firewall"
		if passed {
			// Part of the response had left already: report only.
			e.report(r, rc, Block{Layer: LayerWAF, Rule: chooseRule(tx, it.RuleID), Status: http.StatusForbidden, Mode: l.mode,
				Message: msg + " after part of it was sent", MatchedRules: matchedIDs(tx)})
			return
		}
		if e.wafBlock(w, r, rc, tx, chooseRule(tx, it.RuleID), http.StatusForbidden, msg) {
			return
		}
		rw.flushHeld()
	}
}

// wafBlock reports an interruption and, in enforce mode, refuses the
// request; it returns true when it refused.
func (e *Edge) wafBlock(w http.ResponseWriter, r *http.Request, rc *requestContext, tx types.Transaction, rule string, status int, msg string) bool {
	mode := e.waf.mode
	e.report(r, rc, Block{Layer: LayerWAF, Rule: rule, Status: status, Mode: mode, Enforced: mode == ModeEnforce,
		Message: ruleMessage(tx, rule, msg), MatchedRules: matchedIDs(tx)})
	if mode != ModeEnforce {
		return false
	}
	h := w.Header()
	for k := range h {
		delete(h, k)
	}
	refuse(w, status, LayerWAF, rc.id, msg, 0)
	return true
}

// chooseRule names the rule to count a refusal under: the most severe
// detection rule that matched, the first of equals (the anomaly-score rule
// that interrupted says only that the score was reached, and a warning
// such as "Host header is a numeric IP" rarely says why), else the
// interrupting rule.
func chooseRule(tx types.Transaction, interrupting int) string {
	best, bestSev := -1, 99
	for _, mr := range tx.MatchedRules() {
		id := mr.Rule().ID()
		if isEvaluationRule(id) || mr.Message() == "" {
			continue
		}
		if sev := int(mr.Rule().Severity()); sev < bestSev {
			best, bestSev = id, sev
		}
	}
	if best >= 0 {
		return itoa(best)
	}
	return itoa(interrupting)
}

// ruleMessage is the message of the matched rule named rule (such as
// "SQL Injection Attack Detected via libinjection"), or fallback.
func ruleMessage(tx types.Transaction, rule, fallback string) string {
	for _, mr := range tx.MatchedRules() {
		if itoa(mr.Rule().ID()) == rule && mr.Message() != "" {
			return mr.Message()
		}
	}
	return fallback
}

func matchedIDs(tx types.Transaction) []int {
	var ids []int
	for _, mr := range tx.MatchedRules() {
		if mr.Message() != "" {
			ids = append(ids, mr.Rule().ID())
		}
	}
	return ids
}

// processRequest feeds the request to the transaction: connection, URI,
// headers and (when inspected) up to the body limit of the body, whose
// bytes are put back for next. oversize says the body was longer than
// the limit.
// With stopOversize an oversize body is not processed at all.
func (l *wafLayer) processRequest(tx types.Transaction, r *http.Request, rc *requestContext, stopOversize bool) (it *types.Interruption, oversize bool, err error) {
	clientPort := 0
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		clientPort = int(ap.Port())
	}
	serverIP, serverPort := "", 0
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			serverIP, serverPort = ap.Addr().Unmap().String(), int(ap.Port())
		}
	}
	client := ""
	if rc.clientIP.IsValid() {
		client = rc.clientIP.String()
	}
	tx.ProcessConnection(client, clientPort, serverIP, serverPort)
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	tx.ProcessURI(uri, r.Method, r.Proto)
	for k, vs := range r.Header {
		if k == RequestIDHeader {
			continue // set by the gateway, not the client
		}
		for _, v := range vs {
			tx.AddRequestHeader(k, v)
		}
	}
	// net/http moves Host and Transfer-Encoding out of the header map;
	// rules look at both.
	if r.Host != "" {
		tx.AddRequestHeader("Host", r.Host)
		tx.SetServerName(hostOnly(r.Host))
	}
	for _, te := range r.TransferEncoding {
		tx.AddRequestHeader("Transfer-Encoding", te)
	}
	if it := tx.ProcessRequestHeaders(); it != nil {
		return it, false, nil
	}
	if tx.IsRequestBodyAccessible() && r.Body != nil && r.Body != http.NoBody {
		buf, err := io.ReadAll(io.LimitReader(r.Body, l.bodyLimit))
		if err != nil {
			return nil, false, fmt.Errorf("read request body: %w", err)
		}
		var one [1]byte
		n, _ := io.ReadFull(r.Body, one[:])
		oversize = n == 1
		rest := r.Body
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), bytes.NewReader(one[:n]), rest), rest}
		if oversize && stopOversize {
			return nil, true, nil
		}
		// The extra byte of an oversize body tells the rules the body was
		// cut (see directives).
		if it, _, err := tx.WriteRequestBody(append(buf, one[:n]...)); err != nil {
			return nil, oversize, fmt.Errorf("buffer request body: %w", err)
		} else if it != nil {
			return it, oversize, nil
		}
	}
	it, err = tx.ProcessRequestBody()
	if err != nil {
		return nil, oversize, fmt.Errorf("process request body: %w", err)
	}
	return it, oversize, nil
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}
