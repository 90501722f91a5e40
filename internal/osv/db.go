package osv

import (
	"archive/zip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DB is an offline OSV database opened from a folder. Files in a folder
// named after an ecosystem (OSV's "<Ecosystem>/all.zip" layout) are opened
// on the first query for that ecosystem; other files by Open. Archives are
// indexed (see index.go), so a query parses only the records of the
// package asked about. A DB is safe for concurrent use; Close releases
// the archives.
type DB struct {
	dir  string
	meta metadata

	mu sync.Mutex
	// lazy holds, per base ecosystem, the files not loaded yet.
	lazy map[string][]string
	// fileTime is the newest modification time of each ecosystem's files,
	// the DB age when sluice-db.json has no entry for the ecosystem.
	fileTime map[string]time.Time
	zips     []*zipSource
	keyLoads map[indexKey]*keyLoad
	loose    map[string]bool
	byID     map[string]*Record
	index    map[indexKey][]*Record
	ecos     map[string]bool
	errs     []LoadError
	loaded   int
	// kev holds the known-exploited catalog by CVE id (nil: none).
	kev map[string]Exploited
}

type indexKey struct{ eco, name string }

// LoadError is a record, archive member or file that could not be read.
// Loading goes on without it.
type LoadError struct {
	// Source is the file, or "archive.zip!member.json" for a zip member.
	Source string
	Err    error
}

func (e LoadError) Error() string { return e.Source + ": " + e.Err.Error() }

// metadataFile is the name of the file in a DB folder that records when
// each ecosystem was updated.
const metadataFile = "sluice-db.json"

// Open opens the OSV database in dir: OSV JSON records at any depth and
// zip archives of them (OSV's "<Ecosystem>/all.zip" or any *.zip). Files
// that cannot be read are reported by Errors, not returned as an error;
// Open fails only when dir itself cannot be read.
func Open(dir string) (*DB, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open vulnerability database: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("open vulnerability database %s: not a folder", dir)
	}
	db := newDB(dir)
	meta, err := readMetadata(dir)
	if err != nil {
		db.errs = append(db.errs, LoadError{Source: filepath.Join(dir, metadataFile), Err: err})
	}
	db.meta = meta
	var eager []string
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			db.errs = append(db.errs, LoadError{Source: path, Err: err})
			if d != nil && d.IsDir() && path != dir {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(name, ".") || name == metadataFile {
			return nil
		}
		if name == KEVFile && filepath.Dir(path) == dir {
			db.loadKEV(path)
			return nil
		}
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".zip" && ext != ".json" {
			return nil
		}
		eco := filepath.Base(filepath.Dir(path))
		if filepath.Dir(path) == dir || !isKnownEcosystem(eco) {
			eager = append(eager, path)
			return nil
		}
		eco = baseEcosystem(eco)
		db.lazy[eco] = append(db.lazy[eco], path)
		db.ecos[eco] = true
		if fi, err := d.Info(); err == nil && fi.ModTime().After(db.fileTime[eco]) {
			db.fileTime[eco] = fi.ModTime()
		}
		return nil
	})
	if walkErr != nil {
		return nil, fmt.Errorf("open vulnerability database %s: %w", dir, walkErr)
	}
	for _, path := range eager {
		db.loadFile(path)
	}
	return db, nil
}

func newDB(dir string) *DB {
	return &DB{
		dir:      dir,
		lazy:     map[string][]string{},
		fileTime: map[string]time.Time{},
		keyLoads: map[indexKey]*keyLoad{},
		loose:    map[string]bool{},
		byID:     map[string]*Record{},
		index:    map[indexKey][]*Record{},
		ecos:     map[string]bool{},
		meta:     metadata{Ecosystems: map[string]ecoMeta{}},
	}
}

// Dir is the folder the database was opened from.
func (db *DB) Dir() string { return db.dir }

// Errors returns the files, archive members and records that could not be
// read so far (lazily loaded ecosystems add theirs when first queried).
func (db *DB) Errors() []LoadError {
	db.mu.Lock()
	defer db.mu.Unlock()
	return slices.Clone(db.errs)
}

// Ecosystems lists the base ecosystems the database holds records for,
// sorted.
func (db *DB) Ecosystems() []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	out := make([]string, 0, len(db.ecos))
	for e := range db.ecos {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// HasEcosystem says whether the database holds records for ecosystem (its
// release suffix ignored).
func (db *DB) HasEcosystem(ecosystem string) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.ecos[baseEcosystem(CanonicalEcosystem(ecosystem))]
}

// Empty says whether the database holds no records at all.
func (db *DB) Empty() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.ecos) == 0
}

// Len is the number of records loaded so far, withdrawn ones included.
func (db *DB) Len() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.loaded
}

