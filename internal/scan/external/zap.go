package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// zapReport is ZAP's traditional-json report (`-J report.json`, the
// "traditional-json" template).
type zapReport struct {
	ProgramName string          `json:"@programName"`
	Version     text            `json:"@version"`
	Site        json.RawMessage `json:"site"`
}

type zapSite struct {
	Name   string            `json:"@name"`
	Alerts []json.RawMessage `json:"alerts"`
}

type zapAlert struct {
	PluginID   text   `json:"pluginid"`
	AlertRef   text   `json:"alertRef"`
	Alert      string `json:"alert"`
	Name       string `json:"name"`
	RiskCode   text   `json:"riskcode"`
	Confidence text   `json:"confidence"`
	Desc       string `json:"desc"`
	Instances  []struct {
		URI      string `json:"uri"`
		Method   string `json:"method"`
		Param    string `json:"param"`
		Attack   string `json:"attack"`
		Evidence string `json:"evidence"`
	} `json:"instances"`
	Solution  string `json:"solution"`
	Reference string `json:"reference"`
	CWEID     text   `json:"cweid"`
	WASCID    text   `json:"wascid"`
}

// zapRisks maps ZAP's riskcode to a severity: 3 (High) high, 2 (Medium)
// medium, 1 (Low) low, 0 (Informational) info. ZAP has no critical.
var zapRisks = map[string]findings.Severity{
	"3": findings.High, "2": findings.Medium, "1": findings.Low, "0": findings.Info,
}

// zapFalsePositive is ZAP's confidence of an alert a user marked as a
// false positive.
const zapFalsePositive = "0"

// importZAP reads ZAP's traditional JSON report: one DAST finding per
// instance of each alert (URL, method and parameter), or one at the site
// when an alert lists no instances. The rule id is the alert's alertRef
// (plugin id, with a variant suffix for some rules). Alerts marked false
// positive (confidence 0) are dropped; the confidence is kept in
// Properties. Descriptions, solutions and references are ZAP's HTML made
// plain text. The evidence, clipped, is the snippet.
func importZAP(data []byte, res *result) error {
	var rep zapReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Site == nil {
		return errors.New(`no "site" member: not a ZAP traditional-json report`)
	}
	sites, err := list(rep.Site)
	if err != nil {
		return errors.New("site: " + describe(err))
	}
	each(res, "site", sites, func(i int, s *zapSite) error {
		each(res, fmt.Sprintf("site[%d].alerts", i), s.Alerts, func(_ int, a *zapAlert) error {
			return zapFindings(res, s, a)
		})
		return nil
	})
	return nil
}

func zapFindings(res *result, s *zapSite, a *zapAlert) error {
	id := firstOf(string(a.AlertRef), string(a.PluginID))
	if id == "" {
		return errors.New("no alertRef or pluginid")
	}
	if string(a.Confidence) == zapFalsePositive {
		return nil
	}
	sev, ok := zapRisks[strings.TrimSpace(string(a.RiskCode))]
	if !ok {
		return fmt.Errorf("riskcode %q: want 0, 1, 2 or 3", string(a.RiskCode))
	}
	base := findings.Finding{
		RuleID:     id,
		Category:   findings.DAST,
		Severity:   sev,
		Title:      firstOf(a.Alert, a.Name, "ZAP alert "+id),
		Message:    clip(plainText(a.Desc), maxText),
		CWE:        cwes(string(a.CWEID)),
		Fix:        clip(plainText(a.Solution), maxText),
		References: uniq(urls(a.Reference)...),
	}
	props := map[string]string{}
	setProp(props, "confidence", zapConfidence(string(a.Confidence)))
	if w := string(a.WASCID); w != "" && w != "-1" && w != "0" {
		props["wasc"] = w
	}
	if len(a.Instances) == 0 {
		f := base
		f.Properties = copyProps(props)
		f.Location.URL = s.Name
		res.add(finish(f))
		return nil
	}
	for _, in := range a.Instances {
		f := base
		f.Properties = copyProps(props)
		f.Location.URL = firstOf(in.URI, s.Name)
		f.Location.Method = strings.ToUpper(strings.TrimSpace(in.Method))
		if _, err := url.Parse(f.Location.URL); err != nil {
			return fmt.Errorf("instance uri %q: %v", in.URI, err)
		}
		setProp(f.Properties, findings.PropParameter, in.Param)
		setProp(f.Properties, "attack", clip(in.Attack, maxText))
		f.Snippet = clip(strings.TrimSpace(in.Evidence), 500)
		res.add(finish(f))
	}
	return nil
}

// zapConfidence names ZAP's confidence levels.
func zapConfidence(c string) string {
	switch strings.TrimSpace(c) {
	case "1":
		return "low"
	case "2":
		return "medium"
	case "3":
		return "high"
	case "4":
		return "confirmed"
	}
	return ""
}

func copyProps(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}
