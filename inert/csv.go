package inert

import "strings"

// formulaStart lists the first characters that make a spreadsheet (Excel,
// LibreOffice, Google Sheets) evaluate a cell as a formula or a DDE call:
// "=cmd|' /C calc'!A0", "+1+cmd", "-2+3+cmd", "@SUM(...)". Tab and CR,
// which OWASP lists too, are controls: CSVCell replaces them anyway.
const formulaStart = "=+-@"

// CSVCell makes a value safe to write into a CSV cell that a person may
// open in a spreadsheet. It is the one sanitiser of every CSV rounds
// writes (inventory export, round reports, sync change files):
//
//   - control characters, escape sequences, bidirectional controls and
//     invisible format characters are replaced as String replaces them,
//     so that nothing reorders or hides text in the sheet or a terminal;
//   - a value that would start a formula (=, +, -, @), possibly after
//     apostrophes, gets one apostrophe in front, which spreadsheets show
//     as text and do not evaluate (CSV injection).
//
// ParseCSVCell undoes the apostrophe, so that importing an exported file
// restores every value exactly, provided the value had no character that
// String replaces (the importer refuses those, see Unsafe): for such a
// value CSVCell is lossless. Values that start with an apostrophe but
// not a formula ("'s-Hertogenbosch") are written as they are.
func CSVCell(s string) string {
	s = String(s)
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// ParseCSVCell is the inverse of CSVCell's formula guard, for importers of
// CSV files: it drops the one apostrophe CSVCell adds in front of a value
// that, once its leading apostrophes are removed, starts like a formula.
// A value CSVCell did not guard is returned as it is.
func ParseCSVCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && formulaLike(s[1:]) {
		return s[1:]
	}
	return s
}

// formulaLike reports whether s, after any leading apostrophes, starts
// with a formula character. Counting the apostrophes keeps CSVCell
// reversible for values that themselves begin with "'=".
func formulaLike(s string) bool {
	t := strings.TrimLeft(s, "'")
	return t != "" && strings.IndexByte(formulaStart, t[0]) >= 0
}
