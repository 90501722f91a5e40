package e2e

import (
	"context"
	"errors"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A browser test drives a real headless Chromium over the DevTools
// protocol (chromedp): no Node, no WebDriver server. The browser is found
// in SLUICE_CHROMIUM, else as chromium (Debian's package),
// chromium-browser or google-chrome on PATH; scripts/chromium.sh installs
// it and sets SLUICE_CHROMIUM. Without one a browser test is skipped,
// unless SLUICE_REQUIRE_TOOLS=1 (scripts/test.sh sets it), which makes a
// missing browser a failure.

// browserTimeout bounds everything one test does with its browser: the
// browser process lives in a context with this deadline, so a page that
// never shows what the test waits for fails the test instead of stalling
// the package.
const browserTimeout = 3 * time.Minute

// The two widths every page is looked at: a laptop and a phone.
var (
	desktopSize = [2]int64{1280, 800}
	phoneSize   = [2]int64{390, 844}
)

// browser is one headless Chromium with one tab, for one test.
type browser struct {
	ctx context.Context // the tab; ends at the test's deadline

	mu       sync.Mutex
	problems []string // console errors, uncaught exceptions, CSP violations, in order

	overflow []string // the sizes the last screenshot's page was too wide for
}

// chromiumPath is the browser to start: SLUICE_CHROMIUM, else the first of
// the usual names on PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("SLUICE_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("SLUICE_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: SLUICE_CHROMIUM is unset and none of chromium, chromium-browser, google-chrome is on PATH")
}

// newBrowser starts a headless Chromium with a fresh profile in a temporary
// folder and opens a tab at the desktop size. The sandbox is turned off
// only when the test runs as root, where Chromium refuses to start with it.
// The browser is stopped, and its profile removed, when the test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%v (SLUICE_REQUIRE_TOOLS=1; scripts/chromium.sh installs it)", err)
		}
		t.Skipf("%v; run scripts/chromium.sh, or set SLUICE_REQUIRE_TOOLS=1 to fail instead", err)
	}
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(int(desktopSize[0]), int(desktopSize[1])),
		// The page is all the test wants: no first-run or update traffic.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-US"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	deadline := time.Now().Add(browserTimeout)
	if d, ok := t.Deadline(); ok && d.Add(-5*time.Second).Before(deadline) {
		deadline = d.Add(-5 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	b := &browser{}
	tctx, tcancel := chromedp.NewContext(actx, chromedp.WithListener(b.observe))
	b.ctx = tctx
	// Registered after t.TempDir, so it runs first: the browser is gone
	// before its profile folder is removed.
	t.Cleanup(func() {
		tcancel()
		acancel()
		cancel()
	})
	start := time.Now()
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(desktopSize[0], desktopSize[1])); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Logf("browser %s started in %s", path, time.Since(start).Round(time.Millisecond))
	return b
}

// observe runs in the tab's event loop, for every event of the tab from its
// start: it keeps what a person would see as a red line in the DevTools
// console. Content Security Policy violations are browser log entries of
// source "security".
func (b *browser) observe(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				args = append(args, strings.Trim(string(a.Value), `"`))
			default:
				args = append(args, a.Description)
			}
		}
		p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
		if d.URL != "" {
			p += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError && e.Source != log.EntrySourceSecurity {
			return
		}
		// Chromium asks for /favicon.ico on its own, after the load and
		// not on every page, so its failure would come and go between
		// runs; a test checks the favicon with a plain request instead.
		if strings.HasSuffix(e.URL, "/favicon.ico") {
			return
		}
		p = string(e.Source) + " " + string(e.Level) + ": " + e.Text
		if e.URL != "" {
			p += " (" + e.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// takeProblems returns the console errors, exceptions and CSP violations
// seen since the last call, and forgets them: a test that provokes one on
// purpose takes it, checks it, and then asks noConsoleErrors for the rest.
func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// noConsoleErrors fails the test for every console error, uncaught
// exception or CSP violation since the last check.
func (b *browser) noConsoleErrors(t *testing.T) {
	t.Helper()
	// Console events travel apart from command replies: give the last
	// page's a moment to arrive.
	_ = chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](`new Promise(r => setTimeout(r, 50))`, chromedp.EvalAwaitPromise))
	for _, p := range b.takeProblems() {
		t.Errorf("on %s: %s", b.location(), p)
	}
}

// location is the tab's URL, for messages.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown page)"
	}
	return loc
}

// fatalf fails the test with a screenshot of the page as it is, the page's
// URL and the console problems so far.
func (b *browser) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if b.ctx.Err() == nil {
		if files, err := b.capture("failure-"+t.Name(), [][2]int64{desktopSize}); err == nil {
			msg += "\nscreenshot: " + strings.Join(files, ", ")
		}
	}
	msg += "\npage: " + b.location()
	if p := b.takeProblems(); len(p) > 0 {
		msg += "\nconsole:\n  " + strings.Join(p, "\n  ")
	}
	t.Fatal(msg)
}

