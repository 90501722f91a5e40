package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Marks the benchmark script writes around each deploy command:
//
//	deploy-start NAME
//	deploy-end NAME EXIT-STATUS
const (
	markDeployStart = "deploy-start"
	markDeployEnd   = "deploy-end"
)

func cmdReport(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: report needs a kind: switches or rollback", errUsage)
	}
	switch args[0] {
	case "switches":
		fs := flag.NewFlagSet("report switches", flag.ContinueOnError)
		name := fs.String("name", "blue-green switches", "scenario name in the table")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		tr, err := readReportInput(fs.Args())
		if err != nil {
			return err
		}
		return writeRows(stdout, *name, switchRows(analyzeSwitches(tr)))
	case "rollback":
		fs := flag.NewFlagSet("report rollback", flag.ContinueOnError)
		name := fs.String("name", "rollback", "scenario name in the table")
		after := fs.String("after", "", "label of the mark after which the bad release is deployed")
		interval := fs.Duration("interval", 0, "judging interval: the target is interval + 1s")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *after == "" {
			return fmt.Errorf("%w: report rollback needs --after LABEL", errUsage)
		}
		tr, err := readReportInput(fs.Args())
		if err != nil {
			return err
		}
		rb, err := analyzeRollback(tr, *after)
		if err != nil {
			return err
		}
		return writeRows(stdout, *name, rollbackRows(rb, *interval))
	}
	return fmt.Errorf("%w: unknown report %q (want switches or rollback)", errUsage, args[0])
}

func readReportInput(paths []string) (*trace, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: name the trace files to report on", errUsage)
	}
	return readTraces(paths)
}

// deploy is one deploy command the script timed.
type deploy struct {
	Name       string
	Start, End int64
	Exit       int
}

// deploys pairs deploy-start and deploy-end marks by name.
func deploys(marks []mark) []deploy {
	var out []deploy
	open := map[string]int{}
	for _, m := range marks {
		f := strings.Fields(m.Label)
		switch {
		case len(f) == 2 && f[0] == markDeployStart:
			open[f[1]] = len(out)
			out = append(out, deploy{Name: f[1], Start: m.Time, End: -1})
		case len(f) == 3 && f[0] == markDeployEnd:
			if i, ok := open[f[1]]; ok {
				out[i].End = m.Time
				out[i].Exit, _ = strconv.Atoi(f[2])
				delete(open, f[1])
			}
		}
	}
	done := out[:0]
	for _, d := range out {
		if d.End >= 0 {
			done = append(done, d)
		}
	}
	return done
}

// top returns the release with all the traffic of a table ("" when the
// traffic is split or there is none).
func top(t table) string {
	for id, w := range t.Weights {
		if w == 100 {
			return id
		}
	}
	return ""
}

// written is when a table was written: the file's modification time, or
// when it was seen if the time is missing or later (clock oddities).
func written(t table) int64 {
	if t.Written <= 0 || t.Written > t.Seen {
		return t.Seen
	}
	return t.Written
}

// switchResult is one switch of all traffic from one release to another.
type switchResult struct {
	From, To string
	At       int64 // table written
	// FirstNew is the end of the first response from To; LastOld the
	// start of the last request To's predecessor received. -1: none.
	FirstNew, LastOld int64
}

// switchesResult is what analyzeSwitches found.
type switchesResult struct {
	Switches         []switchResult
	Deploys          []deploy
	Requests, Failed int
}

