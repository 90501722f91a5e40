package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

// req builds a request starting at start ms and taking 2 ms.
func req(start int64, status int, rel string) request {
	return request{Start: start * ms, End: (start + 2) * ms, Status: status, Release: rel}
}

func tbl(at int64, gen int64, ws map[string]int) table {
	return table{Seen: (at + 3) * ms, Written: at * ms, Generation: gen, Weights: ws}
}

func TestAnalyzeSwitches(t *testing.T) {
	tr := &trace{
		Tables: []table{
			tbl(0, 1, map[string]int{"a": 100}),
			tbl(1000, 2, map[string]int{"b": 100, "a": 0}),
			tbl(2000, 3, map[string]int{"c": 100, "b": 0}),
		},
		Marks: []mark{
			{Time: -500 * ms, Label: "deploy-start first"}, {Time: -100 * ms, Label: "deploy-end first 0"},
			{Time: 800 * ms, Label: "deploy-start s1"}, {Time: 1100 * ms, Label: "deploy-end s1 0"},
			{Time: 1700 * ms, Label: "deploy-start s2"}, {Time: 2300 * ms, Label: "deploy-end s2 1"},
			{Time: 2400 * ms, Label: "deploy-start open"},
		},
	}
	for ts := int64(0); ts < 3000; ts += 10 {
		rel, status := "a", 200
		switch {
		case ts >= 2030:
			rel = "c"
		case ts >= 1020:
			rel = "b"
		}
		if ts == 1500 {
			status = 503
		}
		tr.Requests = append(tr.Requests, req(ts, status, rel))
	}
	// One slow request to a, started before the first switch.
	tr.Requests = append(tr.Requests, request{Start: 1005 * ms, End: 1100 * ms, Status: 200, Release: "a"})
	tr.Requests = append(tr.Requests, request{Start: 2500 * ms, End: 2600 * ms, Status: 0})
	sortRequests(tr)

	got := analyzeSwitches(tr)
	if len(got.Switches) != 2 {
		t.Fatalf("found %d switches, want 2: %+v", len(got.Switches), got.Switches)
	}
	s1, s2 := got.Switches[0], got.Switches[1]
	if s1.From != "a" || s1.To != "b" || s2.From != "b" || s2.To != "c" {
		t.Errorf("switches %s->%s, %s->%s; want a->b, b->c", s1.From, s1.To, s2.From, s2.To)
	}
	if d := (s1.FirstNew - s1.At) / ms; d != 22 {
		t.Errorf("first switch: first response of b %d ms after the write, want 22", d)
	}
	if d := (s1.LastOld - s1.At) / ms; d != 10 {
		t.Errorf("first switch: last request to a %d ms after the write, want 10", d)
	}
	if d := (s2.FirstNew - s2.At) / ms; d != 32 {
		t.Errorf("second switch: first response of c %d ms after the write, want 32", d)
	}
	if got.Requests != 302 || got.Failed != 2 {
		t.Errorf("requests %d failed %d, want 302 and 2", got.Requests, got.Failed)
	}
	// The deploy before the load and the unfinished one are left out.
	if len(got.Deploys) != 2 || got.Deploys[0].Name != "s1" || got.Deploys[1].Exit != 1 {
		t.Errorf("deploys %+v, want s1 (exit 0) and s2 (exit 1)", got.Deploys)
	}

	var out bytes.Buffer
	if err := writeRows(&out, "bg", switchRows(got)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| bg | switches measured (deploys that failed) | 2 (1) |",
		"| 2 of 302 | 0 |",
		"| 0.45 s (0.30-0.60) |",
		"| 27 ms (32 ms) |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rows lack %q:\n%s", want, out.String())
		}
	}
}

func sortRequests(tr *trace) {
	for i := 1; i < len(tr.Requests); i++ {
		for j := i; j > 0 && tr.Requests[j].Start < tr.Requests[j-1].Start; j-- {
			tr.Requests[j], tr.Requests[j-1] = tr.Requests[j-1], tr.Requests[j]
		}
	}
}

