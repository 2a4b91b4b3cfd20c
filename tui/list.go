package tui

// listState is the cursor and scroll offset of a list, shared by every
// list screen (overview, picker, sweep, history): keys move it in Update,
// fit keeps it in range when the rows or the height change, and a View
// asks window for the rows to draw without changing it.
type listState struct {
	cursor int
	offset int
}

// move applies a list key for n rows shown h at a time, and reports
// whether msg was one.
func (l *listState) move(k listKeys, msg interface{ String() string }, n, h int) bool {
	c, ok := moveCursor(k, msg, l.cursor, n, h)
	if ok {
		l.cursor = c
		l.fit(n, h)
	}
	return ok
}

// fit keeps the cursor on one of n rows and inside the h rows shown.
func (l *listState) fit(n, h int) {
	l.cursor = min(max(l.cursor, 0), max(n-1, 0))
	l.offset = scrollOffset(l.cursor, l.offset, max(h, 1), n)
}

// selectRow puts the cursor on row i of n, shown h at a time.
func (l *listState) selectRow(i, n, h int) {
	l.cursor = i
	l.fit(n, h)
}

// reset puts the cursor back on the first row.
func (l *listState) reset() { l.cursor, l.offset = 0, 0 }

// window returns the rows [from, to) to draw of n rows in h lines, with
// the cursor inside, computed from the state without changing it: a View
// that is drawn before fit ran (a resize, new rows) still shows the
// cursor.
func (l listState) window(n, h int) (from, to int) {
	h = max(h, 1)
	from = scrollOffset(min(max(l.cursor, 0), max(n-1, 0)), l.offset, h, n)
	return from, min(n, from+h)
}
