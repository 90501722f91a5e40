//go:build !unix

package external

import "os/exec"

// setProcessGroup leaves the process as exec starts it: killing the tool
// on cancellation is what exec does by default.
func setProcessGroup(*exec.Cmd) {}
