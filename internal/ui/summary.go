package ui

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/store"
)

// writeSummary writes the end-of-run summary into b: a table of jobs, the
// last lines of each failed step, and one closing line.
func writeSummary(b *bytes.Buffer, t *tracker, st style, now time.Time) {
	b.WriteString("\n")
	if len(t.jobs) > 0 {
		writeTable(b, t, st, now)
		b.WriteString("\n")
	}
	for _, j := range t.jobs {
		if j.status != store.StatusFailed {
			continue
		}
		writeFailure(b, t, j, st)
	}
	if t.runReason != "" && t.runStatus != store.StatusSucceeded {
		fmt.Fprintf(b, "%s\n", st.paint(statusColor(t.runStatus), clean(t.runReason)))
	}
	b.WriteString(finalLine(t, st, now))
	b.WriteString("\n")
}

// writeTable lists every job with its status, duration and why it ended so.
func writeTable(b *bytes.Buffer, t *tracker, st style, now time.Time) {
	symW, statW, durW := 0, 0, 0
	durs := make([]string, len(t.jobs))
	for i, j := range t.jobs {
		symW = max(symW, utf8.RuneCountInString(st.symbol(j.status)))
		statW = max(statW, len(j.status))
		if !j.started.IsZero() || j.duration > 0 {
			durs[i] = formatDuration(j.elapsed(now))
		}
		durW = max(durW, len(durs[i]))
	}
	for i, j := range t.jobs {
		line := "  " + st.paint(statusColor(j.status), pad(st.symbol(j.status), symW)) +
			" " + pad(j.id, t.longestJob) +
			"  " + st.paint(statusColor(j.status), pad(string(j.status), statW)) +
			"  " + padLeft(durs[i], durW)
		if d := jobDetail(j, st); d != "" {
			line += "  " + d
		}
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteString("\n")
	}
}

// jobDetail says briefly why a finished job ended as it did.
func jobDetail(j *jobState, st style) string {
	switch j.status {
	case store.StatusSucceeded, store.StatusRunning:
		return ""
	case store.StatusPending:
		return st.paint(sgrDim, "not run")
	case store.StatusSkipped:
		return st.paint(sgrDim, clean(j.reason))
	}
	if j.reason != "" {
		return clean(j.reason)
	}
	if len(j.failed) > 0 {
		f := j.failed[len(j.failed)-1]
		return f.label + " " + exitText(f.exitCode)
	}
	return ""
}

// exitText is "failed (exit code N)", or "failed" without a code.
func exitText(code int) string {
	if code != 0 {
		return fmt.Sprintf("failed (exit code %d)", code)
	}
	return "failed"
}

// writeFailure shows a failed job's failed steps with their last lines, or
// the job's reason and own lines when no step failed.
func writeFailure(b *bytes.Buffer, t *tracker, j *jobState, st style) {
	mark := st.mark(store.StatusFailed)
	if len(j.failed) == 0 {
		lines, total := t.jobLines(j.id)
		head := fmt.Sprintf("%s %s %s", mark, st.paint(sgrBold, j.id), exitText(j.exitCode))
		if j.reason != "" {
			head += ": " + clean(j.reason)
		}
		writeTail(b, st, head, lines, total, t.tail)
		return
	}
	for _, f := range j.failed {
		head := fmt.Sprintf("%s %s %s %s %s", mark, st.paint(sgrBold, j.id), st.sep(), f.label, exitText(f.exitCode))
		if f.reason != "" {
			head += ": " + clean(f.reason)
		}
		writeTail(b, st, head, f.lines, f.total, t.tail)
	}
}

// writeTail writes a heading and the last lines under it.
func writeTail(b *bytes.Buffer, st style, head string, lines []logLine, total, tail int) {
	b.WriteString(head)
	switch {
	case tail < 0 || total == 0:
		b.WriteString("\n\n")
		return
	case total > len(lines):
		fmt.Fprintf(b, " %s last %d of %d lines:\n", st.dash(), len(lines), total)
	default:
		fmt.Fprintf(b, " %s output:\n", st.dash())
	}
	for _, l := range lines {
		fmt.Fprintf(b, "    %s %s\n", st.streamMark(l.stream), clean(l.text))
	}
	b.WriteString("\n")
}

// finalLine is e.g. "run #12 failed in 4.3s — 5 succeeded, 1 failed, 2 skipped".
func finalLine(t *tracker, st style, now time.Time) string {
	name := "run"
	switch {
	case t.number != 0:
		name = fmt.Sprintf("run #%d", t.number)
	case t.runID != "":
		name = "run " + t.runID
	}
	var head string
	if t.runEnded {
		head = fmt.Sprintf("%s %s in %s", name, st.paint(sgrBold+";"+statusColor(t.runStatus), string(t.runStatus)), formatDuration(t.runDuration(now)))
	} else {
		head = fmt.Sprintf("%s stopped after %s", name, formatDuration(t.runDuration(now)))
	}
	order := []store.Status{store.StatusSucceeded, store.StatusFailed, store.StatusCancelled,
		store.StatusInterrupted, store.StatusSkipped, store.StatusRunning, store.StatusPending}
	count := map[store.Status]int{}
	for _, j := range t.jobs {
		count[j.status]++
	}
	var parts []string
	for _, s := range order {
		if n := count[s]; n > 0 {
			word := string(s)
			if s == store.StatusPending {
				word = "not run"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no jobs"}
	}
	return head + " " + st.dash() + " " + strings.Join(parts, ", ")
}
