package web

import (
	"net/http"
	"slices"
	"strings"
)

// runsPerProject is how many latest runs the overview lists per project.
const runsPerProject = 8

type overviewView struct {
	Projects      []projectPanel
	RunsNote      string
	ProjectsNote  string
	Approvals     []approvalRow
	ApprovalsNote string
	Envs          []envPanel
	EnvsNote      string
}

// approvalRow is a pending approval with its run's number when the
// overview knows it (0 when not).
type approvalRow struct {
	Req    apiApproval
	Number int64
}

type projectPanel struct {
	Name string
	Repo string
	Runs []apiRun
	// Critical counts the critical findings of the latest run
	// (CriticalRun); CriticalNote says why it is unknown.
	Critical     int
	CriticalRun  int64
	CriticalNote string
}

type envPanel struct {
	Name      string
	Live      *apiRelease
	Candidate *apiRelease
	Previous  *apiRelease
	DORA      *apiDORA
	DORANote  string
}

// overview is the home page: per project its latest runs and open
// critical findings, each environment's releases and DORA figures, and
// what waits for approval. A panel the key may not read says so.
func (u *UI) overview(w http.ResponseWriter, r *http.Request, s *session) {
	var ov overviewView
	var runs apiRunPage
	n, fatal := note(u.getJSON(r, s, "/api/v1/runs?limit=200", &runs), "runs")
	if fatal != nil {
		u.fail(w, r, s, fatal)
		return
	}
	ov.RunsNote = n
	var projects struct {
		Projects []apiProject `json:"projects"`
	}
	if ov.ProjectsNote, fatal = note(u.getJSON(r, s, "/api/v1/projects", &projects), "the list of projects"); fatal != nil {
		u.fail(w, r, s, fatal)
		return
	}
	byName := map[string]*projectPanel{}
	var order []string
	add := func(name, repo string) *projectPanel {
		if p, ok := byName[name]; ok {
			return p
		}
		p := &projectPanel{Name: name, Repo: repo}
		byName[name] = p
		order = append(order, name)
		return p
	}
	if ov.ProjectsNote != "" && ov.RunsNote == "" {
		// A key limited to some projects may read their runs without
		// reading the list of projects: the runs list stands alone.
		ov.ProjectsNote = ""
	}
	for _, p := range projects.Projects {
		add(p.Name, p.Repo)
	}
	for _, run := range runs.Items {
		p := add(run.Project, "")
		if len(p.Runs) < runsPerProject {
			p.Runs = append(p.Runs, run)
		}
	}
	for _, name := range order {
		p := byName[name]
		if len(p.Runs) > 0 {
			latest := p.Runs[0]
			var fs struct {
				Findings []struct{} `json:"findings"`
			}
			err := u.getJSON(r, s, apiPath("/api/v1/runs", latest.ID)+"/findings?severity=critical", &fs)
			if p.CriticalNote, fatal = note(err, "findings"); fatal != nil {
				u.fail(w, r, s, fatal)
				return
			}
			p.Critical, p.CriticalRun = len(fs.Findings), latest.Number
		}
		ov.Projects = append(ov.Projects, *p)
	}
	reqs, n, fatal := u.pendingApprovals(r, s)
	if fatal != nil {
		u.fail(w, r, s, fatal)
		return
	}
	ov.ApprovalsNote = n
	numbers := map[string]int64{}
	for _, run := range runs.Items {
		numbers[run.ID] = run.Number
	}
	for _, a := range reqs {
		num := a.RunNumber
		if num == 0 {
			num = numbers[a.Run]
		}
		ov.Approvals = append(ov.Approvals, approvalRow{Req: a, Number: num})
	}
	var envs struct {
		Environments []apiEnv `json:"environments"`
	}
	if ov.EnvsNote, fatal = note(u.getJSON(r, s, "/api/v1/environments", &envs), "environments"); fatal != nil {
		u.fail(w, r, s, fatal)
		return
	}
	slices.SortStableFunc(envs.Environments, func(a, b apiEnv) int { return envCompare(a.Env, b.Env) })
	for _, e := range envs.Environments {
		ep := envPanel{Name: e.Env, Live: e.Live, Candidate: e.Candidate, Previous: e.Previous}
		if e.Live != nil && refRE.MatchString(e.Env) {
			var d apiDORA
			n, fatal := note(u.getJSON(r, s, apiPath("/api/v1/environments", e.Env)+"/dora?days=30", &d), "DORA figures")
			if fatal != nil {
				u.fail(w, r, s, fatal)
				return
			}
			if ep.DORANote = n; n == "" {
				ep.DORA = &d
			}
		}
		ov.Envs = append(ov.Envs, ep)
	}
	u.page(w, r, s, http.StatusOK, "overview", "Overview", "overview", ov)
}

// envRank orders the usual environment names the way they are promoted
// through; other names come after them.
var envRank = map[string]int{"dev": 1, "development": 1, "test": 2, "qa": 2, "staging": 3, "production": 4, "prod": 4}

func envCompare(a, b string) int {
	ra, rb := envRank[a], envRank[b]
	if ra == 0 {
		ra = 5
	}
	if rb == 0 {
		rb = 5
	}
	if ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}
