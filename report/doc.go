// Package report renders the report of a round: a plain-text summary for
// terminals and scripts, HTML that prints well, CSV for spreadsheets and
// JSON for other tools.
//
// A Report is plain data, gathered by the caller from the store; this
// package does no I/O beyond writing to the io.Writer it is given. Every
// string that came from outside (device names, banners, CMDB values) is
// made inert before it is written, and CSV cells that a spreadsheet would
// evaluate as formulas are neutralised.
package report