// analyzeSwitches finds every switch of all traffic between releases and
// times the first response of the new release and the last request to the
// old one against the table's write.
func analyzeSwitches(tr *trace) switchesResult {
	var res switchesResult
	// Only the deploys made while the load ran: the switches under load.
	if n := len(tr.Requests); n > 0 {
		lo, hi := tr.Requests[0].Start, tr.Requests[n-1].Start
		for _, d := range deploys(tr.Marks) {
			if d.Start >= lo && d.End <= hi {
				res.Deploys = append(res.Deploys, d)
			}
		}
	}
	first := map[string]int64{}
	lastStart := map[string]int64{}
	for _, r := range tr.Requests {
		res.Requests++
		if r.failed() {
			res.Failed++
		}
		if r.Release == "" {
			continue
		}
		if v, ok := first[r.Release]; !ok || r.End < v {
			first[r.Release] = r.End
		}
		if r.Start > lastStart[r.Release] {
			lastStart[r.Release] = r.Start
		}
	}
	for i := 1; i < len(tr.Tables); i++ {
		from, to := top(tr.Tables[i-1]), top(tr.Tables[i])
		if from == "" || to == "" || from == to {
			continue
		}
		s := switchResult{From: from, To: to, At: written(tr.Tables[i]), FirstNew: -1, LastOld: -1}
		if v, ok := first[to]; ok {
			s.FirstNew = v
		}
		if v, ok := lastStart[from]; ok {
			s.LastOld = v
		}
		res.Switches = append(res.Switches, s)
	}
	return res
}

// rollbackResult is what analyzeRollback found about a bad release.
type rollbackResult struct {
	Bad string
	// On and Off are when the tables giving the bad release weight and
	// taking it away were written (Off -1: never); Weight the most it had.
	On, Off int64
	Weight  int
	// Served are the responses from the bad release, Errors the 5xx among
	// them; First, FirstError and Last the ends of its first, first 5xx
	// and last responses.
	Served, Errors          int
	First, FirstError, Last int64
	// Window counts all responses that ended between First and Last.
	Window int
	// Requests and Failed count the whole trace.
	Requests, Failed int
	Deploy           *deploy
}

// analyzeRollback finds the release first given traffic after the mark
// labelled after, and measures how long and how much it served.
func analyzeRollback(tr *trace, after string) (rollbackResult, error) {
	res := rollbackResult{Off: -1, First: -1, FirstError: -1, Last: -1}
	at := int64(-1)
	for _, m := range tr.Marks {
		if m.Label == after {
			at = m.Time
			break
		}
	}
	if at < 0 {
		return res, fmt.Errorf("no mark %q in the trace files: the script writes one before deploying the bad release", after)
	}
	known := map[string]bool{}
	for _, t := range tr.Tables {
		if written(t) >= at {
			if res.Bad == "" {
				for id, w := range t.Weights {
					if w > 0 && !known[id] && (res.Bad == "" || id < res.Bad) {
						res.Bad = id
					}
				}
				if res.Bad != "" {
					res.On = written(t)
				}
			}
			if res.Bad != "" {
				if w := t.Weights[res.Bad]; w > res.Weight {
					res.Weight = w
				} else if w == 0 && res.Off < 0 {
					res.Off = written(t)
				}
			}
			continue
		}
		for id, w := range t.Weights {
			if w > 0 {
				known[id] = true
			}
		}
	}
	if res.Bad == "" {
		return res, fmt.Errorf("no new release got traffic after mark %q: did the deploy reach the switch?", after)
	}
	for _, r := range tr.Requests {
		res.Requests++
		if r.failed() {
			res.Failed++
		}
		if r.Release != res.Bad {
			continue
		}
		res.Served++
		if res.First < 0 || r.End < res.First {
			res.First = r.End
		}
		if r.End > res.Last {
			res.Last = r.End
		}
		if r.Status >= 500 {
			res.Errors++
			if res.FirstError < 0 || r.End < res.FirstError {
				res.FirstError = r.End
			}
		}
	}
	for _, r := range tr.Requests {
		if res.First >= 0 && r.End >= res.First && r.End <= res.Last {
			res.Window++
		}
	}
	for _, d := range deploys(tr.Marks) {
		if d.Start >= at-int64(time.Second) {
			res.Deploy = &d
			break
		}
	}
	return res, nil
}

// row is one line of the printed table.
type row struct{ Figure, Value, Target string }

