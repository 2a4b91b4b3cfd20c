//go:build race

package sync_test

// raceEnabled scales the randomized tests down under the race detector,
// which slows the pure-Go SQLite several times over.
const raceEnabled = true
