// Package sync moves changes between the offline inventory and a central
// CMDB. Push drains the store's change journal (the outbox) through a
// connector in batches; pull reads what changed centrally since a stored
// watermark. Every field is merged three ways against the last server
// value both sides agreed on: a change on one side wins, a change on both
// sides is settled by field ownership (server-owned, laptop-owned) or kept
// as a conflict for a person to resolve. Nothing is overwritten silently:
// ownership decisions are recorded next to the conflicts.
//
// Connectors live in subpackages (servicenow, snipeit, exchange) and
// speak only canonical records (Record, Op); this package owns all
// decisions, and package store keeps the sync state tables (migration
// 0002) through its methods (store/syncstate.go): sync runs no SQL. Package name aside, the
// standard library's sync is imported as gosync where needed.
package sync
