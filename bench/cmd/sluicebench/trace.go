package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// A trace is a text file of tab-separated lines, one event each, times in
// Unix nanoseconds:
//
//	R start end status release   a request (status 0: no answer)
//	T seen written generation weights
//	                             a routing table (weights: id=w,id=w; "-" none)
//	M time label                 a mark the benchmark script wrote (free text)
//
// The script appends its marks (printf 'M\t%s\t%s\n' "$(date +%s%N)" …)
// to a file of its own; report reads any number of files.

// request is one request the load generator sent.
type request struct {
	Start, End int64 // Unix ns
	Status     int   // 0: transport error, no answer
	Release    string
}

// failed says whether the client saw a failure: no answer or a 5xx.
func (r request) failed() bool { return r.Status == 0 || r.Status >= 500 }

// table is one routing table seen in the gateway's folder.
type table struct {
	Seen, Written int64 // when the poller saw it; the file's modification time
	Generation    int64
	Weights       map[string]int // release id → weight of the watched environment
}

// mark is a point in time the script labelled.
type mark struct {
	Time  int64
	Label string
}

// traceOptions configure a trace run.
type traceOptions struct {
	URL     string
	Workers int
	Pause   time.Duration
	Timeout time.Duration
	// Routes is the gateway's routing table file and Env the environment
	// whose weights are recorded; empty: no table is watched.
	Routes, Env string
	// Poll is how often the table file is checked.
	Poll time.Duration
}

func cmdTrace(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	var o traceOptions
	fs.StringVar(&o.URL, "url", "", "URL to GET")
	out := fs.String("out", "", "trace file to write when stopped")
	fs.StringVar(&o.Routes, "routes", "", "routing table file to watch (the gateway's routes.json)")
	fs.StringVar(&o.Env, "env", "", "environment of the routing table to record")
	fs.IntVar(&o.Workers, "workers", 8, "concurrent clients")
	fs.DurationVar(&o.Pause, "pause", 10*time.Millisecond, "pause of each client between requests")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "bound of one request")
	dur := fs.Duration("for", 0, "stop after this long (0: at SIGINT or SIGTERM)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.URL == "" || *out == "" {
		return fmt.Errorf("%w: trace needs --url and --out", errUsage)
	}
	if (o.Routes == "") != (o.Env == "") {
		return fmt.Errorf("%w: trace needs both --routes and --env, or neither", errUsage)
	}
	if o.Workers < 1 {
		return fmt.Errorf("%w: --workers must be 1 or more", errUsage)
	}
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	reqs, tables := runTrace(ctx, o)
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("write the trace: %w", err)
	}
	if err := writeTrace(f, reqs, tables); err != nil {
		f.Close()
		return fmt.Errorf("write the trace %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the trace %s: %w", *out, err)
	}
	failed := 0
	for _, r := range reqs {
		if r.failed() {
			failed++
		}
	}
	fmt.Fprintf(stderr, "trace: %d requests, %d failed, %d routing tables\n", len(reqs), failed, len(tables))
	return nil
}

// runTrace sends load and watches the routing table until ctx ends, and
// returns every request that finished (sorted by start) and every table.
func runTrace(ctx context.Context, o traceOptions) ([]request, []table) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Millisecond
	}
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: o.Workers}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	per := make([][]request, o.Workers)
	for i := range o.Workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if r, ok := one(ctx, client, o.URL); ok {
					per[i] = append(per[i], r)
				}
				if o.Pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(o.Pause):
					}
				}
			}
		})
	}
	var tables []table
	if o.Routes != "" {
		wg.Go(func() { tables = watchTable(ctx, o.Routes, o.Env, o.Poll) })
	}
	wg.Wait()
	var all []request
	for _, p := range per {
		all = append(all, p...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Start < all[j].Start })
	return all, tables
}

// one sends one request; ok is false when the run stopped during it (that
// is not the target's failure).
func one(ctx context.Context, client *http.Client, url string) (request, bool) {
	r := request{Start: time.Now().UnixNano()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return r, false
	}
	res, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	r.End = time.Now().UnixNano()
	if ctx.Err() != nil {
		return r, false
	}
	if res != nil && err == nil {
		r.Status = res.StatusCode
		r.Release = res.Header.Get("X-Sluice-Release")
	}
	return r, true
}

