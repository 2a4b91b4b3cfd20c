package exchange

import (
	"fmt"
	"io"

	"github.com/biomed-rounds/rounds/inventory"
)

// MaxRecord bounds one record of an input file: a CSV row (with its
// quoted line breaks) or a JSON object of a record list. The longest
// field limit (a note, 64 KiB) and a few hundred ordinary columns fit
// well inside it. Reading stops at the first record over it, so that
// memory stays bounded whatever the file holds: a 100 MB field costs one
// megabyte of buffer, not the field times the copies a parser makes.
const MaxRecord = 1 << 20

// maxNesting bounds JSON nesting; records are flat objects in an array.
const maxNesting = 64

// limitReader passes a file through while watching its structure, and
// fails with a *RowError naming the line where a record (or, in JSON, a
// string or a nesting level) grows past its bound. It sees the bytes
// before the parser does, so the parser never buffers more than the
// bound.
type limitReader struct {
	r    io.Reader
	name string
	json bool
	max  int64

	line, startLine int   // current line; line where the record began
	n               int64 // bytes of the current record
	total           int64 // bytes read so far
	inQuote         bool  // CSV: inside a quoted field; JSON: inside a string
	escape          bool  // JSON: after a backslash in a string
	str             int64 // JSON: bytes of the current string
	stack           []byte
	inRecord        bool
	recDepth        int // JSON: nesting depth outside the current record
	err             error
}

func newLimitReader(r io.Reader, name string, json bool) *limitReader {
	return &limitReader{r: r, name: name, json: json, max: MaxRecord, line: 1, startLine: 1}
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if l.json {
			l.jsonByte(p[i])
		} else {
			l.csvByte(p[i])
		}
		if l.err != nil {
			// Hand over what came before the offending record: the
			// parser reports earlier bad rows first.
			return i, nil
		}
	}
	l.total += int64(n)
	return n, err
}

func (l *limitReader) fail(field, reason string) {
	l.err = &RowError{File: l.name, Line: l.startLine, Field: field, Reason: reason}
}

func (l *limitReader) tooLarge(what string) string {
	return fmt.Sprintf("%s is larger than %s, the limit of one record; a field that long is not inventory data", what, inventory.FormatSize(l.max))
}

func (l *limitReader) csvByte(c byte) {
	switch c {
	case '"':
		l.inQuote = !l.inQuote
	case '\n':
		l.line++
		if !l.inQuote {
			l.n, l.startLine = 0, l.line
			return
		}
	}
	if l.n++; l.n > l.max {
		l.fail("row", l.tooLarge("the row"))
	}
}

func (l *limitReader) jsonByte(c byte) {
	if c == '\n' {
		l.line++
	}
	if l.inRecord {
		if l.n++; l.n > l.max {
			l.fail("json", l.tooLarge("the record"))
			return
		}
	}
	if l.inQuote {
		if l.str++; l.str > l.max {
			l.startLine = l.line
			l.fail("json", l.tooLarge("a string"))
			return
		}
		switch {
		case l.escape:
			l.escape = false
		case c == '\\':
			l.escape = true
		case c == '"':
			l.inQuote = false
		}
		return
	}
	switch c {
	case '"':
		l.inQuote, l.str = true, 0
	case '{', '[':
		if len(l.stack) >= maxNesting {
			l.startLine = l.line
			l.fail("json", fmt.Sprintf("nested deeper than %d levels", maxNesting))
			return
		}
		if c == '{' && !l.inRecord && len(l.stack) > 0 && l.stack[len(l.stack)-1] == '[' {
			l.inRecord, l.n, l.startLine, l.recDepth = true, 1, l.line, len(l.stack)
		}
		l.stack = append(l.stack, c)
	case '}', ']':
		if len(l.stack) > 0 {
			l.stack = l.stack[:len(l.stack)-1]
		}
		if l.inRecord && len(l.stack) == l.recDepth {
			l.inRecord = false
		}
	}
}
