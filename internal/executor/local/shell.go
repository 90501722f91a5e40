//go:build unix

package local

import (
	"os"
	"path/filepath"
	"strings"
)

// bashFallbacks are tried when bash is not on the step's PATH.
var bashFallbacks = []string{"/bin/bash", "/usr/bin/bash"}

// chooseShell returns the argv that precedes the command line: bash with
// errexit and pipefail when it can be found on path or among fallbacks, else
// POSIX sh with errexit. The command itself is always one more argv element,
// never spliced into a string.
func chooseShell(path string, fallbacks []string) []string {
	if bash := findBash(path, fallbacks); bash != "" {
		return []string{bash, "--noprofile", "--norc", "-eo", "pipefail", "-c"}
	}
	return []string{"/bin/sh", "-e", "-c"}
}

func findBash(path string, fallbacks []string) string {
	var dirs []string
	for _, dir := range filepath.SplitList(path) {
		// A relative PATH entry would resolve against the step's directory,
		// which the step's own files control: never pick a shell from there.
		if filepath.IsAbs(dir) {
			dirs = append(dirs, filepath.Join(dir, "bash"))
		}
	}
	for _, p := range append(dirs, fallbacks...) {
		if isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// lookupEnv returns the last value of key in env (KEY=VALUE entries), as
// exec does when a key repeats.
func lookupEnv(env []string, key string) string {
	val := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val = v
		}
	}
	return val
}
