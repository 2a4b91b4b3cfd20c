// Package plan is the one builder of a room's sweep sources, used by the
// TUI and the command line alike: the IP sweep of the room's segments
// (or those given) with the configured profile, exclusions, per-segment
// SNMP credentials and packet log, and the BLE source (live or a
// replayed capture). Warnings, at build time and during the sweeps, are
// returned, never dropped. It knows nothing of the inventory: the caller
// passes the addresses of excluded device classes it read.
package plan
