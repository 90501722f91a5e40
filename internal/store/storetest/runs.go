package storetest

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// generatedID is the shape of a run ID the store makes up.
var generatedID = regexp.MustCompile(`^[0-9a-f]{10}$`)

var runTests = []subtest{
	{"CreateAssignsNumberAndID", testCreateRun},
	{"RoundTrip", testRunRoundTrip},
	{"GivenID", testRunGivenID},
	{"GetByRef", testGetRunByRef},
	{"List", testListRuns},
	{"Update", testUpdateRun},
	{"ConcurrentCreate", testConcurrentCreateRuns},
}

func testCreateRun(t *testing.T, open Opener) {
	s := open(t)
	seen := map[string]bool{}
	for i := 1; i <= 3; i++ {
		r := &store.Run{Pipeline: "p", Status: store.StatusPending}
		if err := s.Runs().CreateRun(t.Context(), r); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		if r.Number != int64(i) {
			t.Errorf("run %d got number %d", i, r.Number)
		}
		if !generatedID.MatchString(r.ID) || allDigits(r.ID) {
			t.Errorf("generated id %q: want 10 lowercase hex characters, not all digits", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("id %s generated twice", r.ID)
		}
		seen[r.ID] = true
		if r.CreatedAt.IsZero() {
			t.Errorf("run %d: CreatedAt not set", i)
		}
		got, err := s.Runs().GetRun(t.Context(), r.ID)
		if err != nil {
			t.Fatalf("GetRun(%s): %v", r.ID, err)
		}
		wantDiff(t, "created run", r, got)
	}
}

// fullRun returns a run with every field set.
func fullRun() *store.Run {
	return &store.Run{
		Pipeline:     "goodbooks",
		File:         "sluice.yaml",
		Spec:         []byte("version: 1\nname: goodbooks\n"),
		Workdir:      "/srv/goodbooks",
		Project:      "goodbooks",
		Status:       store.StatusRunning,
		Event:        "push",
		Branch:       "main",
		Commit:       "0123456789abcdef0123456789abcdef01234567",
		Environment:  "staging",
		Actor:        "ada",
		Vars:         map[string]string{"GO": "1.26", "EMPTY": "", "quote": `"x"`},
		SecretNames:  []string{"DEPLOY_KEY", "TOKEN"},
		SelectedJobs: []string{"build", "test[go=1.22]"},
		PID:          4242,
		Host:         "ci-1",
		Attempt:      2,
		Error:        "boom",
		CreatedAt:    at(0),
		StartedAt:    at(time.Second),
		FinishedAt:   at(time.Minute),
	}
}

func testRunRoundTrip(t *testing.T, open Opener) {
	s := open(t)
	mustRun(t, s, "")
	r := fullRun()
	if err := s.Runs().CreateRun(t.Context(), r); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	for _, ref := range []string{r.ID, fmt.Sprint(r.Number)} {
		got, err := s.Runs().GetRun(t.Context(), ref)
		if err != nil {
			t.Fatalf("GetRun(%s): %v", ref, err)
		}
		wantDiff(t, "run by "+ref, r, got)
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt read back in %v, want UTC", got.CreatedAt.Location())
		}
	}
	// An unset time stays unset.
	bare := &store.Run{Status: store.StatusPending}
	if err := s.Runs().CreateRun(t.Context(), bare); err != nil {
		t.Fatal(err)
	}
	got, err := s.Runs().GetRun(t.Context(), bare.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.StartedAt.IsZero() || !got.FinishedAt.IsZero() {
		t.Errorf("unset times read back as %v and %v", got.StartedAt, got.FinishedAt)
	}
}

func testRunGivenID(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "given-id")
	if r.ID != "given-id" || r.Number != 1 {
		t.Errorf("got id %q number %d, want given-id 1", r.ID, r.Number)
	}
	err := s.Runs().CreateRun(t.Context(), &store.Run{ID: "given-id", Status: store.StatusPending})
	wantErr(t, "duplicate id", err, store.ErrConflict)
	if err := s.Runs().CreateRun(t.Context(), &store.Run{ID: "123", Status: store.StatusPending}); err == nil {
		t.Error("an all-digit run id was accepted; GetRun would read it as a number")
	}
	next := mustRun(t, s, "")
	if next.Number != 2 {
		t.Errorf("failed creates used up numbers: next run got %d, want 2", next.Number)
	}
}

