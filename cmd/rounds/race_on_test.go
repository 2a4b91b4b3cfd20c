//go:build race

package main

// raceEnabled says the tests were built with -race, so that the binary
// the end-to-end test builds reuses the same compiled packages.
const raceEnabled = true
