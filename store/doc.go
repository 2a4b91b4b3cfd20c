// Package store is the offline inventory: locations, the model catalog,
// devices and their identifiers, rounds with their visits, observations and
// findings, and the change journal that sync drains to the CMDB.
//
// It runs on modernc.org/sqlite (pure Go) with WAL, foreign keys and a busy
// timeout; the schema is built by embedded numbered migrations, each applied
// in one transaction. Every change to a device is written together with its
// journal entry in one transaction, so that nothing confirmed is lost if the
// power dies. Driver errors are translated once, here, into the package's
// sentinel errors (ErrNotFound, ErrConflict).
package store
