package secrets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// The benchmarks scan a generated tree of source-like files with a few
// planted secrets. Knobs (environment):
//
//	SLUICE_BENCH_FILES=2000  SLUICE_BENCH_MB=50   size of the generated tree
//	SLUICE_BENCH_DIR=DIR     BenchmarkScanDir scans DIR instead (bench/secrets.sh)
//	SLUICE_BENCH_GEN=DIR     TestWriteBenchTree writes the tree to DIR and stops

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchLines are the lines generated files are made of, per extension
// (WORD becomes a random word). keyLines hold the scanner's keywords
// (token, secret, password, auth, key, ://) where they are not secrets;
// about 3 lines in 100 are drawn from them, a little more than in the Go
// standard library (1.2%), as web application code has more of them.
var benchLines = map[string][]string{
	".go": {
		"func (s *WORD) Handle(ctx context.Context, req *Request) (*Response, error) {",
		"\tif err := s.store.Save(ctx, WORD); err != nil {",
		"\t\treturn nil, fmt.Errorf(\"save WORD: %w\", err)",
		"\tfor i, item := range WORD.Items {",
		"\t\ttotal += item.Price * int64(item.Quantity)",
		"\t}",
		"}",
		"",
		"// WORD returns the number of retries left before the job gives up.",
		"\tctx, cancel := context.WithTimeout(ctx, 5*time.Second)",
		"\tdefer cancel()",
		"\tswitch WORD.Kind {",
		"\tcase KindOrder, KindRefund:",
		"\t\tlog.Info(\"handled\", \"id\", WORD.ID, \"n\", len(batch))",
		"\tvar buf bytes.Buffer",
		"\tif len(WORD) == 0 {",
		"\t\treturn nil",
		"\tresult = append(result, Row{Name: WORD.Name, Count: n})",
	},
	".py": {
		"def WORD(self, request):",
		"    for row in rows:  # WORD",
		"    logger.info('processed %d rows', len(WORD))",
		"    return self.client.fetch('WORD', timeout=30)",
		"class WORD(BaseModel):",
		"    name: str = Field(..., max_length=64)",
		"    if not items:",
		"        raise ValueError('empty WORD')",
		"    total = sum(item.price * item.quantity for item in WORD)",
		"",
	},
	".js": {
		"export function WORD(props) {",
		"  return items.map((item) => item.WORD);",
		"  const [state, setState] = useState(null);",
		"  useEffect(() => { load(WORD).then(setState); }, [WORD]);",
		"  if (!state) return <Spinner />;",
		"}",
		"",
		"  const total = items.reduce((acc, it) => acc + it.price, 0);",
	},
	".yaml": {
		"WORD:",
		"  image: registry.internal.corp/WORD:1.4.2",
		"  replicas: 3",
		"  resources: { limits: { cpu: 500m, memory: 256Mi } }",
		"  labels: { app: WORD, tier: backend }",
		"",
	},
	".md": {
		"## WORD",
		"Run `make WORD` to build the project and its documentation.",
		"The WORD service keeps its state in the database and exposes it over HTTP.",
		"",
	},
}

var keyLines = map[string][]string{
	".go": {
		"\ttoken := lexer.Next() // WORD",
		"\tif password == \"\" {",
		"\tauthor := commit.Author.Name + \"WORD\"",
		"\tresp, err := http.Get(\"https://api.internal.corp/v1/WORD\")",
		"\tkey := cacheKey(WORD, req.ID)",
	},
	".py": {
		"    token = request.headers.get('Authorization', '')",
		"    secret_name = settings.SECRET_NAME  # WORD",
	},
	".js": {
		"  const auth = useAuth(); // WORD",
		"  const url = `https://cdn.internal.corp/${WORD}`;",
		"  if (!password) throw new Error('password required');",
	},
	".yaml": {
		"  secretName: WORD-tls",
		"  auth_url: https://auth.internal.corp/WORD",
	},
	".md": {
		"The token is read from the environment; see the WORD section.",
	},
}

