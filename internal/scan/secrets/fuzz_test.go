package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzPaths gives the fuzzer a say in the kind of file: configuration
// files accept unquoted values.
var fuzzPaths = []string{"a.go", "config.yaml", ".env", "a.json", "id_rsa", "deploy.sh"}

func FuzzScanContent(f *testing.F) {
	for _, dir := range []string{"testdata/corpus", "testdata/clean"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(uint8(len(e.Name())), data)
			}
		}
	}
	f.Add(uint8(0), []byte("password = \"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\""))
	f.Add(uint8(1), []byte("-----BEGIN RSA PRIVATE KEY-----"))
	f.Add(uint8(2), []byte("https://u:p@h token: \n\n\r\n\x00"))
	d := New(Options{}).(*scanner).det
	f.Fuzz(func(t *testing.T, kind uint8, content []byte) {
		path := fuzzPaths[int(kind)%len(fuzzPaths)]
		fl := &file{path: path, content: content, config: isConfigFile(path)}
		cands := d.detect(fl)
		found := toFindings(fl, cands)
		if len(found) != len(cands) {
			t.Fatalf("%d candidates, %d findings", len(cands), len(found))
		}
		lines := bytes.Split(content, []byte("\n"))
		for i, fd := range found {
			c := cands[i]
			if i > 0 && c.start < cands[i-1].end {
				t.Fatalf("overlapping findings %d and %d", i-1, i)
			}
			l := fd.Location
			if l.StartLine < 1 || l.EndLine < l.StartLine || l.EndLine > len(lines) {
				t.Fatalf("%s: lines %d-%d outside 1-%d", fd.RuleID, l.StartLine, l.EndLine, len(lines))
			}
			if max := utf8.RuneCount(lines[l.StartLine-1]) + 1; l.StartCol < 1 || l.StartCol > max {
				t.Fatalf("%s: start column %d outside 1-%d", fd.RuleID, l.StartCol, max)
			}
			if max := utf8.RuneCount(lines[l.EndLine-1]) + 1; l.EndCol < 1 || l.EndCol > max {
				t.Fatalf("%s: end column %d outside 1-%d", fd.RuleID, l.EndCol, max)
			}
			if l.StartLine == l.EndLine && l.EndCol <= l.StartCol {
				t.Fatalf("%s: empty range %d-%d", fd.RuleID, l.StartCol, l.EndCol)
			}
			secret := string(content[c.start:c.end])
			for _, field := range []string{fd.Snippet, fd.Message, fd.Properties["secret_redacted"]} {
				if strings.Contains(field, secret) {
					t.Fatalf("%s: secret %q in clear in %q", fd.RuleID, secret, field)
				}
			}
			if !utf8.ValidString(fd.Snippet) || !utf8.ValidString(fd.Message) {
				t.Fatalf("%s: invalid UTF-8 in snippet or message", fd.RuleID)
			}
		}
	})
}
