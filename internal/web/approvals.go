package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxComment bounds an approval's comment, in characters.
const maxComment = 2000

type approvalsView struct {
	Items []approvalItem
	Note  string
	// Error is the API's refusal of the last verdict, shown above the list
	// (the four-eyes rule, a second verdict, a request already decided).
	Error string
}

// approvalItem is one release waiting for approval, with its evidence.
type approvalItem struct {
	Req apiApproval
	// Run is the run, when the key may read it (RunNote says why not).
	Run     *apiRun
	RunNote string
	// Decision is the latest gate decision of the run for Env.
	Decision     *apiDecision
	DecisionNote string
	// Evidence is the findings diff and the changes (EvidenceNote says
	// why not, when the API refused or failed).
	Evidence     *evidenceView
	EvidenceNote string
	// Self is set when the logged-in key's name is the run's author and
	// the four-eyes rule applies: someone else must approve.
	Self bool
	// Comment is the comment of a verdict the API refused, kept for a
	// second try.
	Comment string
	FormID  string
	// Approved is set when the verdicts so far meet the quorum: the run
	// goes on once its gatekeeper records it (the API lists the request
	// as pending until then), so there is nothing left to decide.
	Approved bool
}

// approvalsPage lists what waits for approval, with approve and reject
// forms.
func (u *UI) approvalsPage(w http.ResponseWriter, r *http.Request, s *session) {
	av, err := u.approvals(r, s)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	if rf := s.refusal; rf != nil {
		av.Error = rf.Message
		for i := range av.Items {
			if it := av.Items[i]; it.Run.matches(rf.Run, it.Req.Run) && it.Req.Env == rf.Env {
				av.Items[i].Comment = rf.Comment
			}
		}
	}
	u.page(w, r, s, http.StatusOK, "approvals", "Approvals", "approvals", av)
}

func (u *UI) approvals(r *http.Request, s *session) (*approvalsView, error) {
	av := &approvalsView{}
	reqs, n, err := u.pendingApprovals(r, s)
	if err != nil {
		return nil, err
	}
	av.Note = n
	for _, a := range reqs {
		it := approvalItem{Req: a, FormID: "approve-" + domID(a.Run) + "-" + domID(a.Env)}
		it.Approved = a.Min > 0 && a.approvalsSoFar() >= a.Min
		it.Self = a.NotAuthor && a.Author != "" && strings.EqualFold(a.Author, s.user)
		if refRE.MatchString(a.Run) {
			var run apiRun
			var fatal error
			if it.RunNote, fatal = note(u.getJSON(r, s, apiPath("/api/v1/runs", a.Run), &run), "this run"); fatal != nil {
				return nil, fatal
			}
			if it.RunNote == "" {
				it.Run = &run
			}
			var ds struct {
				Decisions []apiDecision `json:"decisions"`
			}
			if it.DecisionNote, fatal = note(u.getJSON(r, s, apiPath("/api/v1/runs", a.Run)+"/decisions", &ds), "gate decisions"); fatal != nil {
				return nil, fatal
			}
			for _, d := range latestPerEnv(ds.Decisions) {
				if d.Env == a.Env {
					it.Decision = &d
				}
			}
			var ev apiApprovalEvidence
			if it.EvidenceNote, fatal = note(u.getJSON(r, s, apiPath("/api/v1/runs", a.Run, "approvals", a.Env, "evidence"), &ev),
				"the evidence of this release"); fatal != nil {
				return nil, fatal
			}
			if it.EvidenceNote == "" {
				it.Evidence = newEvidenceView(a.Run, &ev)
			}
		}
		av.Items = append(av.Items, it)
	}
	return av, nil
}

// decide posts a verdict to the API as the logged-in key and redirects
// to the approvals page (POST-redirect-GET): a success leaves a flash
// message; a refusal (the four-eyes rule, a missing permission, a request
// already decided) leaves the API's own message and the comment typed,
// shown once on the request's form.
func (u *UI) decide(w http.ResponseWriter, r *http.Request, s *session) {
	ref, env := r.PathValue("ref"), r.PathValue("env")
	verdict := r.PostFormValue("verdict")
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if !refRE.MatchString(ref) || !refRE.MatchString(env) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no such approval request.")
		return
	}
	if verdict != "approve" && verdict != "reject" {
		u.errorPage(w, r, s, http.StatusBadRequest, "Bad request", "Choose approve or reject.")
		return
	}
	if utf8.RuneCountInString(comment) > maxComment {
		u.errorPage(w, r, s, http.StatusBadRequest, "Bad request", fmt.Sprintf("The comment is longer than %d characters.", maxComment))
		return
	}
	var out struct {
		Run, Env, Verdict, By string
	}
	err := u.postJSON(r, s, apiPath("/api/v1/runs", ref, "approvals", env), map[string]string{"verdict": verdict, "comment": comment}, &out)
	var ae *apiError
	switch {
	case err == nil:
		past := map[string]string{"approve": "approved", "reject": "rejected"}[verdict]
		u.sessions.setFlash(s.id, fmt.Sprintf("%s %s the release of run %s to %s.", out.By, past, u.runName(r, s, ref), env))
	case !errors.As(err, &ae) || ae.Status == http.StatusUnauthorized || ae.Status >= 500:
		u.fail(w, r, s, err)
		return
	default:
		u.sessions.setRefusal(s.id, &refusal{Message: ae.Message, Run: ref, Env: env, Comment: comment})
	}
	http.Redirect(w, r, "/approvals", http.StatusSeeOther)
}

// runName names a run for people: "#12" (its number, from the approvals
// list or the run), or its short id when neither answers.
func (u *UI) runName(r *http.Request, s *session, ref string) string {
	if _, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return "#" + ref
	}
	var list struct {
		Approvals []apiApproval `json:"approvals"`
	}
	if u.getJSON(r, s, "/api/v1/approvals", &list) == nil {
		for _, a := range list.Approvals {
			if a.Run == ref && a.RunNumber > 0 {
				return "#" + strconv.FormatInt(a.RunNumber, 10)
			}
		}
	}
	var run apiRun
	if u.getJSON(r, s, apiPath("/api/v1/runs", ref), &run) == nil && run.Number > 0 {
		return "#" + strconv.FormatInt(run.Number, 10)
	}
	return short(ref)
}

// matches reports whether ref names the run (by id or number).
func (run *apiRun) matches(ref, id string) bool {
	if ref == id {
		return true
	}
	return run != nil && (ref == run.ID || ref == fmt.Sprint(run.Number))
}

// pendingApprovals lists what waits for approval: the API lists the
// requests of the runs and environments the key may read, with the
// verdicts given so far. When the API refuses or fails, the note says so.
func (u *UI) pendingApprovals(r *http.Request, s *session) ([]apiApproval, string, error) {
	var list struct {
		Approvals []apiApproval `json:"approvals"`
	}
	n, fatal := note(u.getJSON(r, s, "/api/v1/approvals?state=pending", &list), "the list of approvals")
	return list.Approvals, n, fatal
}
