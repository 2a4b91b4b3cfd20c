// Package inventory is the domain of rounds: devices, rooms (locations),
// the model catalog, identifiers, and the rules that put their values in
// one form — the MAC and identifier normalisers, the BUILDING/FLOOR/ROOM
// room key, and the device field table (Fields) that says, once, what
// each device field is called, how it is stored, parsed and checked, how
// long it may be, whether the journal records it and who owns it in a
// sync.
//
// It is a leaf: it does no I/O and imports no database driver, so that
// pure logic (reconcile, report) and the scanners can use the domain
// types without pulling in SQLite. Package store persists these types;
// store/exchange, sync and the TUI read the field table rather than
// keeping lists of their own, so that adding a device field is one row
// here plus a migration in store.
package inventory