func switchRows(s switchesResult) []row {
	var walls, toFirst, oldTail []float64
	for _, d := range s.Deploys {
		walls = append(walls, float64(d.End-d.Start)/1e9)
	}
	missing := 0
	for _, sw := range s.Switches {
		if sw.FirstNew < 0 {
			missing++
			continue
		}
		toFirst = append(toFirst, float64(sw.FirstNew-sw.At)/1e6)
		if sw.LastOld >= 0 {
			oldTail = append(oldTail, float64(sw.LastOld-sw.At)/1e6)
		}
	}
	failedDeploys := 0
	for _, d := range s.Deploys {
		if d.Exit != 0 {
			failedDeploys++
		}
	}
	rows := []row{
		{"switches measured (deploys that failed)", fmt.Sprintf("%d (%d)", len(s.Switches), failedDeploys), ""},
		{"failed requests (no answer or 5xx) of all sent", fmt.Sprintf("%d of %d", s.Failed, s.Requests), "0"},
		{"deploy command wall time, mean (min-max)", spread(walls, "s", 2), ""},
		{"table written -> first response from new release, mean (max)", meanMax(toFirst, "ms", 0), "the gateway polls every 100 ms"},
		{"table written -> last request sent to old release, mean (max)", meanMax(oldTail, "ms", 0), ""},
	}
	if missing > 0 {
		rows = append(rows, row{"switches whose new release never answered", strconv.Itoa(missing), "0"})
	}
	return rows
}

func rollbackRows(r rollbackResult, interval time.Duration) []row {
	secs := func(a, b int64) string {
		if a < 0 || b < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f s", float64(b-a)/1e9)
	}
	target := ""
	if interval > 0 {
		limit := interval + time.Second
		verdict := "met"
		if r.First < 0 || time.Duration(r.Last-r.First) > limit {
			verdict = "MISSED"
		}
		target = fmt.Sprintf("<= %s (%s + 1 s): %s", fmtDur(limit), fmtDur(interval), verdict)
	}
	share := "n/a"
	if r.Window > 0 {
		share = fmt.Sprintf("%.1f %% of %d responses in that time; its weight was %d %%", 100*float64(r.Served)/float64(r.Window), r.Window, r.Weight)
	}
	rows := []row{
		{"first -> last response from the bad release", secs(r.First, r.Last), target},
		{"first 5xx -> last response from the bad release", secs(r.FirstError, r.Last), ""},
		{"table giving it traffic -> table taking it away", secs(r.On, r.Off), ""},
		{"responses from the bad release (5xx among them)", fmt.Sprintf("%d (%d)", r.Served, r.Errors), ""},
		{"bad release's share while it served", share, ""},
		{"failed requests (no answer or 5xx) of all sent", fmt.Sprintf("%d of %d", r.Failed, r.Requests), "the bad release's 5xx only"},
	}
	if d := r.Deploy; d != nil {
		rows = append(rows, row{"deploy command: exit status, wall time", fmt.Sprintf("%d, %.2f s", d.Exit, float64(d.End-d.Start)/1e9), "1 (rolled back)"})
	}
	return rows
}

// writeRows prints rows as Markdown table lines under scenario name.
func writeRows(w io.Writer, name string, rows []row) error {
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, r.Figure, r.Value, r.Target); err != nil {
			return err
		}
	}
	return nil
}

func meanMax(xs []float64, unit string, prec int) string {
	if len(xs) == 0 {
		return "n/a"
	}
	sum, hi := 0.0, math.Inf(-1)
	for _, x := range xs {
		sum += x
		hi = math.Max(hi, x)
	}
	return fmt.Sprintf("%.*f %s (%.*f %s)", prec, sum/float64(len(xs)), unit, prec, hi, unit)
}

func spread(xs []float64, unit string, prec int) string {
	if len(xs) == 0 {
		return "n/a"
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return fmt.Sprintf("%.*f %s (%.*f-%.*f)", prec, sum/float64(len(s)), unit, prec, s[0], prec, s[len(s)-1])
}

func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}
