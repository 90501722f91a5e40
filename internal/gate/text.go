package gate

import (
	"fmt"
	"io"
	"strings"
)

// Summary is the decision in one line: the outcome and its first reason.
func (d Decision) Summary() string {
	for _, r := range d.Reasons {
		if r.Effect == d.Outcome {
			return r.Message
		}
	}
	if len(d.Reasons) > 0 {
		return d.Reasons[0].Message
	}
	return "no finding breaks the policy"
}

// WriteText writes the decision for a person at a terminal or in a log:
// the outcome, every reason, the blocking findings with why and how to
// fix or suppress each, what was suppressed by whom, and the stale and
// expired suppressions.
func (d Decision) WriteText(w io.Writer) {
	fmt.Fprintf(w, "gate %s: %s\n", d.Env, strings.ToUpper(string(d.Outcome)))
	for _, r := range d.Reasons {
		fmt.Fprintf(w, "  - [%s] %s\n", r.Kind, r.Message)
	}
	if d.Outcome == Pass {
		fmt.Fprintf(w, "  %d %s judged, none breaks the policy; %d suppressed\n", d.Judged, plural(d.Judged, "finding"), len(d.Suppressed))
	}
	if len(d.Blocking) > 0 {
		verb := "blocking"
		if d.Outcome != Block {
			verb = "would block (warn mode)"
		}
		fmt.Fprintf(w, "%s:\n", verb)
		for _, j := range d.Blocking {
			fmt.Fprintf(w, "  %-8s %s  %s: %s\n", j.Finding.Severity, j.Finding.RuleID, location(j.Finding.Location), j.Why)
		}
	}
	if len(d.Suppressed) > 0 {
		fmt.Fprintln(w, "suppressed:")
		for _, j := range d.Suppressed {
			by := " (inline marker)"
			if j.By != nil {
				by = fmt.Sprintf(" (by %s: %s)", j.By.Owner, j.By.Reason)
			}
			fmt.Fprintf(w, "  %s  %s%s\n", j.Finding.RuleID, location(j.Finding.Location), by)
		}
	}
	if n := len(d.PreExisting); n > 0 {
		fmt.Fprintf(w, "%d pre-existing %s (in the baseline) not judged\n", n, plural(n, "finding"))
	}
	if n := len(d.Unfixable); n > 0 {
		fmt.Fprintf(w, "%d %s without a fixed version not judged (fixable_only)\n", n, plural(n, "finding"))
	}
	for _, s := range d.Expired {
		fmt.Fprintf(w, "expired %s (owner %s, expired %s) no longer applies\n", s.label(), s.Owner, s.Expires.Format("2006-01-02"))
	}
	for _, s := range d.Stale {
		fmt.Fprintf(w, "stale %s (owner %s) matched nothing; %s\n", s.label(), s.Owner, s.removeHint())
	}
}

// WriteMarkdown writes the decision as Markdown, for a pull request
// comment or a job summary.
func (d Decision) WriteMarkdown(w io.Writer) {
	icon := map[Outcome]string{Pass: "✅", Warn: "⚠️", Block: "⛔"}[d.Outcome]
	fmt.Fprintf(w, "### %s Gate `%s`: %s\n\n", icon, d.Env, strings.ToUpper(string(d.Outcome)))
	for _, r := range d.Reasons {
		fmt.Fprintf(w, "- **%s** (%s): %s\n", r.Kind, r.Effect, mdEscape(r.Message))
	}
	if len(d.Blocking) > 0 {
		fmt.Fprintf(w, "\n| Severity | Rule | Location | Why |\n|---|---|---|---|\n")
		for _, j := range d.Blocking {
			fmt.Fprintf(w, "| %s | `%s` | %s | %s |\n", j.Finding.Severity, mdEscape(j.Finding.RuleID),
				mdEscape(location(j.Finding.Location)), mdEscape(j.Why))
		}
	}
	if len(d.Suppressed) > 0 {
		fmt.Fprintf(w, "\n<details><summary>%d suppressed</summary>\n\n", len(d.Suppressed))
		for _, j := range d.Suppressed {
			by := "inline marker"
			if j.By != nil {
				by = j.By.Owner + ": " + j.By.Reason
			}
			fmt.Fprintf(w, "- `%s` %s (%s)\n", mdEscape(j.Finding.RuleID), mdEscape(location(j.Finding.Location)), mdEscape(by))
		}
		fmt.Fprintf(w, "\n</details>\n")
	}
	for _, s := range d.Stale {
		fmt.Fprintf(w, "\n- stale %s (owner %s) matched nothing", mdEscape(s.label()), mdEscape(s.Owner))
	}
	fmt.Fprintln(w)
}

// mdEscape keeps a value from breaking a Markdown table or injecting markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}
