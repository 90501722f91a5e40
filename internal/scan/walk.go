package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IgnoreFile is the gitignore-style file read at the root of a walk; see
// Patterns for the syntax.
const IgnoreFile = ".sluiceignore"

// DefaultSkip lists the folders a walk never enters unless
// WalkOptions.Skip says otherwise: version-control metadata, sluice's own
// data folder and tool caches. vendor/ and node_modules/ themselves are
// walked: secrets hide there too.
var DefaultSkip = []string{".git", ".sluice", ".hg", ".svn", "node_modules/.cache"}

// WalkOptions tunes Walk. The zero value walks with DefaultSkip and the
// root's .sluiceignore.
type WalkOptions struct {
	// Skip lists folders never entered. An entry without a slash matches a
	// folder of that name at any depth; an entry with a slash matches a
	// folder whose path ends with it ("node_modules/.cache"). nil means
	// DefaultSkip; a non-nil empty slice skips nothing.
	Skip []string
	// Ignore holds extra gitignore-style patterns, applied after those of
	// the root's .sluiceignore (so they win).
	Ignore []string
	// NoIgnoreFile turns off reading IgnoreFile at the root.
	NoIgnoreFile bool
}

// walkCheckEvery is how many entries a walk handles between checks of its
// context.
const walkCheckEvery = 256

// Walk lists every regular file under root worth scanning: paths relative
// to root with forward slashes, sorted.
//
// It never enters the folders of opts.Skip or those ignored by the root's
// .sluiceignore and opts.Ignore, and it never follows symbolic links (to
// folders or files), so a link loop cannot hang it and a link cannot lead
// a scan outside root; a linked file inside root is listed at its real
// path. Problems with single entries — an unreadable folder or file, a
// named pipe, socket or device, an unreadable .sluiceignore — are returned
// as errs, and the walk goes on. err is non-nil only when the walk could
// not run (root missing or not a folder, a malformed pattern) or ctx was
// cancelled; files found until then are returned with it.
func Walk(ctx context.Context, root string, opts WalkOptions) (files []string, errs []InputError, err error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("walk %s: %w", root, err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("walk %s: not a folder", root)
	}
	w := &walker{ctx: ctx, root: root, skip: opts.Skip}
	if w.skip == nil {
		w.skip = DefaultSkip
	}
	w.ignore, w.errs, err = loadIgnore(root, opts)
	if err != nil {
		return nil, nil, err
	}
	err = w.dir("")
	sort.Strings(w.files)
	return w.files, w.errs, err
}

// loadIgnore reads the root's ignore file, if any, and appends opts.Ignore.
func loadIgnore(root string, opts WalkOptions) (*Patterns, []InputError, error) {
	var lines []string
	var errs []InputError
	if !opts.NoIgnoreFile {
		data, err := os.ReadFile(filepath.Join(root, IgnoreFile))
		switch {
		case err == nil:
			p, err := ParsePatterns(IgnoreFile, data)
			if err != nil {
				return nil, nil, fmt.Errorf("walk %s: %w", root, err)
			}
			for _, r := range p.rules {
				lines = append(lines, r.source)
			}
		case errors.Is(err, fs.ErrNotExist):
		default:
			errs = append(errs, NewInputError(IgnoreFile, fmt.Errorf("read ignore file (nothing ignored): %w", err)))
		}
	}
	lines = append(lines, opts.Ignore...)
	p, err := CompilePatterns(lines)
	if err != nil {
		return nil, nil, fmt.Errorf("walk %s: ignore patterns: %w", root, err)
	}
	return p, errs, nil
}

type walker struct {
	ctx    context.Context
	root   string
	skip   []string
	ignore *Patterns
	files  []string
	errs   []InputError
	seen   int
}

// dir walks the folder at rel ("" for the root).
func (w *walker) dir(rel string) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("walk %s: %w", w.root, err)
	}
	abs := filepath.Join(w.root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(abs)
	if err != nil {
		// ReadDir returns what it read before the error; walk those too.
		w.errs = append(w.errs, NewInputError(displayPath(rel), fmt.Errorf("read folder: %w", pathCause(err))))
	}
	for _, e := range entries {
		w.seen++
		if w.seen%walkCheckEvery == 0 {
			if err := w.ctx.Err(); err != nil {
				return fmt.Errorf("walk %s: %w", w.root, err)
			}
		}
		name := e.Name()
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		mode := e.Type()
		switch {
		case mode&fs.ModeSymlink != 0:
			continue
		case mode.IsDir():
			if w.skipped(p, name) || w.ignore.Match(p, true) {
				continue
			}
			if err := w.dir(p); err != nil {
				return err
			}
		case mode.IsRegular():
			if w.ignore.Match(p, false) {
				continue
			}
			if err := readable(filepath.Join(abs, name)); err != nil {
				w.errs = append(w.errs, NewInputError(p, fmt.Errorf("unreadable: %w", err)))
				continue
			}
			w.files = append(w.files, p)
		default:
			if w.ignore.Match(p, false) {
				continue
			}
			w.errs = append(w.errs, NewInputError(p, fmt.Errorf("not a regular file (%s), skipped", modeName(mode))))
		}
	}
	return nil
}

// skipped says whether the folder at p (named name) is in the skip list.
func (w *walker) skipped(p, name string) bool {
	for _, s := range w.skip {
		s = strings.Trim(s, "/")
		if strings.Contains(s, "/") {
			if p == s || strings.HasSuffix(p, "/"+s) {
				return true
			}
		} else if name == s {
			return true
		}
	}
	return false
}

func displayPath(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return m.String()
}

// NewInputError records a problem with the input at path (relative to the
// scanned root). The operation and absolute path of an *fs.PathError are
// dropped: the InputError's Path names the input.
func NewInputError(path string, err error) InputError {
	return InputError{Path: path, Err: pathCause(err).Error()}
}

// pathCause strips the operation and path from a *fs.PathError, which the
// InputError already names.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
