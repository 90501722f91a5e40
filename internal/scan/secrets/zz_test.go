package secrets
import ("context";"fmt";"os";"testing";"sync";"time";"github.com/sluice-ci/sluice/internal/findings";"github.com/sluice-ci/sluice/internal/scan")
func TestZZDir(t *testing.T) {
	root := os.Getenv("ZZDIR"); if root == "" { t.Skip() }
	t0 := time.Now()
	files, errs, err := scan.Walk(context.Background(), root, scan.WalkOptions{})
	fmt.Println("walk", len(files), len(errs), err, time.Since(t0))
	var mu sync.Mutex
	h, err := New(Options{}).Scan(context.Background(), &scan.Target{Root: root, Files: files}, func(f findings.Finding) {
		mu.Lock(); defer mu.Unlock()
		fmt.Printf("%s:%d:%d %s %s | %.150s\n", f.Location.Path, f.Location.StartLine, f.Location.StartCol, f.RuleID, f.Severity, f.Snippet)
	})
	fmt.Printf("%+v %v\n", h, err)
}
