package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// runsPageSize is how many runs the runs page lists at once.
const runsPageSize = 50

type runsView struct {
	Runs []apiRun
	// Older is the link to the next page ("" at the end); Newer is set
	// when this is not the first page.
	Older, Newer string
}

// runsPage lists the runs the key may read, newest first, a page at a
// time through the API's cursor.
func (u *UI) runsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := url.Values{"limit": {strconv.Itoa(runsPageSize)}}
	cursor := r.URL.Query().Get("cursor")
	if n, err := strconv.ParseInt(cursor, 10, 64); err == nil && n > 0 {
		q.Set("cursor", cursor)
	}
	var page apiRunPage
	if err := u.getJSON(r, s, "/api/v1/runs?"+q.Encode(), &page); err != nil {
		u.fail(w, r, s, err)
		return
	}
	rv := runsView{Runs: page.Items}
	if page.Next != "" {
		rv.Older = "/runs?" + url.Values{"cursor": {page.Next}}.Encode()
	}
	if q.Get("cursor") != "" {
		rv.Newer = "/runs"
	}
	u.page(w, r, s, http.StatusOK, "runs", "Runs", "runs", rv)
}
