// Package exchange syncs with a CMDB that only takes bulk files. Push
// writes the pending changes as a change file (CSV or JSON) in a drop
// directory, atomically and 0600, named after the first change's
// idempotency id so that a push repeated after a crash rewrites the same
// file instead of adding another; every row carries its change id for the
// importer to deduplicate. Pull reads a central export (CSV or JSON) and
// merges it like any other pull; an export already read is skipped.
package exchange
