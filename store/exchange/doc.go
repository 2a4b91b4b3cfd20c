// Package exchange reads and writes inventory files: devices, the model
// catalog and locations, as CSV or JSON.
//
// Import accepts the canonical columns, the column names of common CMDB
// exports (ServiceNow, Snipe-IT) through built-in aliases, and any other
// name mapped by the caller. A file is imported in one transaction: a bad
// row aborts it with an error of the form FILE:LINE: field: reason and
// leaves the database as it was, unless the caller asks to skip bad rows,
// in which case each row is written in its own savepoint and every skipped
// line is reported. Re-importing a file changes nothing.
//
// Export writes the same formats in a fixed order, so that exporting,
// importing into a fresh database and exporting again gives identical
// bytes.
package exchange
