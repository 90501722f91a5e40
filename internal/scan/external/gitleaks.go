package external

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

type gitleaksFinding struct {
	RuleID      string   `json:"RuleID"`
	Description string   `json:"Description"`
	StartLine   int      `json:"StartLine"`
	EndLine     int      `json:"EndLine"`
	StartColumn int      `json:"StartColumn"`
	EndColumn   int      `json:"EndColumn"`
	Match       string   `json:"Match"`
	Secret      string   `json:"Secret"`
	File        string   `json:"File"`
	SymlinkFile string   `json:"SymlinkFile"`
	Commit      string   `json:"Commit"`
	Entropy     number   `json:"Entropy"`
	Tags        []string `json:"Tags"`
	Fingerprint string   `json:"Fingerprint"`
}

// gitleaksRedacted is what `gitleaks --redact` writes instead of secrets.
const gitleaksRedacted = "REDACTED"

// importGitleaks reads gitleaks' JSON report (a list of leaks). gitleaks
// has no severity: every leak is high, the severity sluice's secrets
// scanner gives a generic credential. The secret is never kept: its
// SHA-256 goes to Properties, and the snippet is the match with the
// secret redacted. With `--redact` the secret is unknown and no hash is
// set. The commit of a leak found in history is kept; its author is not.
func importGitleaks(data []byte, res *result) error {
	var raws []json.RawMessage
	if err := decode(data, &raws); err != nil {
		return err
	}
	each(res, "", raws, func(_ int, g *gitleaksFinding) error {
		if g.RuleID == "" {
			return errors.New("no RuleID")
		}
		if g.File == "" && g.Commit == "" {
			return errors.New("no File or Commit: not a gitleaks finding")
		}
		f := findings.Finding{
			RuleID:     g.RuleID,
			Category:   findings.Secrets,
			Severity:   findings.High,
			Title:      firstOf(g.Description, g.RuleID),
			CWE:        []int{798},
			Fix:        "Revoke the secret, remove it from the file and its history, and load it from a secret store.",
			Properties: map[string]string{},
		}
		secret := g.Secret
		if secret == gitleaksRedacted || strings.TrimSpace(secret) == "" {
			secret = ""
		} else {
			f.Properties[findings.PropSecretSHA256] = sha256Hex(secret)
			f.Properties["redacted"] = redactSecret(secret)
		}
		match := g.Match
		if secret == "" && g.Secret != gitleaksRedacted && match != "" {
			// A match without a known secret: the match is the secret.
			f.Properties[findings.PropSecretSHA256] = sha256Hex(match)
			match = redactSecret(match)
		}
		f.Snippet = clip(hideSecret(match, secret), maxText)
		l := &f.Location
		l.Path = res.relPath(g.File)
		l.StartLine, l.EndLine = g.StartLine, max(g.EndLine, g.StartLine)
		l.StartCol, l.EndCol = max(g.StartColumn, 0), max(g.EndColumn, 0)
		setProp(f.Properties, "commit", g.Commit)
		setProp(f.Properties, "symlink", res.relPath(g.SymlinkFile))
		if g.Entropy > 0 {
			f.Properties["entropy"] = strconv.FormatFloat(float64(g.Entropy), 'f', 2, 64)
		}
		if len(g.Tags) > 0 {
			f.Properties["tags"] = strings.Join(g.Tags, ",")
		}
		res.add(finish(f))
		return nil
	})
	return nil
}
