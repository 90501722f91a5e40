package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// auditPageSize is how many records the audit page shows at once.
	auditPageSize = 50
	// auditChunk is how many records one API call reads (its most).
	auditChunk = 1000
	// auditMaxChunks bounds the reads of one page when filters match
	// little: the page then offers to look further back.
	auditMaxChunks = 20
)

type apiAuditRecord struct {
	Seq     int64             `json:"seq"`
	Time    time.Time         `json:"time"`
	Actor   string            `json:"actor"`
	Action  string            `json:"action"`
	Subject string            `json:"subject"`
	Data    map[string]string `json:"data"`
	Hash    string            `json:"hash"`
}

type apiAuditVerify struct {
	Verified bool   `json:"verified"`
	Records  int64  `json:"records"`
	Head     string `json:"head"`
	Error    string `json:"error"`
}

type auditFilter struct {
	Actor, Action, Subject string
}

func (af auditFilter) keep(a apiAuditRecord) bool {
	return (af.Actor == "" || a.Actor == af.Actor) && strings.HasPrefix(a.Action, af.Action)
}

type auditView struct {
	Verify  apiAuditVerify
	Filter  auditFilter
	Records []apiAuditRecord
	// Older is the link to the next, older page ("" at the start of the
	// trail); Newer is set when this is not the newest page.
	Older, Newer string
}

// auditPage shows the audit trail newest first, filtered by actor, action
// prefix and subject prefix, a page at a time, under the hash chain's
// verification. The API lists records oldest first after a sequence
// number, so the page reads back from the newest in windows of sequence
// numbers.
func (u *UI) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	var av auditView
	if err := u.getJSON(r, s, "/api/v1/audit/verify", &av.Verify); err != nil {
		u.fail(w, r, s, err)
		return
	}
	q := r.URL.Query()
	av.Filter = auditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Subject: strings.TrimSpace(q.Get("subject"))}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	read := func(after int64) ([]apiAuditRecord, string, error) {
		v := url.Values{"cursor": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(auditChunk)}}
		if av.Filter.Subject != "" {
			v.Set("subject", av.Filter.Subject)
		}
		var out struct {
			Items []apiAuditRecord `json:"items"`
			Next  string           `json:"next"`
		}
		err := u.getJSON(r, s, "/api/v1/audit?"+v.Encode(), &out)
		return out.Items, out.Next, err
	}
	hi := before
	if hi <= 0 {
		// The newest record: from the verified count on (records may have
		// been added since).
		hi = 1
		after := max(av.Verify.Records-1, 0)
		for range auditMaxChunks {
			items, next, err := read(after)
			if err != nil {
				u.fail(w, r, s, err)
				return
			}
			if n := len(items); n > 0 {
				hi = max(hi, items[n-1].Seq+1)
			}
			if next == "" {
				break
			}
			after, _ = strconv.ParseInt(next, 10, 64)
		}
		if av.Verify.Records >= hi {
			hi = av.Verify.Records + 1
		}
	} else {
		av.Newer = auditURL(av.Filter, 0)
	}
	lo := hi - 1
	for chunks := 0; len(av.Records) <= auditPageSize && lo > 0; chunks++ {
		if chunks == auditMaxChunks {
			break
		}
		lo = max(hi-1-auditChunk, 0)
		items, _, err := read(lo)
		if err != nil {
			u.fail(w, r, s, err)
			return
		}
		var got []apiAuditRecord
		for _, a := range items {
			if a.Seq < hi && av.Filter.keep(a) {
				got = append(got, a)
			}
		}
		slices.Reverse(got)
		av.Records = append(av.Records, got...)
		hi = lo + 1
	}
	switch {
	case len(av.Records) > auditPageSize:
		av.Records = av.Records[:auditPageSize]
		av.Older = auditURL(av.Filter, av.Records[auditPageSize-1].Seq)
	case lo > 0:
		// The filters matched little: look further back on request.
		av.Older = auditURL(av.Filter, lo+1)
	}
	u.page(w, r, s, http.StatusOK, "audit", "Audit trail", "audit", av)
}

// auditURL is the audit page with a filter, before a sequence number.
func auditURL(af auditFilter, before int64) string {
	v := url.Values{}
	for k, x := range map[string]string{"actor": af.Actor, "action": af.Action, "subject": af.Subject} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if len(v) == 0 {
		return "/audit"
	}
	return "/audit?" + v.Encode()
}