// watchTable polls the routing table file and records every new
// generation with env's weights, until ctx ends.
func watchTable(ctx context.Context, path, env string, every time.Duration) []table {
	var (
		out  []table
		last struct {
			mod  time.Time
			size int64
			ino  uint64
		}
		gen int64 = -1
	)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if fi, err := os.Stat(path); err == nil {
			var ino uint64
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				ino = st.Ino
			}
			if !fi.ModTime().Equal(last.mod) || fi.Size() != last.size || ino != last.ino {
				last.mod, last.size, last.ino = fi.ModTime(), fi.Size(), ino
				if tb, err := readTable(path, env); err == nil && tb.Generation != gen {
					gen = tb.Generation
					tb.Seen, tb.Written = time.Now().UnixNano(), fi.ModTime().UnixNano()
					out = append(out, tb)
				}
			}
		}
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
	}
}

// readTable reads a routing table file and env's weights in it.
func readTable(path, env string) (table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return table{}, err
	}
	var rt route.Table
	if err := json.Unmarshal(data, &rt); err != nil {
		return table{}, fmt.Errorf("read routing table %s: %w", path, err)
	}
	tb := table{Generation: rt.Generation, Weights: map[string]int{}}
	if e := rt.Environments[env]; e != nil {
		for _, r := range e.Releases {
			tb.Weights[r.ID] = r.Weight
		}
	}
	return tb, nil
}

// writeTrace writes requests and tables in the trace format.
func writeTrace(w io.Writer, reqs []request, tables []table) error {
	bw := bufio.NewWriter(w)
	for _, t := range tables {
		fmt.Fprintf(bw, "T\t%d\t%d\t%d\t%s\n", t.Seen, t.Written, t.Generation, formatWeights(t.Weights))
	}
	for _, r := range reqs {
		rel := r.Release
		if rel == "" {
			rel = "-"
		}
		fmt.Fprintf(bw, "R\t%d\t%d\t%d\t%s\n", r.Start, r.End, r.Status, rel)
	}
	return bw.Flush()
}

func formatWeights(ws map[string]int) string {
	if len(ws) == 0 {
		return "-"
	}
	ids := make([]string, 0, len(ws))
	for id := range ws {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%s=%d", id, ws[id])
	}
	return strings.Join(parts, ",")
}

// trace is everything read from trace files.
type trace struct {
	Requests []request
	Tables   []table
	Marks    []mark
}

// readTraces reads and merges trace files; requests come out sorted by
// start, tables by write time, marks by time.
func readTraces(paths []string) (*trace, error) {
	tr := &trace{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("read trace: %w", err)
		}
		err = parseTrace(f, tr)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read trace %s: %w", p, err)
		}
	}
	sort.Slice(tr.Requests, func(i, j int) bool { return tr.Requests[i].Start < tr.Requests[j].Start })
	sort.SliceStable(tr.Tables, func(i, j int) bool { return tr.Tables[i].Written < tr.Tables[j].Written })
	sort.SliceStable(tr.Marks, func(i, j int) bool { return tr.Marks[i].Time < tr.Marks[j].Time })
	return tr, nil
}

// parseTrace adds the events of one file to tr.
func parseTrace(r io.Reader, tr *trace) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		var err error
		switch {
		case f[0] == "R" && len(f) == 5:
			var q request
			_, err = fmt.Sscan(f[1]+" "+f[2]+" "+f[3], &q.Start, &q.End, &q.Status)
			if q.Release = f[4]; q.Release == "-" {
				q.Release = ""
			}
			tr.Requests = append(tr.Requests, q)
		case f[0] == "T" && len(f) == 5:
			t := table{Weights: map[string]int{}}
			if _, err = fmt.Sscan(f[1]+" "+f[2]+" "+f[3], &t.Seen, &t.Written, &t.Generation); err == nil {
				err = parseWeights(f[4], t.Weights)
			}
			tr.Tables = append(tr.Tables, t)
		case f[0] == "M" && len(f) >= 3:
			var m mark
			_, err = fmt.Sscan(f[1], &m.Time)
			m.Label = strings.Join(f[2:], "\t")
			tr.Marks = append(tr.Marks, m)
		default:
			err = errors.New("not an R, T or M line with its fields")
		}
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
	}
	return sc.Err()
}

func parseWeights(s string, into map[string]int) error {
	if s == "-" {
		return nil
	}
	for _, kv := range strings.Split(s, ",") {
		id, w, ok := strings.Cut(kv, "=")
		if !ok || id == "" {
			return fmt.Errorf("weight %q is not id=weight", kv)
		}
		var n int
		if _, err := fmt.Sscan(w, &n); err != nil {
			return fmt.Errorf("weight %q: %v", kv, err)
		}
		into[id] = n
	}
	return nil
}