func rollbackTrace() *trace {
	tr := &trace{
		Tables: []table{
			tbl(0, 1, map[string]int{"good": 100}),
			tbl(1000, 2, map[string]int{"good": 80, "bad": 20}),
			tbl(2000, 3, map[string]int{"good": 100, "bad": 0}),
		},
		Marks: []mark{
			{Time: 500 * ms, Label: "deploy-start bad"},
			{Time: 2100 * ms, Label: "deploy-end bad 1"},
		},
	}
	// Every tenth request from 1000 to 2000 ms goes to the bad release,
	// every other one of those fails.
	n := 0
	for ts := int64(0); ts < 3000; ts += 10 {
		rel, status := "good", 200
		if ts >= 1000 && ts < 2000 && ts%100 == 0 {
			rel = "bad"
			if n++; n%2 == 0 {
				status = 500
			}
		}
		tr.Requests = append(tr.Requests, req(ts, status, rel))
	}
	return tr
}

func TestAnalyzeRollback(t *testing.T) {
	got, err := analyzeRollback(rollbackTrace(), "deploy-start bad")
	if err != nil {
		t.Fatal(err)
	}
	if got.Bad != "bad" || got.Weight != 20 {
		t.Errorf("bad release %q with weight %d, want bad with 20", got.Bad, got.Weight)
	}
	if got.On != 1000*ms || got.Off != 2000*ms {
		t.Errorf("on %d off %d ms, want 1000 and 2000", got.On/ms, got.Off/ms)
	}
	if got.Served != 10 || got.Errors != 5 {
		t.Errorf("served %d with %d errors, want 10 and 5", got.Served, got.Errors)
	}
	if got.First != 1002*ms || got.Last != 1902*ms || got.FirstError != 1102*ms {
		t.Errorf("first %d, first error %d, last %d ms; want 1002, 1102, 1902", got.First/ms, got.FirstError/ms, got.Last/ms)
	}
	if got.Window != 91 {
		t.Errorf("%d responses between the first and last bad one, want 91", got.Window)
	}
	if got.Failed != 5 || got.Requests != 300 {
		t.Errorf("failed %d of %d, want 5 of 300", got.Failed, got.Requests)
	}
	if got.Deploy == nil || got.Deploy.Exit != 1 {
		t.Errorf("deploy %+v, want the one that exited 1", got.Deploy)
	}

	var out bytes.Buffer
	if err := writeRows(&out, "canary", rollbackRows(got, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| canary | first -> last response from the bad release | 0.90 s | <= 6 s (5 s + 1 s): met |",
		"| 10 (5) |",
		"11.0 % of 91 responses in that time; its weight was 20 %",
		"| 1, 1.60 s |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rows lack %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	got.Last = got.First + 1600*ms
	_ = writeRows(&out, "canary", rollbackRows(got, 500*time.Millisecond))
	if !strings.Contains(out.String(), "| 1.60 s | <= 1.5 s (0.5 s + 1 s): MISSED |") {
		t.Errorf("a 1.6 s rollback against 0.5 s + 1 s is not reported as missed:\n%s", out.String())
	}
}

func TestAnalyzeRollbackErrors(t *testing.T) {
	if _, err := analyzeRollback(rollbackTrace(), "deploy-start other"); err == nil || !strings.Contains(err.Error(), "no mark") {
		t.Errorf("a missing mark gave %v, want an error naming it", err)
	}
	tr := rollbackTrace()
	tr.Tables = tr.Tables[:1]
	if _, err := analyzeRollback(tr, "deploy-start bad"); err == nil || !strings.Contains(err.Error(), "no new release") {
		t.Errorf("a trace without a new release gave %v, want an error", err)
	}
}

func TestDeploysPairsMarks(t *testing.T) {
	got := deploys([]mark{
		{Time: 1, Label: "deploy-start a"},
		{Time: 2, Label: "something else"},
		{Time: 3, Label: "deploy-start b"},
		{Time: 4, Label: "deploy-end a 0"},
		{Time: 5, Label: "deploy-end c 0"},
		{Time: 6, Label: "deploy-end b 2"},
	})
	if len(got) != 2 || got[0] != (deploy{"a", 1, 4, 0}) || got[1] != (deploy{"b", 3, 6, 2}) {
		t.Errorf("deploys = %+v", got)
	}
}
