package osv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KEVFile is the name a known-exploited vulnerabilities catalog has in a
// database folder: CISA's KEV catalog in its JSON feed format, as
// `sluice db import` stores it.
const KEVFile = "known_exploited_vulnerabilities.json"

// maxKEVSize bounds the catalog file (CISA's is about 1.5 MB).
const maxKEVSize = 64 << 20

// Exploited says that a vulnerability is known to be exploited in the
// wild, from a KEV catalog entry.
type Exploited struct {
	CVE       string `json:"cve"`
	DateAdded string `json:"date_added,omitempty"`
	Vendor    string `json:"vendor,omitempty"`
	Product   string `json:"product,omitempty"`
	// Ransomware is true when the catalog knows of use in ransomware
	// campaigns.
	Ransomware bool `json:"ransomware,omitempty"`
}

// kevCatalog is the part of the KEV JSON feed sluice reads.
type kevCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	Vulnerabilities []struct {
		CVEID      string `json:"cveID"`
		Vendor     string `json:"vendorProject"`
		Product    string `json:"product"`
		DateAdded  string `json:"dateAdded"`
		Ransomware string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// IsKEV reports whether data looks like a KEV catalog (rather than an OSV
// record): a JSON object with a catalogVersion and a vulnerabilities list.
func IsKEV(data []byte) bool {
	if !bytes.Contains(data, []byte(`"catalogVersion"`)) {
		return false
	}
	var c kevCatalog
	return json.Unmarshal(data, &c) == nil && c.CatalogVersion != "" && c.Vulnerabilities != nil
}

// ParseKEV reads a KEV catalog into entries by upper-case CVE id.
func ParseKEV(data []byte) (map[string]Exploited, error) {
	var c kevCatalog
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not a known-exploited vulnerabilities catalog: %w", err)
	}
	if c.CatalogVersion == "" || c.Vulnerabilities == nil {
		return nil, fmt.Errorf("not a known-exploited vulnerabilities catalog: no catalogVersion and vulnerabilities")
	}
	out := make(map[string]Exploited, len(c.Vulnerabilities))
	for i, v := range c.Vulnerabilities {
		id := strings.ToUpper(strings.TrimSpace(v.CVEID))
		if !strings.HasPrefix(id, "CVE-") {
			return nil, fmt.Errorf("known-exploited catalog entry %d: cveID %q is not a CVE id", i+1, v.CVEID)
		}
		out[id] = Exploited{CVE: id, DateAdded: v.DateAdded, Vendor: v.Vendor, Product: v.Product,
			Ransomware: strings.EqualFold(v.Ransomware, "known")}
	}
	return out, nil
}

// loadKEV reads the catalog at path; a bad catalog is a load error.
func (db *DB) loadKEV(path string) {
	data, err := readKEV(path)
	if err == nil {
		db.kev, err = ParseKEV(data)
	}
	if err != nil {
		db.errs = append(db.errs, LoadError{Source: path, Err: err})
	}
}

func readKEV(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxKEVSize {
		return nil, fmt.Errorf("%d bytes is more than a known-exploited catalog should be (%d)", info.Size(), maxKEVSize)
	}
	return os.ReadFile(path)
}

// KnownExploited returns the catalog entry of the first of ids (an
// advisory's id and aliases) that the database's KEV catalog lists.
func (db *DB) KnownExploited(ids ...string) (Exploited, bool) {
	for _, id := range ids {
		if e, ok := db.kev[strings.ToUpper(id)]; ok {
			return e, true
		}
	}
	return Exploited{}, false
}

// KEVCount is how many entries the database's KEV catalog has (0: none).
func (db *DB) KEVCount() int { return len(db.kev) }

// importKEV stores a catalog as the database's KEVFile, replacing the
// previous one, after checking it parses.
func importKEV(data []byte, dir string) error {
	if _, err := ParseKEV(data); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".kev-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, KEVFile))
}
