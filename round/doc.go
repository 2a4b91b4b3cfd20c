// Package round runs the rounds of a technician: it sweeps a room with its
// discovery sources, reconciles what was seen, keeps the visit, its
// observations and findings in the store, applies the technician's actions
// (confirm, move here, mark missing, adopt, dismiss, correct, note) each in one
// transaction with its journal entry, undoes them until synced, and
// gathers the round report. The Engine owns a round end to end: start,
// name, rooms, visits, actions, finish and resume state (lifecycle.go).
//
// The TUI drives an Engine from tea.Cmds; `rounds demo --headless` drives
// the same Engine directly. Nothing here draws anything.
package round
