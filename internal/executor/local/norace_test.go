//go:build !race

package local

// raceEnabled is true when tests run with -race.
const raceEnabled = false
