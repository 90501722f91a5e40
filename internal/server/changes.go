package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/store"
)

// maxCommitsListed bounds the commit subjects an approval's evidence
// lists; gitTimeout bounds each git command reading them.
const (
	maxCommitsListed = 20
	gitTimeout       = 5 * time.Second
)

// hexCommit is a commit hash, abbreviated or not: the only text ever put
// in a git argument or a compare link from a run.
var hexCommit = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// liveJSON is the release live in an environment, with the run it came
// from when that run is of the same project.
type liveJSON struct {
	Release   string    `json:"release"`
	Version   string    `json:"version"`
	State     string    `json:"state"`
	Since     time.Time `json:"since"`
	Run       string    `json:"run,omitempty"`
	RunNumber int64     `json:"run_number,omitempty"`
	Commit    string    `json:"commit,omitempty"`
	Branch    string    `json:"branch,omitempty"`
}

// commitJSON is one commit of a range.
type commitJSON struct {
	Commit  string `json:"commit"`
	Subject string `json:"subject"`
}

// changesJSON is what a release of a run changes against the release
// live in the environment.
type changesJSON struct {
	// Commit and Branch are the run's.
	Commit string `json:"commit,omitempty"`
	Branch string `json:"branch,omitempty"`
	// Live is the live release (nil when none; LiveNote says why, or
	// why its commit is unknown).
	Live     *liveJSON `json:"live,omitempty"`
	LiveNote string    `json:"live_note,omitempty"`
	// SameCommit is set when the run is at the live release's commit.
	SameCommit bool `json:"same_commit,omitempty"`
	// Range is "LIVE..RUN", the commits git log would show; CompareURL
	// the forge's page comparing the two, when the project's repository
	// is on a forge sluice knows.
	Range      string `json:"range,omitempty"`
	CompareURL string `json:"compare_url,omitempty"`
	// Ahead and Behind count the commits the run has that the live
	// release has not, and the other way round; Commits lists the first
	// of those ahead, newest first. All three come from the server's
	// mirror of the repository; CommitsNote says why they are missing.
	Ahead       *int         `json:"ahead,omitempty"`
	Behind      *int         `json:"behind,omitempty"`
	Commits     []commitJSON `json:"commits,omitempty"`
	CommitsNote string       `json:"commits_note,omitempty"`
}

// changes compares run with the release live in env.
func (s *Server) changes(ctx context.Context, run *store.Run, env string) (*changesJSON, error) {
	out := &changesJSON{Commit: run.Commit, Branch: run.Branch}
	live, note, err := s.liveRelease(ctx, env, run.Project)
	if err != nil {
		return nil, err
	}
	out.Live, out.LiveNote = live, note
	if live == nil || live.Commit == "" {
		return out, nil
	}
	from, to := live.Commit, run.Commit
	if !hexCommit.MatchString(from) || !hexCommit.MatchString(to) {
		out.CommitsNote = "The commits are not both commit hashes, so they cannot be compared."
		return out, nil
	}
	if from == to {
		out.SameCommit = true
		return out, nil
	}
	out.Range = from + ".." + to
	p, err := s.o.Store.Control().GetProject(ctx, run.Project)
	switch {
	case errors.Is(err, store.ErrNotFound):
		out.CommitsNote = "The run's project is not registered any more."
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("project %s: %w", run.Project, err)
	}
	out.CompareURL = compareURL(p.Repo, from, to)
	out.Commits, out.Ahead, out.Behind, out.CommitsNote = s.commitsBetween(ctx, p.Name, from, to)
	return out, nil
}

// liveRelease returns the release live in env, with its run's commit and
// branch when the run is of project; else nil or a release without a
// commit, and a note saying why.
func (s *Server) liveRelease(ctx context.Context, env, project string) (*liveJSON, string, error) {
	es, err := s.o.Store.Releases().GetEnv(ctx, env)
	if errors.Is(err, store.ErrNotFound) || err == nil && es.Live == "" {
		return nil, fmt.Sprintf("Nothing is live in %s yet.", env), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("environment %s: %w", env, err)
	}
	rel, err := s.o.Store.Releases().GetRelease(ctx, es.Live)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Sprintf("The release live in %s is not in the store.", env), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("release %s: %w", es.Live, err)
	}
	live := &liveJSON{Release: rel.ID, Version: rel.Version, State: rel.State, Since: rel.CreatedAt}
	if rel.RunID == "" {
		return live, "The live release was deployed by hand, not by a run, so its commit is unknown.", nil
	}
	lr, err := s.o.Store.Runs().GetRun(ctx, rel.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return live, "The run of the live release is not in the store any more, so its commit is unknown.", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("run %s: %w", rel.RunID, err)
	}
	if lr.Project != project {
		// Another project's run: its commits mean nothing here, and the
		// key may not read them.
		return live, "The live release comes from another project.", nil
	}
	live.Run, live.RunNumber, live.Commit, live.Branch = lr.ID, lr.Number, lr.Commit, lr.Branch
	if live.Commit == "" {
		return live, "The run of the live release recorded no commit.", nil
	}
	return live, "", nil
}