// benchSecrets are planted into every 50th file. Each is a format both
// sluice and gitleaks know.
var benchSecrets = []string{"aws-access-key-id", "github-pat", "gitlab-pat", "slack-bot-token", "stripe-secret-key",
	"npm-access-token", "sendgrid-api-key", "private-key"}

var benchWords = strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " +
	"november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu orders users carts")

// writeBenchTree writes files source-like files of about mb MiB in all
// under dir, and returns how many secrets it planted and the bytes written.
func writeBenchTree(dir string, files, mb int) (planted int, total int64, err error) {
	fk := newFaker("bench")
	exts := []string{".go", ".py", ".js", ".yaml", ".md"}
	avg := mb << 20 / files
	for i := range files {
		ext := exts[i%len(exts)]
		size := avg/2 + fk.r.IntN(avg+1)
		var b strings.Builder
		for b.Len() < size {
			lines := benchLines[ext]
			if fk.r.IntN(100) < 3 {
				lines = keyLines[ext]
			}
			l := lines[fk.r.IntN(len(lines))]
			b.WriteString(strings.ReplaceAll(l, "WORD", benchWords[fk.r.IntN(len(benchWords))]))
			b.WriteByte('\n')
		}
		content := b.String()
		if i%50 == 0 {
			kind := benchSecrets[(i/50)%len(benchSecrets)]
			arg := ""
			if kind == "private-key" {
				arg = "RSA PRIVATE KEY"
			}
			cut := strings.IndexByte(content[len(content)/2:], '\n') + len(content)/2 + 1
			content = content[:cut] + "value = \"" + fk.value(kind, arg) + "\"\n" + content[cut:]
			planted++
		}
		p := filepath.Join(dir, fmt.Sprintf("pkg%03d", i/100), fmt.Sprintf("file%04d%s", i, ext))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, 0, err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return 0, 0, err
		}
		total += int64(len(content))
	}
	return planted, total, nil
}

// TestWriteBenchTree writes the benchmark tree for bench/secrets.sh.
func TestWriteBenchTree(t *testing.T) {
	dir := os.Getenv("SLUICE_BENCH_GEN")
	if dir == "" {
		t.Skip("SLUICE_BENCH_GEN not set")
	}
	planted, total, err := writeBenchTree(dir, envInt("SLUICE_BENCH_FILES", 2000), envInt("SLUICE_BENCH_MB", 50))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s in %d files with %d planted secrets", scan.FormatSize(total), envInt("SLUICE_BENCH_FILES", 2000), planted)
}

// benchScan walks root and scans it b.N times.
func benchScan(b *testing.B, root string, want int) {
	files, _, err := scan.Walk(context.Background(), root, scan.WalkOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, f := range files {
		if info, err := os.Stat(filepath.Join(root, f)); err == nil {
			size += info.Size()
		}
	}
	b.SetBytes(size)
	s := New(Options{})
	target := &scan.Target{Root: root, Files: files}
	var n atomic.Int64
	b.ResetTimer()
	for b.Loop() {
		n.Store(0)
		if _, err := s.Scan(context.Background(), target, func(findings.Finding) { n.Add(1) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n.Load()), "findings")
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	if want >= 0 && int(n.Load()) != want {
		b.Errorf("%d findings, want the %d planted", n.Load(), want)
	}
}

// BenchmarkScan scans a generated tree (2,000 files, 50 MiB by default).
func BenchmarkScan(b *testing.B) {
	dir := b.TempDir()
	planted, _, err := writeBenchTree(dir, envInt("SLUICE_BENCH_FILES", 2000), envInt("SLUICE_BENCH_MB", 50))
	if err != nil {
		b.Fatal(err)
	}
	benchScan(b, dir, planted)
}

// BenchmarkScanDir scans SLUICE_BENCH_DIR, walk included.
func BenchmarkScanDir(b *testing.B) {
	dir := os.Getenv("SLUICE_BENCH_DIR")
	if dir == "" {
		b.Skip("SLUICE_BENCH_DIR not set")
	}
	benchScan(b, dir, -1)
}
