//go:build race

package local

// raceEnabled is true when tests run with -race, which slows byte shovelling
// tenfold: the huge-output test then moves less data.
const raceEnabled = true