// mirrorDir is the bare mirror of project's repository the scheduler
// keeps up to date (fetched every minute by the scheduling server).
func mirrorDir(dataDir, project string) string {
	return filepath.Join(dataDir, "mirrors", project+".git")
}

// commitsBetween reads from the project's mirror the commits of to that
// from lacks (at most maxCommitsListed, newest first) and how many there
// are each way. It never fails: when it cannot tell, the note says why.
// Both commits are hashes (hexCommit), the only arguments not fixed.
func (s *Server) commitsBetween(ctx context.Context, project, from, to string) ([]commitJSON, *int, *int, string) {
	if !hexCommit.MatchString(from) || !hexCommit.MatchString(to) {
		return nil, nil, nil, "The commits are not both commit hashes."
	}
	mirror := mirrorDir(s.o.DataDir, project)
	if fi, err := os.Stat(mirror); s.o.DataDir == "" || err != nil || !fi.IsDir() {
		return nil, nil, nil, "This server keeps no copy of the repository yet, so the commits are not listed."
	}
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	counts, err := mirrorGit(ctx, mirror, "rev-list", "--left-right", "--count", from+"..."+to)
	var behind, ahead int
	if err == nil {
		_, err = fmt.Sscanf(counts, "%d\t%d", &behind, &ahead)
	}
	if err != nil {
		return nil, nil, nil, "This server's copy of the repository does not have both commits (yet), so the commits are not listed."
	}
	log, err := mirrorGit(ctx, mirror, "log", "--no-show-signature", "--format=%H%x1f%s", "-n", strconv.Itoa(maxCommitsListed), from+".."+to)
	if err != nil {
		return nil, &ahead, &behind, "The commits could not be listed."
	}
	var list []commitJSON
	for _, line := range strings.Split(log, "\n") {
		hash, subject, ok := strings.Cut(line, "\x1f")
		if !ok || !hexCommit.MatchString(hash) {
			continue
		}
		list = append(list, commitJSON{Commit: hash, Subject: clip(subject, 200)})
	}
	return list, &ahead, &behind, ""
}

// mirrorGit runs git on a bare repository with fixed arguments (no
// shell, no prompt) and returns its output without the last newline.
func mirrorGit(ctx context.Context, gitDir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--git-dir=" + gitDir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimRight(out.String(), "\n"), nil
}

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// repoSegment is one segment of a repository's path on a forge.
var repoSegment = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// scpLike is git's scp-like repository location: [user@]host:path.
var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9_.-]+@)?([A-Za-z0-9][A-Za-z0-9.-]*):/?([^:]+)$`)

// compareURL returns the page of repo's forge comparing commit from with
// to — …/compare/FROM...TO on GitHub, Gitea and Forgejo, …/-/compare/
// on GitLab — or "" when repo is not on a forge known by its host name
// (github, gitlab, gitea, forgejo in it, or codeberg.org) or the commits
// are not hashes. repo is an https or http URL (credentials, query and
// fragment dropped), git@host:owner/repo or ssh://git@host/owner/repo
// (both shown as https on the same host).
func compareURL(repo, from, to string) string {
	if !hexCommit.MatchString(from) || !hexCommit.MatchString(to) {
		return ""
	}
	scheme, host, path := "https", "", ""
	if u, err := url.Parse(repo); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "ssh") {
		host, path = u.Host, u.Path
		if u.Scheme == "ssh" {
			host = u.Hostname() // the web does not listen on SSH's port
		} else {
			scheme = u.Scheme
		}
	} else if m := scpLike.FindStringSubmatch(repo); m != nil && !strings.Contains(repo, "://") {
		host, path = m[1], m[2]
	}
	if host == "" {
		return ""
	}
	segs := strings.Split(strings.TrimSuffix(strings.Trim(path, "/"), ".git"), "/")
	for _, s := range segs {
		if !repoSegment.MatchString(s) || s == "." || s == ".." {
			return ""
		}
	}
	base := scheme + "://" + host + "/" + strings.Join(segs, "/")
	switch name := strings.ToLower(host); {
	case strings.Contains(name, "gitlab"):
		if len(segs) >= 2 {
			return base + "/-/compare/" + from + "..." + to
		}
	case strings.Contains(name, "github"), strings.Contains(name, "gitea"), strings.Contains(name, "forgejo"), name == "codeberg.org":
		if len(segs) == 2 {
			return base + "/compare/" + from + "..." + to
		}
	}
	return ""
}
