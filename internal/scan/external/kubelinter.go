package external

import (
	"encoding/json"
	"errors"

	"github.com/sluice-ci/sluice/internal/findings"
)

// kubeLinterReport is `kube-linter lint --format json`; Reports is null
// when every check passed.
type kubeLinterReport struct {
	Checks  []json.RawMessage `json:"Checks"`
	Reports []json.RawMessage `json:"Reports"`
	Summary *struct {
		ChecksStatus string `json:"ChecksStatus"`
	} `json:"Summary"`
}

type kubeLinterEntry struct {
	Diagnostic struct {
		Message string `json:"Message"`
	} `json:"Diagnostic"`
	Check       string `json:"Check"`
	Remediation string `json:"Remediation"`
	Object      struct {
		Metadata struct {
			FilePath string `json:"FilePath"`
		} `json:"Metadata"`
		K8sObject struct {
			Namespace        string `json:"Namespace"`
			Name             string `json:"Name"`
			GroupVersionKind struct {
				Kind string `json:"Kind"`
			} `json:"GroupVersionKind"`
		} `json:"K8sObject"`
	} `json:"Object"`
}

// kubeLinterChecks gives kube-linter's checks, which have no severity of
// their own, a severity and CWE: high for what lets a container take over
// its node or the cluster, low for reliability hygiene, medium for the
// rest (and for checks not listed).
var kubeLinterChecks = map[string]struct {
	sev findings.Severity
	cwe int
}{
	"privileged-container":             {findings.High, 250},
	"privilege-escalation-container":   {findings.High, 269},
	"host-network":                     {findings.High, 668},
	"host-pid":                         {findings.High, 668},
	"host-ipc":                         {findings.High, 668},
	"docker-sock":                      {findings.High, 250},
	"sensitive-host-mounts":            {findings.High, 668},
	"writable-host-mount":              {findings.High, 668},
	"cluster-admin-role-binding":       {findings.High, 269},
	"access-to-create-pods":            {findings.High, 269},
	"access-to-secrets":                {findings.High, 269},
	"wildcard-in-rules":                {findings.High, 732},
	"env-var-secret":                   {findings.High, 798},
	"read-secret-from-env-var":         {findings.Medium, 526},
	"run-as-non-root":                  {findings.Medium, 250},
	"no-read-only-root-fs":             {findings.Medium, 732},
	"unsafe-proc-mount":                {findings.Medium, 668},
	"unsafe-sysctls":                   {findings.Medium, 668},
	"drop-net-raw-capability":          {findings.Medium, 250},
	"latest-tag":                       {findings.Medium, 1357},
	"ssh-port":                         {findings.Medium, 284},
	"default-service-account":          {findings.Medium, 284},
	"unset-cpu-requirements":           {findings.Low, 770},
	"unset-memory-requirements":        {findings.Low, 770},
	"no-liveness-probe":                {findings.Low, 0},
	"no-readiness-probe":               {findings.Low, 0},
	"no-anti-affinity":                 {findings.Low, 0},
	"dangling-service":                 {findings.Low, 0},
	"non-existent-service-account":     {findings.Low, 0},
	"deprecated-service-account-field": {findings.Low, 0},
	"mismatching-selector":             {findings.Low, 0},
	"minimum-three-replicas":           {findings.Low, 0},
	"no-rolling-update-strategy":       {findings.Low, 0},
	"required-annotation-email":        {findings.Info, 0},
	"required-label-owner":             {findings.Info, 0},
}

// importKubeLinter reads kube-linter's JSON report. kube-linter gives no
// severity and no line: severities come from kubeLinterChecks, and the
// location is the file with the object as resource ("Deployment/web").
func importKubeLinter(data []byte, res *result) error {
	var rep kubeLinterReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Reports == nil && rep.Checks == nil && rep.Summary == nil {
		return errors.New(`no "Reports" member: not a kube-linter JSON report`)
	}
	each(res, "Reports", rep.Reports, func(_ int, e *kubeLinterEntry) error {
		if e.Check == "" {
			return errors.New("no Check")
		}
		f := findings.Finding{
			RuleID:     e.Check,
			Category:   findings.IaC,
			Title:      firstOf(e.Diagnostic.Message, e.Check),
			Fix:        e.Remediation,
			References: []string{"https://docs.kubelinter.io/#/generated/checks?id=" + e.Check},
			Properties: map[string]string{},
		}
		f.Severity = findings.Medium
		if c, ok := kubeLinterChecks[e.Check]; ok {
			f.Severity = c.sev
			if c.cwe > 0 {
				f.CWE = []int{c.cwe}
			}
		}
		o := e.Object.K8sObject
		l := &f.Location
		l.Path = res.relPath(e.Object.Metadata.FilePath)
		switch {
		case o.GroupVersionKind.Kind != "" && o.Name != "":
			l.Resource = o.GroupVersionKind.Kind + "/" + o.Name
		default:
			l.Resource = firstOf(o.Name, o.GroupVersionKind.Kind)
		}
		setProp(f.Properties, "namespace", o.Namespace)
		res.add(finish(f))
		return nil
	})
	return nil
}
