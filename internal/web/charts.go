package web

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiSeries is a release's traffic interval by interval (the "series" of
// GET /api/v1/environments/{env}/traffic): intervals without a request
// are left out.
type apiSeries struct {
	Interval  float64     `json:"interval_seconds"`
	Times     []time.Time `json:"times"`
	Requests  []int64     `json:"requests"`
	ErrorRate []float64   `json:"error_rate"`
	P50       []float64   `json:"p50_ms"`
	P99       []float64   `json:"p99_ms"`
}

// len is how many intervals all columns have.
func (s *apiSeries) len() int {
	if s == nil {
		return 0
	}
	return min(len(s.Times), len(s.Requests), len(s.ErrorRate), len(s.P99))
}

// apiWeightChange is a change of the rolled-out release's share of traffic.
type apiWeightChange struct {
	Time   time.Time `json:"time"`
	Weight int       `json:"weight"`
	Step   int       `json:"step"`
	State  string    `json:"state"`
}

// Geometry of the charts over time, in SVG user units. The drawing is
// scaled to its box, at most 30rem wide (app.css): the labels, 13 units
// on a laptop and 16 on a phone, read at about 15.5 and 12.5 px.
const (
	chartW, chartH = 400, 220
	chartLeft      = 50 // room for the values' labels
	chartRight     = 14
	chartTop       = 18 // room for the step labels
	chartBottom    = 26 // room for the times' labels
	chartMinSpan   = 5 * time.Minute
	chartMaxSpan   = time.Hour
	// chartGap is how many intervals without a request break a line; a
	// shorter lull is bridged, as a release with little traffic has many.
	chartGap = 6
)

// chartsView is what the environment page draws over time: two charts,
// success rate and p99 latency, one line per release, and the same
// numbers as a table. Empty (no Charts) when no release took a request in
// the last hour or the gateway did not answer.
type chartsView struct {
	// URL is where the page's script fetches the charts drawn again.
	URL string
	// Down is true when the gateway did not answer.
	Down bool
	// Span is the time the charts cover ("12 minutes"), Interval the
	// seconds of one interval.
	Span     string
	Interval int
	Charts   []*chart
	Rows     []chartRow
}

type chart struct {
	ID, Title, Desc string
	W, H            int
	// X0, X1, Y0, Y1 bound the plot area.
	X0, X1, Y0, Y1 float64
	YTicks, XTicks []chartTick
	Lines          []chartLine
	Steps          []chartStep
	lo, hi         float64 // the values at the plot's bottom and top
}

type chartTick struct {
	Pos   float64
	Label string
}

// chartLine is one release: polylines ("x,y x,y …") for its runs of
// intervals, and dots for lone intervals and for its latest one.
type chartLine struct {
	ID, Version, Role, RoleClass string
	Segments                     []string
	Dots                         []chartPoint
}

type chartPoint struct{ X, Y float64 }

// minStepLabelGap is the least distance, in the chart's units, between two
// step labels ("100%" is about 24 wide).
const minStepLabelGap = 28

// chartStep marks a change of the rollout's weight.
type chartStep struct {
	X     float64
	Label string
}

// chartRow is a release's numbers over the charts' window, as text.
type chartRow struct {
	ID, Version, Role, RoleClass string
	Requests                     int64
	// Success is over the whole window; Last* are of the release's latest
	// interval with a request, LastAgo how long before the gateway's time
	// it started.
	Success, LastSuccess, LastP99, MaxP99, LastAgo string
}

// chartRelease is a release with a series to draw.
type chartRelease struct {
	apiRelTraffic
	class string
}