func testGetRunByRef(t *testing.T, open Opener) {
	s := open(t)
	for _, id := range []string{"abc111", "abc222", "abd333", "abe", "abef"} {
		mustRun(t, s, id)
	}
	for _, tc := range []struct {
		ref, want string
		err       error
	}{
		{ref: "abc111", want: "abc111"},
		{ref: "abc1", want: "abc111"},
		{ref: "abd", want: "abd333"},
		{ref: "abe", want: "abe"}, // exact match wins over a longer id
		{ref: "abef", want: "abef"},
		{ref: "3", want: "abd333"},
		{ref: "5", want: "abef"},
		{ref: "abc", err: store.ErrAmbiguous},
		{ref: "a", err: store.ErrAmbiguous},
		{ref: "abc3", err: store.ErrNotFound},
		{ref: "zzz", err: store.ErrNotFound},
		{ref: "6", err: store.ErrNotFound},
		{ref: "0", err: store.ErrNotFound},
		{ref: "99999999999999999999999", err: store.ErrNotFound},
		{ref: "", err: store.ErrNotFound},
	} {
		got, err := s.Runs().GetRun(t.Context(), tc.ref)
		if tc.err != nil {
			wantErr(t, fmt.Sprintf("GetRun(%q)", tc.ref), err, tc.err)
			if errors.Is(err, store.ErrNotFound) && errors.Is(err, store.ErrAmbiguous) {
				t.Errorf("GetRun(%q): error is both not-found and ambiguous: %v", tc.ref, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("GetRun(%q): %v", tc.ref, err)
			continue
		}
		if got.ID != tc.want {
			t.Errorf("GetRun(%q) = %s, want %s", tc.ref, got.ID, tc.want)
		}
	}
}

func testListRuns(t *testing.T, open Opener) {
	s := open(t)
	runs, err := s.Runs().ListRuns(t.Context(), store.RunFilter{})
	if err != nil || len(runs) != 0 {
		t.Fatalf("empty store: ListRuns = %d runs, %v", len(runs), err)
	}
	statuses := []store.Status{store.StatusSucceeded, store.StatusFailed, store.StatusRunning,
		store.StatusFailed, store.StatusSucceeded}
	for _, st := range statuses {
		r := &store.Run{Status: st, CreatedAt: at(0)}
		if err := s.Runs().CreateRun(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    store.RunFilter
		want []int64
	}{
		{"all", store.RunFilter{}, []int64{5, 4, 3, 2, 1}},
		{"limit", store.RunFilter{Limit: 2}, []int64{5, 4}},
		{"failed", store.RunFilter{Status: []store.Status{store.StatusFailed}}, []int64{4, 2}},
		{"two statuses", store.RunFilter{Status: []store.Status{store.StatusRunning, store.StatusSucceeded}}, []int64{5, 3, 1}},
		{"status and limit", store.RunFilter{Status: []store.Status{store.StatusSucceeded}, Limit: 1}, []int64{5}},
		{"no match", store.RunFilter{Status: []store.Status{store.StatusCancelled}}, nil},
	} {
		runs, err := s.Runs().ListRuns(t.Context(), tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []int64
		for _, r := range runs {
			got = append(got, r.Number)
		}
		wantDiff(t, "ListRuns "+tc.name, tc.want, got)
	}
}

func testUpdateRun(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	id, number, created := r.ID, r.Number, r.CreatedAt
	u := fullRun()
	u.ID, u.Number, u.CreatedAt = id, 99, at(time.Hour)
	u.Status = store.StatusSucceeded
	if err := s.Runs().UpdateRun(t.Context(), u); err != nil {
		t.Fatalf("UpdateRun: %v", err)
	}
	got, err := s.Runs().GetRun(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := fullRun()
	want.ID, want.Number, want.CreatedAt = id, number, created
	want.Status = store.StatusSucceeded
	wantDiff(t, "updated run (ID, Number, CreatedAt fixed)", want, got)

	// Clearing fields clears them.
	cleared := &store.Run{ID: id, Status: store.StatusFailed}
	if err := s.Runs().UpdateRun(t.Context(), cleared); err != nil {
		t.Fatal(err)
	}
	got, err = s.Runs().GetRun(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	cleared.Number, cleared.CreatedAt = number, created
	wantDiff(t, "cleared run", cleared, got)

	err = s.Runs().UpdateRun(t.Context(), &store.Run{ID: "missing", Status: store.StatusFailed})
	wantErr(t, "UpdateRun of a missing run", err, store.ErrNotFound)
}

func testConcurrentCreateRuns(t *testing.T, open Opener) {
	s := open(t)
	const n = 20
	numbers := make([]int64, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r := &store.Run{Status: store.StatusPending}
			if err := s.Runs().CreateRun(t.Context(), r); err != nil {
				errs <- err
				return
			}
			numbers[i] = r.Number
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent CreateRun: %v", err)
	}
	sort.Slice(numbers, func(i, j int) bool { return numbers[i] < numbers[j] })
	for i, got := range numbers {
		if got != int64(i+1) {
			t.Fatalf("numbers of %d concurrent runs = %v, want 1..%d", n, numbers, n)
		}
	}
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
