package store

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/biomed-rounds/rounds/inventory"
)

// The journal's changes column is written in one of two JSON forms:
//
//   - an object mapping each field to its new value, in field order, when
//     no change has an old value and no field repeats: every create entry
//     ({"serial":"SN-1","status":"in_service"}), and updates that only
//     fill empty fields;
//   - otherwise an array of {field, old, new} objects in which an empty
//     old or new is left out ([{"field":"owner","old":"ICU"}]).
//
// Entries written before ([{"field":"serial","old":"","new":"SN-1"}])
// are read as they always were: decodeChanges reads all three, and the
// SQL that looks into changes (QueuedChangesTo) reads both forms. Nothing
// is dropped: a missing old or new is empty, as it was written. The
// journal's columns do not change, so there is no migration, and the
// facts of stored entries are never rewritten.
//
// Why: a million-row import journals a create per device, and at a
// million rows the journal's bytes are what the WAL, the commit, the
// checkpoint and the fsyncs pay for (with every change empty, the
// journalled import of 1,000,000 generated devices took 18% less CPU).
// The generated inventory's create entries shrink from 737 bytes to 362.
// The encoding is written by hand, byte for byte what encoding/json writes
// (TestChangesEncodingMatchesJSON, FuzzChangesJSON): through reflection,
// encoding the create entries was 9% of that import's CPU profile
// (json.Marshal and Diff, 8.7 s of 98 s).

// appendChanges appends cs encoded for the journal.
func appendChanges(b []byte, cs []Change) []byte {
	if newOnly(cs) {
		b = append(b, '{')
		for i, c := range cs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, c.Field)
			b = append(b, ':')
			b = appendJSONString(b, c.New)
		}
		return append(b, '}')
	}
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendChange(b, c.Field, c.Old, c.New)
	}
	return append(b, ']')
}

// newOnly reports whether cs can be written as an object of new values:
// some changes, none with an old value, no field twice.
func newOnly(cs []Change) bool {
	if len(cs) == 0 {
		return false
	}
	for i, c := range cs {
		if c.Old != "" {
			return false
		}
		for _, d := range cs[:i] {
			if d.Field == c.Field {
				return false
			}
		}
	}
	return true
}

// appendChange appends one change of the array form: its field, and its
// old and new values unless empty.
func appendChange(b []byte, field, old, new string) []byte {
	b = append(b, `{"field":`...)
	b = appendJSONString(b, field)
	if old != "" {
		b = append(b, `,"old":`...)
		b = appendJSONString(b, old)
	}
	if new != "" {
		b = append(b, `,"new":`...)
		b = appendJSONString(b, new)
	}
	return append(b, '}')
}

// zeroJournal is the journalled fields of a device with no values: a
// create entry records every field that differs from it.
var zeroJournal = journalFields(Device{})

// zeroEmpty reports whether every field of a device with no values is
// empty, so that a create has no old values (TestCreateChangesMatchDiff).
var zeroEmpty = func() bool {
	for _, f := range zeroJournal {
		if f[1] != "" {
			return false
		}
	}
	return true
}()

// fieldKeys holds, per row of inventory.Fields, the field's name encoded
// as an object key ("serial":), or nil for a field not journalled.
var fieldKeys = func() [][]byte {
	keys := make([][]byte, len(inventory.Fields))
	for i, f := range inventory.Fields {
		if f.Journalled {
			keys[i] = append(appendJSONString(nil, f.Name), ':')
		}
	}
	return keys
}()

// appendCreateChanges appends the changes of creating d, encoded: what
// appendChanges(b, Diff(Device{}, d)) appends, without building the
// field table and the slice of changes per device.
func appendCreateChanges(b []byte, d *Device) []byte {
	if !zeroEmpty {
		return appendChanges(b, Diff(Device{}, *d))
	}
	b = append(b, '{')
	n := 0
	for i := range inventory.Fields {
		key := fieldKeys[i]
		if key == nil {
			continue
		}
		if v := inventory.Fields[i].Get(d); v != "" {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(append(b, key...), v)
			n++
		}
	}
	if n == 0 {
		// No change at all: the empty array, as appendChanges writes it.
		return append(b[:len(b)-1], '[', ']')
	}
	return append(b, '}')
}

// decodeChanges reads a changes column in any of its forms.
func decodeChanges(raw string) ([]Change, error) {
	if t := strings.TrimLeft(raw, " \t\r\n"); t == "" || t[0] != '{' {
		var cs []Change
		if err := json.Unmarshal([]byte(raw), &cs); err != nil {
			return nil, err
		}
		return cs, nil
	}
	// An object, read in order: the field order is the journal's.
	dec := json.NewDecoder(strings.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var cs []Change
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		field, _ := t.(string) // an object's keys are strings
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %q: %w", field, err)
		}
		cs = append(cs, Change{Field: field, New: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the changes")
	}
	return cs, nil
}

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it. Strings of printable ASCII without quotes, backslashes or
// the HTML characters encoding/json escapes (<, >, &), nearly every value
// of an inventory, are copied as they are; anything else goes through
// encoding/json, which escapes control characters and replaces invalid
// UTF-8.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			// Marshalling a string cannot fail.
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendUUID appends u in its canonical text form, as u.String() returns
// it, without allocating a string per id.
func appendUUID(b []byte, u uuid.UUID) []byte {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}
