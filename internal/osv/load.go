package osv

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// maxRecordSize bounds one record; OSV's largest are a few hundred KB.
const maxRecordSize = 16 << 20

// loadFile opens one archive or reads one JSON record, recording problems
// in db.errs. db.mu must be held, or Open running.
func (db *DB) loadFile(path string) {
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		z, err := openZipSource(path)
		if err != nil {
			db.errs = append(db.errs, LoadError{Source: path, Err: err})
			return
		}
		db.zips = append(db.zips, z)
		db.errs = append(db.errs, z.errors()...)
		for _, eco := range z.ecosystems() {
			db.ecos[eco] = true
		}
		return
	}
	data, err := readLimited(path)
	if err != nil {
		db.errs = append(db.errs, LoadError{Source: path, Err: err})
		return
	}
	rec, err := ParseRecord(data)
	if err != nil {
		db.errs = append(db.errs, LoadError{Source: path, Err: err})
		return
	}
	if !rec.IsWithdrawn() {
		db.loose[rec.ID] = true
	}
	db.add(rec)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f)
}

func readAllLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("record larger than %d bytes", maxRecordSize)
	}
	return data, nil
}

// parsed is the outcome of reading one zip member.
type parsed struct {
	rec *Record
	err error
}

func parseMember(f *zip.File) parsed {
	if f.UncompressedSize64 > maxRecordSize {
		return parsed{err: fmt.Errorf("record larger than %d bytes", maxRecordSize)}
	}
	rc, err := f.Open()
	if err != nil {
		return parsed{err: err}
	}
	defer rc.Close()
	data, err := readAllLimited(rc)
	if err != nil {
		return parsed{err: err}
	}
	rec, err := ParseRecord(data)
	return parsed{rec: rec, err: err}
}

// parseAll parses archive members, on all cores when there are many;
// results are in the order of files.
func parseAll(files []*zip.File) []parsed {
	out := make([]parsed, len(files))
	if len(files) <= 8 {
		for i, f := range files {
			out[i] = parseMember(f)
		}
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int, 64)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i] = parseMember(files[i])
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
