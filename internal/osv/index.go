package osv

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// An archive's index maps (ecosystem, package) to the archive members
// that affect it, so a query parses a handful of records instead of the
// whole archive (npm's holds hundreds of thousands). It is built on the
// first load of an archive, or by Update and Import, and cached beside it
// as ".<archive>.idx", valid while the archive's size and modification
// time are unchanged. A folder sluice cannot write to just keeps the index
// in memory.

// indexArchive builds and caches the index of a freshly written archive,
// so that the first scan after an update does not pay for it. Failing is
// harmless: the next Open builds it.
func indexArchive(path string) {
	if src, err := openZipSource(path); err == nil {
		src.zr.Close()
	}
}

// indexMagic starts the first line of an index file; the number is the
// format version, bumped whenever names are normalized differently.
const indexMagic = "sluice-osv-index 1"

// zipSource is an opened archive with its index.
type zipSource struct {
	path string
	zr   *zip.ReadCloser
	// members lists, per key, indexes into zr.File.
	members map[indexKey][]int
	// bad records members that could not be read: index → error text.
	bad map[int]string
}

// indexPath is where the index of the archive at path is cached.
func indexPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".idx")
}

// openZipSource opens an archive and its index, building the index when
// the cached one is missing or stale.
func openZipSource(path string) (*zipSource, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("read zip: %w", err)
	}
	src := &zipSource{path: path, zr: zr}
	stamp := fmt.Sprintf("%s %d %d %d", indexMagic, fi.Size(), fi.ModTime().UnixNano(), len(zr.File))
	if src.readIndex(stamp) == nil {
		return src, nil
	}
	src.buildIndex()
	_ = src.writeIndex(stamp) // a read-only database folder keeps the index in memory
	return src, nil
}

// buildIndex parses every JSON member; withdrawn records are left out.
func (s *zipSource) buildIndex() {
	s.members = map[indexKey][]int{}
	s.bad = map[int]string{}
	var idx []int
	var files []*zip.File
	for i, f := range s.zr.File {
		if isRecordMember(f) {
			idx = append(idx, i)
			files = append(files, f)
		}
	}
	for j, res := range parseAll(files) {
		i := idx[j]
		if res.err != nil {
			s.bad[i] = res.err.Error()
			continue
		}
		if res.rec.IsWithdrawn() {
			continue
		}
		for _, k := range keysOf(res.rec) {
			s.members[k] = append(s.members[k], i)
		}
	}
}

func isRecordMember(f *zip.File) bool {
	return !f.FileInfo().IsDir() && strings.EqualFold(filepath.Ext(f.Name), ".json")
}

// writeIndex saves the index as text: the stamp line, then one line per
// key "ecosystem TAB name TAB i,j,…", then "! TAB i TAB error" per
// unreadable member. Keys with a tab or newline are not indexable and
// make the index unsavable.
func (s *zipSource) writeIndex(stamp string) error {
	var b bytes.Buffer
	b.WriteString(stamp + "\n")
	keys := make([]indexKey, 0, len(s.members))
	for k := range s.members {
		if strings.ContainsAny(k.eco+k.name, "\t\n\r") {
			return fmt.Errorf("index %s: package name %q cannot be saved", s.path, k.name)
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b indexKey) int { return strings.Compare(a.eco+"\t"+a.name, b.eco+"\t"+b.name) })
	for _, k := range keys {
		b.WriteString(k.eco + "\t" + k.name + "\t")
		for j, i := range s.members[k] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(i))
		}
		b.WriteByte('\n')
	}
	for i, msg := range s.bad {
		msg, _ := json.Marshal(msg)
		fmt.Fprintf(&b, "!\t%d\t%s\n", i, msg)
	}
	return writeFileAtomic(indexPath(s.path), b.Bytes())
}

// readIndex loads the cached index if its stamp matches.
func (s *zipSource) readIndex(stamp string) error {
	f, err := os.Open(indexPath(s.path))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	if !sc.Scan() || sc.Text() != stamp {
		return fmt.Errorf("index of %s is stale", s.path)
	}
	members := map[indexKey][]int{}
	bad := map[int]string{}
	n := len(s.zr.File)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			return fmt.Errorf("index of %s: bad line", s.path)
		}
		if parts[0] == "!" {
			i, err := strconv.Atoi(parts[1])
			var msg string
			if err != nil || i < 0 || i >= n || json.Unmarshal([]byte(parts[2]), &msg) != nil {
				return fmt.Errorf("index of %s: bad line", s.path)
			}
			bad[i] = msg
			continue
		}
		var idx []int
		for f := range strings.SplitSeq(parts[2], ",") {
			i, err := strconv.Atoi(f)
			if err != nil || i < 0 || i >= n {
				return fmt.Errorf("index of %s: bad member %q", s.path, f)
			}
			idx = append(idx, i)
		}
		members[indexKey{parts[0], parts[1]}] = idx
	}
	if err := sc.Err(); err != nil {
		return err
	}
	s.members, s.bad = members, bad
	return nil
}

// errors lists the unreadable members in archive order.
func (s *zipSource) errors() []LoadError {
	idx := make([]int, 0, len(s.bad))
	for i := range s.bad {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]LoadError, 0, len(idx))
	for _, i := range idx {
		out = append(out, LoadError{Source: s.path + "!" + s.zr.File[i].Name, Err: memberError(s.bad[i])})
	}
	return out
}

type memberError string

func (e memberError) Error() string { return string(e) }

// ecosystems lists the base ecosystems the archive has records for.
func (s *zipSource) ecosystems() []string {
	var out []string
	for k := range s.members {
		if !slices.Contains(out, k.eco) {
			out = append(out, k.eco)
		}
	}
	return out
}

// memberFiles returns the members indexed under key.
func (s *zipSource) memberFiles(key indexKey) []*zip.File {
	idx := s.members[key]
	files := make([]*zip.File, len(idx))
	for j, i := range idx {
		files[j] = s.zr.File[i]
	}
	return files
}

// recordFiles returns every readable record member.
func (s *zipSource) recordFiles() []*zip.File {
	var files []*zip.File
	for i, f := range s.zr.File {
		if isRecordMember(f) && s.bad[i] == "" {
			files = append(files, f)
		}
	}
	return files
}

// count is the number of indexed (readable, not withdrawn) records.
func (s *zipSource) count() int {
	seen := map[int]bool{}
	for _, idx := range s.members {
		for _, i := range idx {
			seen[i] = true
		}
	}
	return len(seen)
}