// buildCharts lays the charts out from the traffic answer: the time axis
// ends with the interval the gateway's time falls in and goes back to the
// oldest interval any release counted (at least five minutes, at most the
// hour the gateway keeps).
func buildCharts(url string, t *apiTraffic) *chartsView {
	cv := &chartsView{URL: url}
	if t == nil || t.Time == nil {
		cv.Down = true
		return cv
	}
	var rels []chartRelease
	for _, r := range slices.Concat(t.Releases, t.Former) {
		if r.Series.len() > 0 {
			rels = append(rels, chartRelease{r, roleClass(r.Role)})
		}
	}
	if len(rels) == 0 {
		return cv
	}
	iv := time.Duration(rels[0].Series.Interval * float64(time.Second))
	if iv <= 0 {
		iv = 10 * time.Second
	}
	end := t.Time.Truncate(iv).Add(iv)
	oldest := end
	for _, r := range rels {
		oldest = earlier(oldest, r.Series.Times[0])
	}
	span := min(max(end.Sub(oldest), chartMinSpan), chartMaxSpan)
	span = (span + time.Minute - 1).Truncate(time.Minute)
	start := end.Add(-span)
	cv.Span = countOf(int(span.Minutes()), "minute")
	cv.Interval = int(iv.Seconds())

	x := func(at time.Time) float64 {
		return round1(chartLeft + float64(at.Sub(start))/float64(span)*(chartW-chartLeft-chartRight))
	}
	success := func(s *apiSeries, i int) float64 { return 100 * (1 - s.ErrorRate[i]) }
	p99 := func(s *apiSeries, i int) float64 { return s.P99[i] }

	var lo, hi float64 = 100, 0
	for _, r := range rels {
		for i := range r.Series.len() {
			if !r.Series.Times[i].Before(start) {
				lo = min(lo, success(r.Series, i))
				hi = max(hi, p99(r.Series, i))
			}
		}
	}
	// The success rate's scale starts at the highest of these at or below
	// the lowest rate, so 99.9% and 99% do not look alike.
	floor := 0.0
	for _, f := range []float64{99, 95, 90, 50} {
		if lo >= f {
			floor = f
			break
		}
	}
	step := niceStep(max(hi, 1) / 4)
	top := step * math.Ceil(max(hi, 1)/step)

	sc := newChart("success", "Success rate (%)", floor, 100, []float64{floor, (floor + 100) / 2, 100})
	var ticks []float64
	for v := 0.0; v <= top+step/2; v += step {
		ticks = append(ticks, v)
	}
	lc := newChart("p99", "p99 latency (ms)", 0, top, ticks)
	xt := timeTicks(start, end, span, x)
	var steps []chartStep
	if t.Rollout != nil {
		for _, c := range t.Rollout.Changes {
			if !c.Time.Before(start) && !c.Time.After(end) {
				steps = append(steps, chartStep{X: x(c.Time), Label: strconv.Itoa(c.Weight) + "%"})
			}
		}
		// Steps seconds apart would write their labels over each other:
		// the newest label of a crowd is kept, the others' lines stay.
		for i, kept := len(steps)-1, math.Inf(1); i >= 0; i-- {
			if kept-steps[i].X < minStepLabelGap {
				steps[i].Label = ""
				continue
			}
			kept = steps[i].X
		}
	}
	var lastSuccess, lastP99 []string
	for _, r := range rels {
		s := r.Series
		sc.Lines = append(sc.Lines, drawLine(r, iv, start, x, func(i int) float64 { return sc.y(success(s, i)) }))
		lc.Lines = append(lc.Lines, drawLine(r, iv, start, x, func(i int) float64 { return lc.y(p99(s, i)) }))
		row := chartRow{ID: r.ID, Version: r.Version, Role: r.Role, RoleClass: r.class}
		var errs, maxP99 float64
		last := -1
		for i := range s.len() {
			if s.Times[i].Before(start) {
				continue
			}
			row.Requests += s.Requests[i]
			errs += s.ErrorRate[i] * float64(s.Requests[i])
			maxP99 = max(maxP99, s.P99[i])
			last = i
		}
		if last < 0 {
			continue
		}
		name := fmt.Sprintf("%s (%s)", nonEmpty(r.Version, r.ID), r.Role)
		row.Success = fmtPercent(1 - errs/float64(max(row.Requests, 1)))
		row.LastSuccess, row.LastP99, row.MaxP99 = fmtPercent(1-s.ErrorRate[last]), fmtMillis(s.P99[last]), fmtMillis(maxP99)
		row.LastAgo = roundDuration(t.Time.Sub(s.Times[last])) + " ago"
		lastSuccess = append(lastSuccess, name+" "+row.LastSuccess)
		lastP99 = append(lastP99, name+" "+row.LastP99)
		cv.Rows = append(cv.Rows, row)
	}
	per := fmt.Sprintf(" per %d-second interval over the last %s, one line per release. Latest: ", cv.Interval, cv.Span)
	sc.Desc = "Share of requests answered without a server error" + per + strings.Join(lastSuccess, "; ") + "."
	lc.Desc = "99th percentile of the response time" + per + strings.Join(lastP99, "; ") + "."
	for _, c := range []*chart{sc, lc} {
		c.XTicks, c.Steps = xt, steps
	}
	cv.Charts = []*chart{sc, lc}
	return cv
}