// do runs actions in the tab, failing the test on the first error.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fatalf(t, "%s: %v", what, err)
	}
}

// navigate loads url and waits for its load event.
func (b *browser) navigate(t *testing.T, url string) {
	t.Helper()
	b.do(t, "open "+url, chromedp.Navigate(url))
}

// within is ctx with a deadline d from now, for one wait.
func (b *browser) within(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}

// waitVisible waits up to d for an element matching the CSS selector to be
// shown.
func (b *browser) waitVisible(t *testing.T, sel string, d time.Duration) {
	t.Helper()
	ctx, cancel := b.within(d)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.fatalf(t, "waited %s for %s to be visible: %v", d, sel, err)
	}
}

// waitText polls, without reloading, until the rendered text of some
// element matching sel matches re, and returns that text. A page that
// updates itself (server-sent events) passes; one that needs a reload
// does not. A navigation under way (after a form is sent) is waited out.
func (b *browser) waitText(t *testing.T, sel string, re *regexp.Regexp, d time.Duration) string {
	t.Helper()
	expr := fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => (e.innerText || e.textContent || '').trim())`, sel)
	deadline := time.Now().Add(d)
	var (
		texts []string
		err   error
	)
	for {
		ctx, cancel := b.within(2 * time.Second)
		texts, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](expr))
		cancel()
		for _, s := range texts {
			if re.MatchString(s) {
				return s
			}
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.fatalf(t, "waited %s for %s to read /%s/: %v", d, sel, re, err)
	}
	b.fatalf(t, "waited %s for %s to read /%s/; it reads %q", d, sel, re, texts)
	return ""
}

// evalJS evaluates expr in the page (awaiting a promise) and decodes its
// value into T.
func evalJS[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatalf(t, "evaluate %s: %v", expr, err)
	}
	return v
}

// press sends keys (kb.Tab, kb.Enter, or text) to the focused element, as
// a keyboard would.
func (b *browser) press(t *testing.T, keys string) {
	t.Helper()
	b.do(t, fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// tabTo presses Tab, from where the focus is, until the focused element
// matches sel, at most max times; it fails the test when the keyboard
// cannot reach the element.
func (b *browser) tabTo(t *testing.T, sel string, max int) {
	t.Helper()
	var path []string
	for range max {
		b.press(t, kb.Tab)
		on := evalJS[string](t, b, `(() => { const e = document.activeElement; if (!e) return '';
			return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? '[name=' + e.name + ']' : '') })()`)
		path = append(path, on)
		if evalJS[bool](t, b, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
	}
	b.fatalf(t, "Tab does not reach %s in %d presses; focus went %s", sel, max, strings.Join(path, " → "))
}

// screenshotDir is where screenshots go: SLUICE_SCREENSHOTS (a relative
// path is taken from the module root, as scripts/test.sh sets it), else a
// folder under the system's temporary folder.
func screenshotDir() (string, error) {
	dir := os.Getenv("SLUICE_SCREENSHOTS")
	switch {
	case dir == "":
		dir = filepath.Join(os.TempDir(), "sluice-e2e", "screenshots")
	case !filepath.IsAbs(dir):
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, dir)
	}
	return dir, os.MkdirAll(dir, 0o755)
}

var shotName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshot saves full-page PNGs of the page as it is now, at the desktop
// and at the phone size (as a phone lays it out: mobile viewport, touch),
// named NAME-1280x800.png and NAME-390x844.png, and logs where. A page
// wider than the screen at either size (one that scrolls sideways as a
// whole) fails the test. The tab is back at the desktop size afterwards.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	b.overflow = nil
	files, err := b.capture(name, [][2]int64{desktopSize, phoneSize})
	if err != nil {
		b.fatalf(t, "screenshot %s: %v", name, err)
	}
	t.Logf("screenshots: %s", strings.Join(files, ", "))
	for _, o := range b.overflow {
		t.Errorf("%s: %s", name, o)
	}
}

// capture saves a full-page PNG of the page at each size and returns the
// files; a page wider than a size is noted in b.overflow.
func (b *browser) capture(name string, sizes [][2]int64) ([]string, error) {
	dir, err := screenshotDir()
	if err != nil {
		return nil, err
	}
	// Two animation frames let the layout settle at the new size.
	settle := chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise)
	var files []string
	for _, size := range sizes {
		var emulate chromedp.Action[chromedp.Void]
		if size == phoneSize {
			emulate = chromedp.EmulateViewport(size[0], size[1], chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
		} else {
			emulate = chromedp.EmulateViewport(size[0], size[1])
		}
		if err := chromedp.Do(b.ctx, emulate, settle); err != nil {
			return files, err
		}
		if w, err := chromedp.Run(b.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err == nil && w > size[0] {
			b.overflow = append(b.overflow, fmt.Sprintf("at %dx%d the page is %dpx wide: it scrolls sideways", size[0], size[1], w))
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return files, err
		}
		f := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", shotName.ReplaceAllString(name, "_"), size[0], size[1]))
		if err := os.WriteFile(f, png, 0o644); err != nil {
			return files, err
		}
		files = append(files, f)
	}
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(desktopSize[0], desktopSize[1]), settle); err != nil {
		return files, err
	}
	return files, nil
}

// cspProbe is what injectInlineScript saw.
type cspProbe struct {
	Ran       bool   `json:"ran"`       // the injected script ran
	Violation string `json:"violation"` // the directive a securitypolicyviolation event named
}

// injectInlineScript does what a successful HTML injection would: it
// appends an inline <script> to the page and reports whether it ran and
// which directive of the Content Security Policy stopped it. The violation
// it causes is taken from the console problems, so noConsoleErrors still
// sees only the page's own.
func (b *browser) injectInlineScript(t *testing.T) cspProbe {
	t.Helper()
	p := evalJS[cspProbe](t, b, `new Promise(resolve => {
		window.__sluiceInjected = false;
		let violation = '';
		const done = () => resolve({ran: window.__sluiceInjected === true, violation});
		document.addEventListener('securitypolicyviolation', e => { violation = e.effectiveDirective || e.violatedDirective; setTimeout(done, 0); }, {once: true});
		const s = document.createElement('script');
		s.textContent = 'window.__sluiceInjected = true';
		document.body.appendChild(s);
		setTimeout(done, 1000);
	})`)
	b.allowProblems(regexp.MustCompile(`Content Security Policy`))
	return p
}

// allowProblems forgets the console problems that match re (ones the
// test caused on purpose, such as the log line Chromium writes for a page
// answered with 401) and returns them; the others stay for
// noConsoleErrors. Console events travel apart from command replies, so it
// first waits up to a second for a match to arrive.
func (b *browser) allowProblems(re *regexp.Regexp) []string {
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		seen := slices.ContainsFunc(b.problems, re.MatchString)
		b.mu.Unlock()
		if seen {
			break
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var keep, allowed []string
	for _, p := range b.problems {
		if re.MatchString(p) {
			allowed = append(allowed, p)
		} else {
			keep = append(keep, p)
		}
	}
	b.problems = keep
	return allowed
}

// TestBrowserHarness checks the harness itself against a small page served
// over loopback: console errors and CSP violations are collected, an
// injected inline script is blocked and reported, the keyboard reaches a
// form, and screenshots come out at both sizes.
func TestBrowserHarness(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>harness</title></head>
<body>%s</body></html>`, body)
		}
	}
	mux.HandleFunc("GET /{$}", page(`<h1>Harness</h1><p id="status">queued</p>
<form id="login" method="post" action="/done"><label>Key <input type="password" name="key"></label> <button type="submit">Sign in</button></form>
<script src="/live.js"></script>`))
	mux.HandleFunc("GET /live.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `setTimeout(() => { document.getElementById('status').textContent = 'succeeded'; }, 300);`)
	})
	mux.HandleFunc("GET /noisy", page(`<p>noisy</p><script src="/noisy.js"></script><script>window.inline = 1</script>`))
	mux.HandleFunc("GET /noisy.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `console.error('boom');`)
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, r *http.Request) {
		page(`<p id="who">`+html.EscapeString(r.FormValue("key"))+`</p>`)(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b.navigate(t, srv.URL+"/")
	evalJS[bool](t, b, `window.__sluiceStay = true`)
	b.waitText(t, "#status", regexp.MustCompile(`^succeeded$`), 10*time.Second)
	if !evalJS[bool](t, b, `window.__sluiceStay === true`) {
		t.Error("the page reloaded while waitText polled")
	}
	b.noConsoleErrors(t)
	if p := b.injectInlineScript(t); p.Ran || p.Violation != "script-src-elem" {
		t.Errorf("injected inline script: %+v, want blocked by script-src-elem", p)
	}
	b.noConsoleErrors(t)

	b.screenshot(t, "harness-page")
	dir, _ := screenshotDir()
	for _, size := range [][2]int64{desktopSize, phoneSize} {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("harness-page-%dx%d.png", size[0], size[1])))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || int64(cfg.Width) != size[0] || int64(cfg.Height) < size[1] {
			t.Errorf("screenshot at %v: %dx%d, %v", size, cfg.Width, cfg.Height, err)
		}
	}

	// The keyboard alone: Tab to the key, type it, Tab to the button, Enter.
	b.do(t, "focus the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	b.tabTo(t, `input[name=key]`, 5)
	b.press(t, "s3cret")
	b.tabTo(t, `#login button[type=submit]`, 3)
	b.press(t, kb.Enter)
	if got := b.waitText(t, "#who", regexp.MustCompile(`.`), 10*time.Second); got != "s3cret" {
		t.Errorf("the form posted key %q", got)
	}
	b.noConsoleErrors(t)

	b.navigate(t, srv.URL+"/noisy")
	for _, want := range []string{`^console\.error: boom$`, `^security error: .*Content Security Policy`} {
		if len(b.allowProblems(regexp.MustCompile(want))) == 0 {
			t.Errorf("no collected problem matches /%s/; left: %q", want, b.takeProblems())
		}
	}
}
