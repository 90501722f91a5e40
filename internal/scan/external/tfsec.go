package external

import (
	"encoding/json"
	"errors"

	"github.com/sluice-ci/sluice/internal/findings"
)

// tfsecReport is `tfsec --format json`; results is null when nothing
// failed.
type tfsecReport struct {
	Results *[]json.RawMessage `json:"results"`
}

type tfsecResult struct {
	RuleID          string   `json:"rule_id"`
	LongID          string   `json:"long_id"`
	LegacyRuleID    string   `json:"legacy_rule_id"`
	RuleDescription string   `json:"rule_description"`
	RuleProvider    string   `json:"rule_provider"`
	RuleService     string   `json:"rule_service"`
	Impact          string   `json:"impact"`
	Resolution      string   `json:"resolution"`
	Links           []string `json:"links"`
	Description     string   `json:"description"`
	Severity        string   `json:"severity"`
	Status          *number  `json:"status"`
	Resource        string   `json:"resource"`
	Location        struct {
		Filename  string `json:"filename"`
		StartLine int    `json:"start_line"`
		EndLine   int    `json:"end_line"`
	} `json:"location"`
}

// tfsec's statuses of a result: failed, passed, and ignored by an inline
// tfsec:ignore comment.
const (
	tfsecFailed  = 0
	tfsecIgnored = 2
)

// importTfsec reads tfsec's JSON report. Failed results (status 0 or
// none) are findings; ignored ones (status 2, turned off by a
// tfsec:ignore comment and listed with --include-ignored) are findings
// marked InlineIgnored, as sluice's own Terraform scanner marks what
// such a comment turns off; passed ones are not. Severity is tfsec's
// (CRITICAL … LOW as named). The rule id is tfsec's AVD id; its long id
// ("aws-s3-block-public-acls") is the rule name.
func importTfsec(data []byte, res *result) error {
	var rep tfsecReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Results == nil {
		if topKind(data) == '{' && jsonHasKey(data, "results") {
			return nil // "results": null — nothing failed
		}
		return errors.New(`no "results" member: not a tfsec JSON report`)
	}
	each(res, "results", *rep.Results, func(_ int, t *tfsecResult) error {
		id := firstOf(t.RuleID, t.LongID, t.LegacyRuleID)
		if id == "" {
			return errors.New("no rule_id or long_id")
		}
		ignored := t.Status != nil && t.Status.Int() == tfsecIgnored
		if t.Status != nil && t.Status.Int() != tfsecFailed && !ignored {
			return nil
		}
		f := findings.Finding{
			InlineIgnored: ignored,
			RuleID:        id,
			RuleName:      t.LongID,
			Category:      findings.IaC,
			Title:         firstOf(t.RuleDescription, t.Description, id),
			Message:       firstOf(t.Description, t.Impact),
			Fix:           t.Resolution,
			References:    uniq(t.Links...),
			Properties:    map[string]string{},
		}
		if f.Message == f.Title {
			f.Message = ""
		}
		f.Severity, _ = severityWord(t.Severity)
		l := &f.Location
		l.Path = res.relPath(t.Location.Filename)
		l.StartLine = t.Location.StartLine
		l.EndLine = max(t.Location.EndLine, t.Location.StartLine)
		l.Resource = t.Resource
		setProp(f.Properties, "impact", t.Impact)
		setProp(f.Properties, "legacy_rule_id", t.LegacyRuleID)
		setProp(f.Properties, "provider", t.RuleProvider)
		setProp(f.Properties, "service", t.RuleService)
		res.add(finish(f))
		return nil
	})
	return nil
}

// jsonHasKey says whether the object in data has the top-level member key.
func jsonHasKey(data []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}
