package osv

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// maxReported bounds how many unreadable records an import error lists.
const maxReported = 10

// Import copies OSV data into the database folder dir: a zip archive of
// records, a single JSON record, or a folder holding either at any depth.
// An archive whose records all belong to one ecosystem becomes that
// ecosystem's "<Ecosystem>/all.zip" (replacing the previous one, as an
// Update would); other archives go to "imported/". Loose records are packed
// into "<Ecosystem>/import-<name>.zip" for each ecosystem they affect, so
// that they are indexed too (importing the same source again replaces
// them). The
// ecosystem's age in sluice-db.json becomes the newest record's
// modification time. Unreadable records are skipped; the error then lists
// them after everything readable was imported.
func Import(src, dir string) error {
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("import %s: %w", src, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("import %s: %w", src, err)
	}
	im := &importer{dir: dir, name: safeName(filepath.Base(src)), newest: map[string]time.Time{}, packs: map[string]*pack{}}
	if info.IsDir() {
		err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				im.skip(path, err)
				return nil
			}
			if d.Type().IsRegular() {
				im.file(path)
			}
			return nil
		})
	} else {
		im.file(src)
	}
	im.closePacks()
	if err != nil {
		return fmt.Errorf("import %s: %w", src, err)
	}
	entries := map[string]ecoMeta{}
	for eco, t := range im.newest {
		entries[eco] = ecoMeta{Updated: t, Source: "import " + filepath.Base(src)}
	}
	if err := updateMetadata(dir, entries); err != nil {
		im.errs = append(im.errs, err)
	}
	if im.records == 0 && !im.kev && len(im.errs) == 0 {
		return fmt.Errorf("import %s: no OSV records found", src)
	}
	if len(im.errs) > 0 {
		return fmt.Errorf("import %s: %d imported, %d skipped: %w", src, im.records, im.skipped, errors.Join(im.errs...))
	}
	return nil
}

type importer struct {
	dir     string
	name    string // the import's name, from its source
	records int
	skipped int
	errs    []error
	newest  map[string]time.Time
	packs   map[string]*pack
	kev     bool // a known-exploited catalog was imported
}

// pack is an archive being written for loose records of one ecosystem, so
// that they are indexed like OSV's own archives.
type pack struct {
	tmp  *os.File
	zw   *zip.Writer
	dest string
}

// pack adds a record to its ecosystem's archive.
func (im *importer) pack(eco, name string, data []byte) error {
	p := im.packs[eco]
	if p == nil {
		dest := filepath.Join(im.dir, eco, "import-"+im.name+".zip")
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+"-*")
		if err != nil {
			return err
		}
		p = &pack{tmp: tmp, zw: zip.NewWriter(tmp), dest: dest}
		im.packs[eco] = p
	}
	w, err := p.zw.Create(name)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// closePacks finishes the archives and moves them in place.
func (im *importer) closePacks() {
	for _, p := range im.packs {
		err := p.zw.Close()
		if cerr := p.tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(p.tmp.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(p.tmp.Name(), p.dest)
		}
		if err != nil {
			os.Remove(p.tmp.Name())
			im.errs = append(im.errs, fmt.Errorf("write %s: %w", p.dest, err))
			continue
		}
		indexArchive(p.dest)
	}
}

func (im *importer) skip(source string, err error) {
	im.skipped++
	if len(im.errs) < maxReported {
		im.errs = append(im.errs, LoadError{Source: source, Err: err})
	}
}

// seen notes a record's ecosystems and modification time.
func (im *importer) seen(r *Record) []string {
	im.records++
	mod, err := time.Parse(time.RFC3339, r.Modified)
	if err != nil {
		mod = time.Now().UTC()
	}
	var ecos []string
	for _, a := range r.Affected {
		eco := baseEcosystem(CanonicalEcosystem(a.Package.Ecosystem))
		if !isKnownEcosystem(eco) {
			continue
		}
		if mod.After(im.newest[eco]) {
			im.newest[eco] = mod
		}
		if !slices.Contains(ecos, eco) {
			ecos = append(ecos, eco)
		}
	}
	return ecos
}

func (im *importer) file(path string) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".zip":
		im.zip(path)
	case ".json":
		if filepath.Base(path) == metadataFile {
			return
		}
		if data, err := readKEV(path); err == nil && IsKEV(data) {
			if err := importKEV(data, im.dir); err != nil {
				im.skip(path, err)
				return
			}
			im.kev = true
			return
		}
		data, err := readLimited(path)
		if err != nil {
			im.skip(path, err)
			return
		}
		rec, err := ParseRecord(data)
		if err != nil {
			im.skip(path, err)
			return
		}
		ecos := im.seen(rec)
		if len(ecos) == 0 {
			ecos = []string{"imported"}
		}
		for _, eco := range ecos {
			if err := im.pack(eco, safeName(rec.ID)+".json", data); err != nil {
				im.errs = append(im.errs, err)
				return
			}
		}
	}
}

// zip checks every member of an archive, then copies the archive whole.
func (im *importer) zip(path string) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		im.skip(path, fmt.Errorf("read zip: %w", err))
		return
	}
	ecos := map[string]bool{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		res := parseMember(f)
		if res.err != nil {
			im.skip(path+"!"+f.Name, res.err)
			continue
		}
		for _, eco := range im.seen(res.rec) {
			ecos[eco] = true
		}
	}
	zr.Close()
	dest := filepath.Join(im.dir, "imported", filepath.Base(path))
	if len(ecos) == 1 {
		for eco := range ecos {
			dest = filepath.Join(im.dir, eco, "all.zip")
		}
	}
	if err := copyZip(path, dest); err != nil {
		im.errs = append(im.errs, fmt.Errorf("import %s: %w", path, err))
		return
	}
	indexArchive(dest)
}

func copyZip(src, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = saveZip(io.Reader(f), dest)
	return err
}

// safeName makes an advisory id usable as a file name.
func safeName(id string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, id)
	if strings.HasPrefix(name, ".") {
		name = "_" + name[1:]
	}
	return name
}
