package exchange

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/inert"
)

// source yields the records of a file, kind by kind.
type source interface {
	// next fills rec with the next record and returns its kind and line;
	// io.EOF at the end. A *RowError is a bad row the caller may skip; any
	// other error ends the file.
	next(rec *record) (Kind, int, error)
}

// sniff skips a byte-order mark and leading space and tells CSV from
// JSON by the first byte. It reports io.EOF for an empty input.
func sniff(br *bufio.Reader) (Format, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return "", err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case '[', '{':
			return JSON, nil
		}
		return CSV, nil
	}
}

// csvSource reads a CSV file with a header row.
type csvSource struct {
	name string
	r    *csv.Reader
	h    *header
	cols int
}

func newCSVSource(name string, br *bufio.Reader, o *Options) (*csvSource, error) {
	r := csv.NewReader(newLimitReader(br, name, false))
	r.ReuseRecord = true
	// Sniff the delimiter from the header line: European spreadsheets
	// write semicolons, some exports tabs.
	if line, err := br.Peek(br.Buffered()); err == nil {
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if !bytes.ContainsRune(line, ',') {
			switch {
			case bytes.ContainsRune(line, ';'):
				r.Comma = ';'
			case bytes.ContainsRune(line, '\t'):
				r.Comma = '\t'
			}
		}
	}
	cols, err := r.Read()
	if err != nil {
		return nil, csvError(name, err)
	}
	cols = append([]string(nil), cols...)
	for i, c := range cols {
		if ferr := checkText(c); ferr != "" {
			return nil, &RowError{File: name, Line: 1, Field: "header", Reason: fmt.Sprintf("column %d: %s", i+1, ferr)}
		}
	}
	k := o.Kind
	if k == "" {
		var ok bool
		if k, ok = detect(cols, o.Map); !ok {
			return nil, &RowError{File: name, Line: 1, Field: "header", Reason: "cannot tell devices, models or locations from the columns; give --kind"}
		}
	}
	h, err := mapHeader(k, cols, o.Map)
	if err != nil {
		return nil, &RowError{File: name, Line: 1, Field: "header", Reason: err.Error()}
	}
	r.FieldsPerRecord = len(cols)
	return &csvSource{name: name, r: r, h: h, cols: len(cols)}, nil
}

// checkText reports why a column name is unusable, or "".
func checkText(s string) string {
	if _, ferr := clean(fIgnore, s); ferr != nil {
		return ferr.reason
	}
	return ""
}

func (s *csvSource) next(rec *record) (Kind, int, error) {
	for {
		row, err := s.r.Read()
		line := 0
		if len(row) > 0 && (err == nil || errors.Is(err, csv.ErrFieldCount)) {
			// FieldPos panics unless the last Read returned a record.
			line, _ = s.r.FieldPos(0)
		}
		if errors.Is(err, csv.ErrFieldCount) {
			return s.h.kind, line, &RowError{File: s.name, Line: line, Field: "row",
				Reason: fmt.Sprintf("has %d fields, the header has %d (truncated or misquoted line?)", len(row), s.cols)}
		}
		if err != nil {
			return s.h.kind, line, csvError(s.name, err)
		}
		blank := true
		for i, f := range s.h.fields {
			if f == fIgnore {
				continue
			}
			// Undo the formula guard export adds (inert.CSVCell), so
			// that an exported file imports back to the same values.
			rec.v[f] = inert.ParseCSVCell(row[i])
			if row[i] != "" {
				blank = false
			}
		}
		if blank {
			// A row of empty cells (a spreadsheet's trailing ",,,,").
			continue
		}
		rec.has = s.h.has
		return s.h.kind, line, nil
	}
}

// csvError turns a CSV reader error into a row error.
func csvError(name string, err error) error {
	if err == io.EOF {
		return err
	}
	var re *RowError
	if errors.As(err, &re) {
		return re
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		reason := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrQuote) {
			reason = "unterminated or stray quote (truncated file?)"
		}
		if errors.Is(pe.Err, csv.ErrBareQuote) {
			reason = `bare " in an unquoted field (quote the field and double the quote)`
		}
		return &RowError{File: name, Line: pe.Line, Field: "row", Reason: reason}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// lineReader counts lines as the JSON decoder reads, so that a record can
// be reported by line. It keeps only the newline offsets the decoder may
// still ask about.
type lineReader struct {
	r    io.Reader
	off  int64
	nl   []int64
	base int
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		l.nl = append(l.nl, l.off+int64(i+j))
		i += j + 1
	}
	l.off += int64(n)
	return n, err
}

