// Package synctest is the one test harness the sync connectors share: it
// wires a transport client, a store and an engine to a fake server, and
// runs the randomized convergence simulation (faults, crashes, local and
// central edits, then a quiet settling phase and the invariants checked at
// the end) against any connector described by a Backend.
//
// It is imported only by tests; production code never imports it.
package synctest