// Count is the number of advisories the database holds, withdrawn ones
// left out; it opens every ecosystem's archives (reading their cached
// indexes, not their records). An advisory present in two files counts
// twice.
func (db *DB) Count() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	for eco := range db.lazy {
		db.ensureLoaded(eco)
	}
	n := len(db.loose)
	for _, z := range db.zips {
		n += z.count()
	}
	return n
}

// Updated is when the ecosystem's data was last updated: the time
// recorded by Update or Import, else the newest modification time of its
// files; zero when unknown.
func (db *DB) Updated(ecosystem string) time.Time {
	eco := baseEcosystem(CanonicalEcosystem(ecosystem))
	if e, ok := db.meta.Ecosystems[eco]; ok && !e.Updated.IsZero() {
		return e.Updated
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.fileTime[eco]
}

// Preload opens the named ecosystems now instead of on their first query
// (with none named, all of them) and parses every record of the opened
// archives.
func (db *DB) Preload(ecosystems ...string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if len(ecosystems) == 0 {
		for eco := range db.lazy {
			ecosystems = append(ecosystems, eco)
		}
	}
	for _, eco := range ecosystems {
		db.ensureLoaded(baseEcosystem(CanonicalEcosystem(eco)))
	}
	for _, z := range db.zips {
		db.addParsed(z, z.recordFiles())
	}
}

// Close closes the archives. Queries after Close find nothing new.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	var first error
	for _, z := range db.zips {
		if err := z.zr.Close(); err != nil && first == nil {
			first = fmt.Errorf("close %s: %w", z.path, err)
		}
	}
	db.zips = nil
	db.lazy = map[string][]string{}
	return first
}

// ensureLoaded opens the ecosystem's pending files. db.mu must be held.
func (db *DB) ensureLoaded(eco string) {
	files := db.lazy[eco]
	if len(files) == 0 {
		return
	}
	delete(db.lazy, eco)
	for _, path := range files {
		db.loadFile(path)
	}
}

// keyLoad serializes the parsing of one package's records: the first
// query parses them, concurrent queries for the same package wait, and
// queries for other packages go on in parallel.
type keyLoad struct {
	mu sync.Mutex
	// done counts the archives (a prefix of db.zips) already parsed.
	done int
}

// lookup returns the records indexed under key, first parsing the archive
// members that hold it. db.mu must not be held: parsing runs without it.
func (db *DB) lookup(key indexKey) []*Record {
	db.mu.Lock()
	kl := db.keyLoads[key]
	if kl == nil {
		kl = &keyLoad{}
		db.keyLoads[key] = kl
	}
	zips := db.zips
	db.mu.Unlock()

	kl.mu.Lock()
	for ; kl.done < len(zips); kl.done++ {
		z := zips[kl.done]
		db.addParsed(z, z.memberFiles(key))
	}
	kl.mu.Unlock()

	db.mu.Lock()
	defer db.mu.Unlock()
	return slices.Clone(db.index[key])
}

// addParsed parses archive members without holding db.mu, then indexes
// them.
func (db *DB) addParsed(z *zipSource, files []*zip.File) {
	if len(files) == 0 {
		return
	}
	results := parseAll(files)
	db.mu.Lock()
	defer db.mu.Unlock()
	for i, res := range results {
		if res.err != nil {
			db.errs = append(db.errs, LoadError{Source: z.path + "!" + files[i].Name, Err: res.err})
			continue
		}
		db.add(res.rec)
	}
}

// add indexes one record. When two files hold the same advisory, the
// more recently modified copy wins. db.mu must be held, or Open running.
func (db *DB) add(r *Record) {
	db.loaded++
	if old, ok := db.byID[r.ID]; ok {
		if old.Modified >= r.Modified {
			return
		}
		db.unindex(old)
	}
	db.byID[r.ID] = r
	for _, a := range r.Affected {
		eco := baseEcosystem(CanonicalEcosystem(a.Package.Ecosystem))
		db.ecos[eco] = true
	}
	if r.IsWithdrawn() {
		return
	}
	for _, k := range keysOf(r) {
		db.index[k] = append(db.index[k], r)
	}
}

func (db *DB) unindex(r *Record) {
	for _, k := range keysOf(r) {
		db.index[k] = slices.DeleteFunc(db.index[k], func(x *Record) bool { return x == r })
	}
}

// keysOf lists the distinct index keys of a record's affected packages.
func keysOf(r *Record) []indexKey {
	var keys []indexKey
	for _, a := range r.Affected {
		eco := baseEcosystem(CanonicalEcosystem(a.Package.Ecosystem))
		k := indexKey{eco, NormalizeName(eco, a.Package.Name)}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}