// line returns the 1-based line of the byte at off.
func (l *lineReader) line(off int64) int {
	return l.base + sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off }) + 1
}

// forget drops newline offsets before off.
func (l *lineReader) forget(off int64) {
	i := sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off })
	if i > 4096 {
		l.base += i
		l.nl = append(l.nl[:0], l.nl[i:]...)
	}
}

// jsonSource reads {"devices":[...], "models":[...], "locations":[...]}
// (any of them, in any order), a bare array of records, or a CMDB's
// envelope such as ServiceNow's {"result":[...]} or Snipe-IT's
// {"rows":[...]}.
type jsonSource struct {
	name   string
	lr     *lineReader
	dec    *json.Decoder
	o      *Options
	bundle bool // the top level is an object
	done   bool
	// the array being read and its kind ("" until its first record).
	inArray bool
	kind    Kind
	skip    bool   // the array holds a kind the caller did not ask for
	section string // its key
}

func newJSONSource(name string, br *bufio.Reader, o *Options) (*jsonSource, error) {
	lr := &lineReader{r: newLimitReader(br, name, true)}
	s := &jsonSource{name: name, lr: lr, dec: json.NewDecoder(lr), o: o}
	s.dec.UseNumber()
	t, err := s.dec.Token()
	if err != nil {
		return nil, s.syntax(err)
	}
	switch t {
	case json.Delim('['):
		s.inArray, s.kind = true, o.Kind
	case json.Delim('{'):
		s.bundle = true
	}
	return s, nil
}

func (s *jsonSource) syntax(err error) error {
	var re *RowError
	if errors.As(err, &re) {
		return re // a bound the limit reader enforced, with its own line
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	line := s.lr.line(s.dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The scanner's errors ("invalid character") give the offset
		// after the bad byte; the token reader's ("expected comma after
		// array element") the offset of the bad byte itself.
		if strings.HasPrefix(se.Error(), "expected ") {
			line = s.lr.line(se.Offset)
		} else {
			line = s.lr.line(se.Offset - 1)
		}
	}
	reason := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		reason = "unexpected end of JSON (truncated file?)"
		line = s.lr.line(s.lr.off - 1)
	}
	return &RowError{File: s.name, Line: line, Field: "json", Reason: reason}
}

func (s *jsonSource) next(rec *record) (Kind, int, error) {
	for {
		if s.done {
			return "", 0, io.EOF
		}
		if !s.inArray {
			if err := s.nextSection(); err != nil {
				return "", 0, err
			}
			continue
		}
		if !s.dec.More() {
			if _, err := s.dec.Token(); err != nil { // ]
				return "", 0, s.syntax(err)
			}
			s.inArray = false
			if !s.bundle {
				s.done = true
				if _, err := s.dec.Token(); err != io.EOF {
					return "", 0, &RowError{File: s.name, Line: s.lr.line(s.dec.InputOffset()), Field: "json", Reason: "data after the end of the array"}
				}
			}
			continue
		}
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return "", 0, s.syntax(err)
		}
		end := s.dec.InputOffset()
		line := s.lr.line(end - int64(len(raw)))
		s.lr.forget(end - int64(len(raw)))
		if s.skip {
			continue
		}
		k, err := s.record(raw, rec, line)
		return k, line, err
	}
}

