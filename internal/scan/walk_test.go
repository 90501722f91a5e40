package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files (path -> content) under a new temp folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		abs := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestWalk(t *testing.T) {
	tree := map[string]string{
		"main.go":                        "package main",
		"README.md":                      "hi",
		".git/config":                    "[core]",
		".git/objects/ab/cdef":           "x",
		".sluice/runs.db":                "x",
		".hg/store":                      "x",
		".svn/entries":                   "x",
		"node_modules/left-pad/index.js": "x",
		"node_modules/.cache/babel/a.js": "x",
		"vendor/github.com/x/y/y.go":     "package y",
		"sub/.git/HEAD":                  "x",
		"docs/a b.txt":                   "spaces",
	}
	cases := []struct {
		name   string
		ignore string // .sluiceignore content; "" for none
		opts   WalkOptions
		want   []string
	}{
		{
			name: "defaults",
			want: []string{"README.md", "docs/a b.txt", "main.go", "node_modules/left-pad/index.js", "vendor/github.com/x/y/y.go"},
		},
		{
			name: "skip nothing",
			opts: WalkOptions{Skip: []string{}},
			want: []string{".git/config", ".git/objects/ab/cdef", ".hg/store", ".sluice/runs.db", ".svn/entries",
				"README.md", "docs/a b.txt", "main.go", "node_modules/.cache/babel/a.js",
				"node_modules/left-pad/index.js", "sub/.git/HEAD", "vendor/github.com/x/y/y.go"},
		},
		{
			name:   "ignore file",
			ignore: "# comment\n\nvendor/\n*.md\n!README.md\n/docs\n",
			want:   []string{".sluiceignore", "README.md", "main.go", "node_modules/left-pad/index.js"},
		},
		{
			name:   "ignore file off",
			ignore: "*\n",
			opts:   WalkOptions{NoIgnoreFile: true, Ignore: []string{"node_modules/", "vendor/**"}},
			want:   []string{".sluiceignore", "README.md", "docs/a b.txt", "main.go"},
		},
		{
			name:   "options win over the file",
			ignore: "*.go\n",
			opts:   WalkOptions{Ignore: []string{"!main.go", ".sluiceignore"}},
			want:   []string{"README.md", "docs/a b.txt", "main.go", "node_modules/left-pad/index.js"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range tree {
				files[k] = v
			}
			if tc.ignore != "" {
				files[IgnoreFile] = tc.ignore
			}
			root := writeTree(t, files)
			got, errs, err := Walk(context.Background(), root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != 0 {
				t.Errorf("input errors: %v", errs)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWalkSymlinks(t *testing.T) {
	root := writeTree(t, map[string]string{"a/file.txt": "x", "b/real.txt": "y"})
	outside := writeTree(t, map[string]string{"secret.txt": "outside"})
	links := map[string]string{
		"a/loop":       "..",                                  // loop back up
		"a/self":       "self",                                // points at itself
		"b/alias.txt":  "real.txt",                            // file link inside root
		"out":          outside,                               // folder outside root
		"outfile.txt":  filepath.Join(outside, "secret.txt"),  // file outside root
		"dangling.txt": filepath.Join(root, "does-not-exist"), // broken
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, errs, err := Walk(ctx, root, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a/file.txt", "b/real.txt"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(errs) != 0 {
		t.Errorf("input errors: %v", errs)
	}
}

func TestWalkIrregularAndUnreadable(t *testing.T) {
	root := writeTree(t, map[string]string{"ok.txt": "x", "locked/inner.txt": "y", "secret.txt": "z"})
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, errs, err := Walk(context.Background(), root, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"locked/inner.txt", "ok.txt", "secret.txt"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	want := []InputError{{Path: "pipe", Err: "not a regular file (named pipe), skipped"}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("input errors (-want +got):\n%s", diff)
	}

	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop reads")
	}
	if err := os.Chmod(filepath.Join(root, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(root, "locked"), 0o755)
	if err := os.Chmod(filepath.Join(root, "secret.txt"), 0); err != nil {
		t.Fatal(err)
	}
	got, errs, err = Walk(context.Background(), root, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ok.txt"}, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	want = []InputError{
		{Path: "locked", Err: "read folder: permission denied"},
		{Path: "pipe", Err: "not a regular file (named pipe), skipped"},
		{Path: "secret.txt", Err: "unreadable: permission denied"},
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("input errors (-want +got):\n%s", diff)
	}
}

func TestWalkCancelled(t *testing.T) {
	files := map[string]string{}
	for i := range 600 {
		files[filepath.Join("d", strings.Repeat("x", i%7+1), string(rune('a'+i%26))+string(rune('a'+i/26)))] = "x"
	}
	root := writeTree(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Walk(ctx, root, WalkOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestWalkBadRoot(t *testing.T) {
	root := writeTree(t, map[string]string{"f.txt": "x"})
	for _, p := range []string{filepath.Join(root, "missing"), filepath.Join(root, "f.txt")} {
		if _, _, err := Walk(context.Background(), p, WalkOptions{}); err == nil {
			t.Errorf("Walk(%s): no error", p)
		}
	}
}

func TestReadText(t *testing.T) {
	root := writeTree(t, map[string]string{
		"text.txt":  "hello\nworld\n",
		"empty.txt": "",
		"bin.dat":   "abc\x00def",
		"late.dat":  strings.Repeat("a", binarySniffLen) + "\x00", // NUL after the sniffed head
		"big.txt":   strings.Repeat("0123456789", 200),
		"big.bin":   "\x7fELF\x00" + strings.Repeat("0123456789", 200),
	})
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file    string
		max     int64
		want    string
		binary  bool
		wantErr error
		errText string
	}{
		{file: "text.txt", want: "hello\nworld\n"},
		{file: "empty.txt", want: ""},
		{file: "bin.dat", binary: true},
		{file: "late.dat", want: strings.Repeat("a", binarySniffLen) + "\x00"},
		{file: "big.txt", max: 2000, want: strings.Repeat("0123456789", 200)},
		{file: "big.txt", max: 1024, wantErr: ErrTooLarge, errText: "file too large: 2 KiB, over the 1 KiB limit"},
		{file: "big.bin", max: 1024, binary: true},
		{file: "pipe", wantErr: ErrNotRegular, errText: "not a regular file"},
		{file: "missing.txt", wantErr: os.ErrNotExist, errText: "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, binary, err := ReadText(filepath.Join(root, tc.file), tc.max)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if got := NewInputError(tc.file, err).Err; got != tc.errText {
					t.Errorf("input error = %q, want %q", got, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if binary != tc.binary || string(data) != tc.want {
				t.Errorf("got (%.20q, %v), want (%.20q, %v)", data, binary, tc.want, tc.binary)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 10 << 20: "10 MiB", 3 << 30: "3 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
