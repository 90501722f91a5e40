package dockerfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// render shows pipelines as "name arg arg | name ; next" for comparison.
func render(ps []pipeline) string {
	var out []string
	for _, p := range ps {
		var cmds []string
		for _, c := range p {
			s := c.name
			if c.sudo {
				s = "sudo:" + s
			}
			cmds = append(cmds, strings.Join(append([]string{s}, c.args...), " "))
		}
		out = append(out, strings.Join(cmds, " | "))
	}
	return strings.Join(out, " ; ")
}

func TestSplitScript(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"apt-get update && apt-get install -y curl", "apt-get update ; apt-get install -y curl"},
		{"a || b; c & d", "a ; b ; c ; d"},
		{"curl -s x | sh", "curl -s x | sh"},
		{"a |& b", "a | b"},
		{`echo "a | b" 'c && d' e\ f`, "echo a | b c && d e f"},
		{`echo "x\"y" "$(curl -s u | sh)"`, `echo x"y $(curl -s u | sh)`},
		{"echo `date | cut -c1`", "echo `date | cut -c1`"},
		{"bash <(curl -s u) > /dev/null 2>&1", "bash <(curl -s u)"},
		{"make >log 2>>err <in &>all", "make"},
		{"cat <<-EOF > f", "cat"},
		{"echo hi >&2", "echo hi"},
		{"echo ${A:-$(b)} ${C}", "echo ${A:-$(b)} ${C}"},
		{"DEBIAN_FRONTEND=noninteractive sudo -u app -E env -u X Y=1 /usr/bin/apt-get install", "sudo:apt-get install"},
		{"if [ -f x ]; then cd y; fi", "[ -f x ] ; cd y"},
		{"for f in a b; do rm $f; done", "for f in a b ; rm $f"},
		{"{ a; b; }", "a ; b"},
		{"(cd x && make)", "cd x ; make"},
		{"# a comment | sh\nls # trailing && x\npwd", "ls ; pwd"},
		{"a=#notcomment b", "b"},
		{"echo a#b", "echo a#b"},
		{"line \\\n  continued", "line continued"},
		{"exec nohup nice -n 5 server", "server"},
		{"sudo", "sudo:"},
		{`echo "unterminated`, "echo unterminated"},
		{"echo 'unterminated", "echo unterminated"},
		{"echo $(unterminated", "echo $(unterminated"},
		{"", ""},
	} {
		if diff := cmp.Diff(tc.want, render(splitScript(tc.in))); diff != "" {
			t.Errorf("splitScript(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
