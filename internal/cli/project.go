package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/pgstore"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

// defaultFiles are tried, in order, when -f is not given.
var defaultFiles = []string{"sluice.yaml", "sluice.yml"}

// findPipelineFile returns the pipeline file to use.
func findPipelineFile(flag string) (string, error) {
	if flag != "" {
		if _, err := os.Stat(flag); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", usageErr("pipeline file %s does not exist", flag)
			}
			return "", usageErr("pipeline file %s: %v", flag, err)
		}
		return flag, nil
	}
	for _, f := range defaultFiles {
		if _, err := os.Stat(f); err == nil {
			return f, nil
		}
	}
	return "", usageErr("no sluice.yaml in this folder (give one with -f FILE; 'sluice demo' shows a complete example)")
}

// dataDir is --data, or .sluice next to the pipeline file (or in the current
// folder when there is none).
func (g *globals) dataDir(pipelineFile string) string {
	if g.data != "" {
		return g.data
	}
	if pipelineFile != "" {
		return filepath.Join(filepath.Dir(pipelineFile), ".sluice")
	}
	if f, err := findPipelineFile(""); err == nil {
		return filepath.Join(filepath.Dir(f), ".sluice")
	}
	return ".sluice"
}

// openStore opens the store and marks runs abandoned by a crashed sluice as
// interrupted, so every command sees a consistent picture.
func (g *globals) openStore(ctx context.Context, dir string) (store.Store, *engine.Engine, error) {
	var (
		st  store.Store
		err error
	)
	if g.database != "" {
		if !strings.HasPrefix(g.database, "postgres://") && !strings.HasPrefix(g.database, "postgresql://") {
			return nil, nil, usageErr("--database: want a postgres:// URL")
		}
		st, err = pgstore.Open(ctx, g.database, pgstore.Options{ArtifactDir: filepath.Join(dir, "artifacts")})
		if err != nil {
			return nil, nil, fmt.Errorf("open the PostgreSQL store: %w", err)
		}
	} else if st, err = sqlstore.Open(ctx, dir); err != nil {
		return nil, nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	eng := engine.New(engine.Options{Store: st, StateDir: dir, Logger: g.logger()})
	if _, err := eng.Recover(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, eng, nil
}

// existingStore opens the store for reading commands; a missing data folder
// is a clear message instead of an empty new store.
func (g *globals) existingStore(ctx context.Context) (store.Store, error) {
	dir := g.dataDir("")
	if _, err := os.Stat(filepath.Join(dir, "sluice.db")); err != nil && g.database == "" {
		return nil, usageErr("no runs here yet: %s does not exist (run 'sluice run', or give --data)", dir)
	}
	st, _, err := g.openStore(ctx, dir)
	return st, err
}

// gitInfo reads the current branch and commit of dir, if it is a git work
// tree. Arguments are passed as argv, never through a shell.
func gitInfo(ctx context.Context, dir string) (branch, commit string) {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--abbrev-ref", "HEAD").Output()
	if err == nil {
		branch = strings.TrimSpace(string(out))
		if branch == "HEAD" {
			branch = ""
		}
	}
	out, err = exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err == nil {
		commit = strings.TrimSpace(string(out))
	}
	return branch, commit
}

// passEnv are the caller's variables every step gets; everything else of
// sluice's own environment is kept from steps unless --pass-env names it.
var passEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM", "SLUICE_VULN_DB"}

func baseEnv(extra []string) map[string]string {
	env := map[string]string{}
	for _, k := range append(append([]string(nil), passEnv...), extra...) {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "0000"
	}
	return hex.EncodeToString(b)
}