// nextSection moves to the next array of a bundle, skipping other values.
func (s *jsonSource) nextSection() error {
	t, err := s.dec.Token()
	if err != nil {
		return s.syntax(err)
	}
	if t == json.Delim('}') {
		s.done = true
		if _, err := s.dec.Token(); err != io.EOF {
			return &RowError{File: s.name, Line: s.lr.line(s.dec.InputOffset()), Field: "json", Reason: "data after the end of the object"}
		}
		return nil
	}
	key, _ := t.(string)
	// Arrays are record lists; anything else (a "total" count, metadata)
	// is skipped token by token.
	t, err = s.dec.Token()
	if err != nil {
		return s.syntax(err)
	}
	if t != json.Delim('[') {
		for depth := 0; t == json.Delim('{') || t == json.Delim('[') || depth > 0; {
			switch t {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
			if depth == 0 {
				break
			}
			if t, err = s.dec.Token(); err != nil {
				return s.syntax(err)
			}
		}
		return nil
	}
	s.inArray, s.section, s.skip, s.kind = true, key, false, ""
	if k, err := ParseKind(key); err == nil {
		s.kind = k
		if s.o.Kind != "" && s.o.Kind != k {
			s.skip = true
		}
	} else {
		s.kind = s.o.Kind
	}
	return nil
}

// record maps one JSON object onto rec.
// duplicateKey returns the first key of the object raw that appears a
// second time, with the offset of its second appearance.
func duplicateKey(raw json.RawMessage) (string, int64, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", 0, false
	}
	seen := map[string]bool{}
	for dec.More() {
		off := dec.InputOffset()
		t, err := dec.Token()
		if err != nil {
			return "", 0, false
		}
		k, _ := t.(string)
		if seen[k] {
			// Skip the separator and space the offset stops before.
			for int(off) < len(raw) && (raw[off] == ',' || raw[off] == ' ' || raw[off] == '\n' || raw[off] == '\r' || raw[off] == '\t') {
				off++
			}
			return k, off, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", 0, false
		}
	}
	return "", 0, false
}

func (s *jsonSource) record(raw json.RawMessage, rec *record, line int) (Kind, error) {
	rowErr := func(field, reason string) error {
		return &RowError{File: s.name, Line: line, Field: field, Reason: reason}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return s.kind, rowErr("json", "a record must be an object")
	}
	if k, off, dup := duplicateKey(raw); dup {
		// encoding/json keeps the last value silently; which one the
		// file meant is unknowable, so the record is refused.
		return s.kind, &RowError{File: s.name, Line: line + bytes.Count(raw[:off], []byte("\n")), Field: "json",
			Reason: fmt.Sprintf("key %q appears twice in one record", k)}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if s.kind == "" {
		k, ok := detect(keys, s.o.Map)
		if !ok {
			return "", rowErr("json", "cannot tell devices, models or locations from the keys; give --kind")
		}
		s.kind = k
	}
	h, err := mapHeader(s.kind, keys, s.o.Map)
	if err != nil {
		return s.kind, rowErr("keys", err.Error())
	}
	*rec = record{}
	for i, k := range keys {
		f := h.fields[i]
		if f == fIgnore {
			continue
		}
		v, err := jsonValue(obj[k], f)
		if err != "" {
			return s.kind, rowErr(f.String(), err)
		}
		rec.v[f], rec.has[f] = v, true
	}
	return s.kind, nil
}

// jsonValue renders a JSON value as the field's text form.
func jsonValue(raw json.RawMessage, f field) (string, string) {
	raw = bytes.TrimSpace(raw)
	if !utf8.Valid(raw) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return "", "invalid UTF-8 (save the file as UTF-8)"
	}
	if len(raw) == 0 {
		return "", ""
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err.Error()
		}
		return s, ""
	case 'n':
		return "", ""
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err.Error()
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if f == fSegments && bytes.HasPrefix(bytes.TrimSpace(it), []byte("{")) {
				var sg struct {
					CIDR string   `json:"cidr"`
					Tags []string `json:"tags"`
				}
				if err := json.Unmarshal(it, &sg); err != nil {
					return "", "segment: " + err.Error()
				}
				p := sg.CIDR
				if len(sg.Tags) > 0 {
					p += "=" + strings.Join(sg.Tags, "|")
				}
				parts = append(parts, p)
				continue
			}
			v, err := jsonValue(it, fIgnore)
			if err != "" {
				return "", err
			}
			parts = append(parts, v)
		}
		sep := "|"
		if f == fSegments {
			sep = ";"
		}
		return strings.Join(parts, sep), ""
	case '{':
		// A reference as CMDB APIs return them: {"id":3,"name":"ICU"}
		// or {"display_value":"...","link":"..."}.
		var ref map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ref); err != nil {
			return "", err.Error()
		}
		for _, k := range []string{"display_value", "name", "value"} {
			if v, ok := ref[k]; ok {
				return jsonValue(v, f)
			}
		}
		return "", "an object without a name or value"
	}
	return string(raw), ""
}
