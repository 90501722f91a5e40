package insecure

import (
	"net/http"
	"os/exec"
)

// Fetch requests a URL the caller chose.
func Fetch(url string) (*http.Response, error) {
	return http.Get(url) // expect: G107
}

// Serve listens without any timeouts.
func Serve(addr string, h http.Handler) error {
	return http.ListenAndServe(addr, h) // expect: G114
}

// Run runs a command line the caller chose.
func Run(line string) ([]byte, error) {
	return exec.Command("sh", "-c", line).Output() // expect: G204
}