// newChart is an empty chart whose values lo..hi span the plot's height,
// with labelled ticks at ticks (the unit is in the title).
func newChart(id, title string, lo, hi float64, ticks []float64) *chart {
	c := &chart{ID: id, Title: title, W: chartW, H: chartH, X0: chartLeft, X1: chartW - chartRight, Y0: chartTop, Y1: chartH - chartBottom}
	c.lo, c.hi = lo, hi
	for _, v := range ticks {
		c.YTicks = append(c.YTicks, chartTick{Pos: c.y(v), Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return c
}

// y places value v, clamped to the plot.
func (c *chart) y(v float64) float64 {
	f := 0.0
	if c.hi > c.lo {
		f = (min(max(v, c.lo), c.hi) - c.lo) / (c.hi - c.lo)
	}
	return round1(c.Y1 - f*(c.Y1-c.Y0))
}

// drawLine draws a release's intervals at their middle, value y(i); a gap of
// more than chartGap intervals starts a new segment.
func drawLine(r chartRelease, iv time.Duration, start time.Time, x func(time.Time) float64, y func(int) float64) chartLine {
	l := chartLine{ID: r.ID, Version: nonEmpty(r.Version, r.ID), Role: r.Role, RoleClass: r.class}
	s := r.Series
	var seg []chartPoint
	flush := func() {
		switch len(seg) {
		case 0:
		case 1:
			l.Dots = append(l.Dots, seg[0])
		default:
			pts := make([]string, len(seg))
			for i, p := range seg {
				pts[i] = strconv.FormatFloat(p.X, 'f', -1, 64) + "," + strconv.FormatFloat(p.Y, 'f', -1, 64)
			}
			l.Segments = append(l.Segments, strings.Join(pts, " "))
		}
		seg = seg[:0]
	}
	var prev time.Time
	for i := range s.len() {
		at := s.Times[i]
		if at.Before(start) {
			continue
		}
		if len(seg) > 0 && at.Sub(prev) > time.Duration(chartGap+1)*iv {
			flush()
		}
		seg = append(seg, chartPoint{X: x(at.Add(iv / 2)), Y: y(i)})
		prev = at
	}
	last := chartPoint{}
	if len(seg) > 0 {
		last = seg[len(seg)-1]
	}
	lone := len(seg) == 1
	flush()
	if !lone && last != (chartPoint{}) {
		l.Dots = append(l.Dots, last) // the latest value stands out
	}
	return l
}

// timeTicks labels the time axis back from its end ("now") in steps of
// whole minutes, at most six labels.
func timeTicks(start, end time.Time, span time.Duration, x func(time.Time) float64) []chartTick {
	step := 30 * time.Minute
	for _, m := range []time.Duration{1, 2, 5, 10, 15} {
		if span/(m*time.Minute) <= 5 {
			step = m * time.Minute
			break
		}
	}
	var out []chartTick
	for k := 0; ; k++ {
		at := end.Add(-time.Duration(k) * step)
		if at.Before(start) {
			break
		}
		label := "now"
		if k > 0 {
			label = "−" + strconv.Itoa(k*int(step.Minutes())) + "m"
		}
		out = append(out, chartTick{Pos: x(at), Label: label})
	}
	slices.Reverse(out)
	return out
}

// niceStep is the smallest of 1, 2 or 5 times a power of ten at or above v.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// roleClass names a release's role for CSS: the roles the traffic bar
// knows, "former" for releases that left the routing table, else "other".
func roleClass(role string) string {
	switch role {
	case "stable", "candidate", "previous", "former":
		return role
	}
	return "other"
}

func fmtPercent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// fmtMillis writes a latency: a decimal below 10 ms, whole milliseconds above.
func fmtMillis(ms float64) string {
	if ms < 10 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func countOf(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
