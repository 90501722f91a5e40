package image

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-ci/sluice/internal/sbom"

	_ "modernc.org/sqlite" // the sqlite driver for rpm databases
)

// errRpmNotSQLite is reported for rpm databases in the Berkeley DB or NDB
// formats (CentOS 7, RHEL 7 and 8, openSUSE), which sluice does not read.
var errRpmNotSQLite = errors.New("rpm database not supported (Berkeley DB or NDB format): OS packages not listed; only rpmdb.sqlite (RHEL 9, Fedora 33+, Rocky and AlmaLinux 9) is read")

// parseRpmSQLite reads the packages of an rpmdb.sqlite. SQLite needs a
// file, so the database is written to a temporary one first.
func parseRpmSQLite(ctx context.Context, data []byte, d distro) ([]pkg, error) {
	dir, err := os.MkdirTemp("", "sluice-rpmdb-*")
	if err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	defer os.RemoveAll(dir)
	dbPath := filepath.Join(dir, "rpmdb.sqlite")
	if err := os.WriteFile(dbPath, data, 0o600); err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dbPath), RawQuery: "mode=ro&immutable=1"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT blob FROM Packages")
	if err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	defer rows.Close()
	var out []pkg
	var requires [][][]string
	provides := map[string]int{}
	n := 0
	for rows.Next() {
		n++
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return nil, fmt.Errorf("read rpm database: %w", err)
		}
		h, err := parseRpmHeader(blob)
		if err != nil {
			return nil, fmt.Errorf("read rpm database: package %d: %w", n, err)
		}
		p, ok := rpmPackage(h, d)
		if !ok {
			continue
		}
		provides[p.name] = len(out)
		for _, pr := range h.strings(rpmTagProvideName) {
			if _, ok := provides[pr]; !ok {
				provides[pr] = len(out)
			}
		}
		var reqs [][]string
		for _, r := range h.strings(rpmTagRequireName) {
			if !strings.HasPrefix(r, "rpmlib(") {
				reqs = append(reqs, []string{r})
			}
		}
		requires = append(requires, reqs)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rpm database: %w", err)
	}
	for i, r := range requires {
		out[i].deps = resolveDeps(r, provides, i)
	}
	return out, nil
}

// rpmPackage builds a package from a header; false for the GPG keys rpm
// lists as packages.
func rpmPackage(h rpmHeader, d distro) (pkg, bool) {
	name, ver, rel := h.string(rpmTagName), h.string(rpmTagVersion), h.string(rpmTagRelease)
	if name == "" || ver == "" || name == "gpg-pubkey" {
		return pkg{}, false
	}
	version := ver
	if rel != "" {
		version += "-" + rel
	}
	epoch, hasEpoch := h.int32(rpmTagEpoch)
	full := version
	if hasEpoch && epoch != 0 {
		full = fmt.Sprintf("%d:%s", epoch, version)
	}
	p := pkg{name: name, version: full, ecosystem: d.ecosystem, typ: sbom.Library}
	if l := h.string(rpmTagLicense); l != "" {
		p.licenses = []string{l}
	}
	qual := map[string]string{"arch": h.string(rpmTagArch), "distro": d.purlDistro()}
	if hasEpoch && epoch != 0 {
		qual["epoch"] = fmt.Sprint(epoch)
	}
	if src := rpmSourceName(h.string(rpmTagSourceRPM)); src != "" && src != name {
		qual["upstream"] = h.string(rpmTagSourceRPM)
		p.props = map[string]string{"source_package": src}
	}
	p.purl = sbom.PackageURL("rpm", vendor(d, "redhat"), name, version, qual)
	return p, true
}

// rpmSourceName is the name of a source rpm: "openssl-3.0.7-24.el9.src.rpm"
// → "openssl".
func rpmSourceName(srpm string) string {
	s := strings.TrimSuffix(strings.TrimSuffix(srpm, ".rpm"), ".src")
	s = strings.TrimSuffix(s, ".nosrc")
	for range 2 {
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return ""
		}
		s = s[:i]
	}
	return s
}

// rpm header tags and types sluice reads.
const (
	rpmTagName        = 1000
	rpmTagVersion     = 1001
	rpmTagRelease     = 1002
	rpmTagEpoch       = 1003
	rpmTagLicense     = 1014
	rpmTagArch        = 1022
	rpmTagSourceRPM   = 1044
	rpmTagProvideName = 1047
	rpmTagRequireName = 1049

	rpmTypeInt32       = 4
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9
)

// rpmEntry is one index entry of a header.
type rpmEntry struct {
	typ, count uint32
	offset     int32
}

// rpmHeader is a parsed header blob: the index and the data store.
type rpmHeader struct {
	entries map[int32]rpmEntry
	data    []byte
}

// parseRpmHeader reads a header blob as rpm stores it in its database:
// two big-endian int32 counts (index entries, data bytes), the 16-byte
// index entries (tag, type, offset, count), then the data store.
func parseRpmHeader(blob []byte) (rpmHeader, error) {
	if len(blob) < 8 {
		return rpmHeader{}, errors.New("header too short")
	}
	il, dl := binary.BigEndian.Uint32(blob), binary.BigEndian.Uint32(blob[4:])
	if il == 0 || il > 0xffff || dl > 256<<20 {
		return rpmHeader{}, fmt.Errorf("header has %d entries and %d data bytes", il, dl)
	}
	need := 8 + uint64(il)*16 + uint64(dl)
	if uint64(len(blob)) < need {
		return rpmHeader{}, fmt.Errorf("header of %d bytes is shorter than the %d it declares", len(blob), need)
	}
	h := rpmHeader{entries: make(map[int32]rpmEntry, il), data: blob[8+il*16 : need]}
	for i := range il {
		e := blob[8+i*16:]
		tag := int32(binary.BigEndian.Uint32(e)) // #nosec G115 -- the tag is a signed 32-bit field by the rpm header format
		h.entries[tag] = rpmEntry{
			typ:    binary.BigEndian.Uint32(e[4:]),
			offset: int32(binary.BigEndian.Uint32(e[8:])), // #nosec G115 -- negative offsets are rejected where entries are read
			count:  binary.BigEndian.Uint32(e[12:]),
		}
	}
	return h, nil
}

// strings returns a string, string array or i18n string entry's values;
// nil when the tag is missing or malformed.
func (h rpmHeader) strings(tag int32) []string {
	e, ok := h.entries[tag]
	if !ok || e.offset < 0 || int(e.offset) >= len(h.data) || e.count > 1<<20 {
		return nil
	}
	switch e.typ {
	case rpmTypeString, rpmTypeStringArray, rpmTypeI18NString:
	default:
		return nil
	}
	n := int(e.count)
	if e.typ == rpmTypeString {
		n = 1
	}
	var out []string
	rest := h.data[e.offset:]
	for range n {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			return out
		}
		out = append(out, string(rest[:end]))
		rest = rest[end+1:]
	}
	return out
}

// string returns the first value of a string entry.
func (h rpmHeader) string(tag int32) string {
	if s := h.strings(tag); len(s) > 0 {
		return s[0]
	}
	return ""
}

// int32 returns the first value of an INT32 entry.
func (h rpmHeader) int32(tag int32) (int32, bool) {
	e, ok := h.entries[tag]
	if !ok || e.typ != rpmTypeInt32 || e.count == 0 || e.offset < 0 || int(e.offset)+4 > len(h.data) {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(h.data[e.offset:])), true // #nosec G115 -- INT32 entries are signed by the rpm header format
}
