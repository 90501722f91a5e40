package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// The shapes of the API's answers, as far as the pages use them. They are
// the API's contract (docs/server.md); fields the API does not send yet
// (a job's needs and times) are read when present.

type apiRun struct {
	ID       string     `json:"id"`
	Number   int64      `json:"number"`
	Pipeline string     `json:"pipeline"`
	Status   string     `json:"status"`
	Event    string     `json:"event"`
	Branch   string     `json:"branch"`
	Commit   string     `json:"commit"`
	Actor    string     `json:"actor"`
	Project  string     `json:"project"`
	Error    string     `json:"error"`
	Created  time.Time  `json:"created_at"`
	Started  *time.Time `json:"started_at"`
	Finished *time.Time `json:"finished_at"`
	Jobs     []apiJob   `json:"jobs"`
}

type apiJob struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Status   string     `json:"status"`
	Reason   string     `json:"reason"`
	Needs    []string   `json:"needs"`
	Started  *time.Time `json:"started_at"`
	Finished *time.Time `json:"finished_at"`
	Attempt  int        `json:"attempt"`
	ExitCode int        `json:"exit_code"`
	// WaitingFor names the environment whose approval the job waits for
	// (its status stays running meanwhile).
	WaitingFor string `json:"waiting_for_approval"`
	// Outputs are the job's published values; tf_plan is a terraform
	// job's plan summary.
	Outputs map[string]string `json:"outputs"`
}

type apiRunPage struct {
	Items []apiRun `json:"items"`
	Next  string   `json:"next"`
}

type apiLogLine struct {
	Job    string    `json:"job"`
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Stream string    `json:"stream"`
	Text   string    `json:"text"`
}

// apiDecision is a stored gate decision; Body is the gate's Decision.
type apiDecision struct {
	ID      int64     `json:"id"`
	Env     string    `json:"env"`
	Job     string    `json:"job"`
	Outcome string    `json:"outcome"`
	At      time.Time `json:"at"`
	Body    struct {
		Outcome string `json:"outcome"`
		Judged  int    `json:"judged"`
		Reasons []struct {
			Kind    string `json:"kind"`
			Effect  string `json:"effect"`
			Message string `json:"message"`
		} `json:"reasons"`
		Blocking []json.RawMessage `json:"blocking"`
	} `json:"decision"`
	// Earlier are the environment's earlier decisions in the run (an
	// attempt blocked before a suppression let the next one through),
	// newest first; the page fills them in.
	Earlier []apiDecision `json:"-"`
}

type apiApproval struct {
	Run       string       `json:"run"`
	RunNumber int64        `json:"run_number"`
	Project   string       `json:"project"`
	Job       string       `json:"job"`
	Env       string       `json:"env"`
	State     string       `json:"state"`
	Min       int          `json:"min"`
	Roles     []string     `json:"roles"`
	NotAuthor bool         `json:"not_author"`
	Author    string       `json:"author"`
	Deadline  time.Time    `json:"deadline"`
	Created   time.Time    `json:"created_at"`
	Decided   *time.Time   `json:"decided_at"`
	Verdicts  []apiVerdict `json:"verdicts"`
}

// apiVerdict is one person's verdict on an approval request.
type apiVerdict struct {
	Approver string    `json:"approver"`
	Verdict  string    `json:"verdict"`
	Comment  string    `json:"comment"`
	At       time.Time `json:"at"`
}

// approvalsSoFar counts a request's approvals.
func (a apiApproval) approvalsSoFar() int {
	n := 0
	for _, v := range a.Verdicts {
		if v.Verdict == "approve" {
			n++
		}
	}
	return n
}

// Progress says where a request stands: "1 of 2 approvals so far: bo
// approved (looks good)". Empty when nobody gave a verdict yet.
func (a apiApproval) Progress() string {
	if len(a.Verdicts) == 0 {
		return ""
	}
	s := fmt.Sprintf("%d of %d approvals so far:", a.approvalsSoFar(), a.Min)
	for i, v := range a.Verdicts {
		if i > 0 {
			s += ";"
		}
		past := map[string]string{"approve": "approved", "reject": "rejected"}[v.Verdict]
		if past == "" {
			past = v.Verdict
		}
		s += " " + v.Approver + " " + past
		if v.Comment != "" {
			s += " (" + v.Comment + ")"
		}
	}
	return s
}

// apiRelease is a release as GET /api/v1/environments shows it.
type apiRelease struct {
	ID       string `json:"id"`
	Version  string `json:"version"`
	State    string `json:"state"`
	Strategy string `json:"strategy"`
	Digest   string `json:"digest"`
	Message  string `json:"message"`
	Weight   int    `json:"weight"`
}

type apiEnv struct {
	Env       string      `json:"env"`
	Listen    string      `json:"listen"`
	Live      *apiRelease `json:"live"`
	Previous  *apiRelease `json:"previous"`
	Candidate *apiRelease `json:"candidate"`
}

type apiDORA struct {
	Deployments     int           `json:"deployments"`
	PerDay          float64       `json:"deployments_per_day"`
	LeadTime        time.Duration `json:"lead_time_ns"`
	LeadTimeSamples int           `json:"lead_time_samples"`
	Failures        int           `json:"failures"`
	FailureRate     float64       `json:"change_failure_rate"`
	TimeToRestore   time.Duration `json:"time_to_restore_ns"`
}

type apiProject struct {
	Name     string `json:"name"`
	Repo     string `json:"repo"`
	Pipeline string `json:"pipeline"`
}

// waitStatus is the UI's status of a running job that waits for approval.
const waitStatus = "waiting"

// markWaiting gives the jobs that wait for approval the waiting status.
func markWaiting(jobs []apiJob) {
	for i := range jobs {
		if jobs[i].WaitingFor != "" && live(jobs[i].Status) {
			jobs[i].Status = waitStatus
		}
	}
}

// refRE is what a run reference or environment name in a UI path may be;
// anything else is not looked up.
var refRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// apiPath joins an API path with escaped segments.
func apiPath(prefix string, segs ...string) string {
	p := prefix
	for _, s := range segs {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// note is what a panel says instead of its data when the API refused or
// failed: the key may not read it, or what went wrong. A 401 is not a
// panel's matter (the session is over) and comes back as fatal.
func note(err error, what string) (msg string, fatal error) {
	if err == nil {
		return "", nil
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		return "", err
	}
	switch ae.Status {
	case http.StatusUnauthorized, http.StatusTooManyRequests:
		return "", err
	case http.StatusForbidden:
		msg = "Your key may not read " + what
		if p := ae.missingPermission(); p != "" {
			msg += " (it needs " + p + ")"
		}
		return msg + ".", nil
	}
	return "Could not read " + what + ": " + ae.Message, nil
}
