package store

import (
	"encoding/hex"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/biomed-rounds/rounds/inventory"
)

// The journal's changes column holds a JSON array of {field, old, new}
// objects. It is written here by hand, byte for byte what encoding/json
// writes for a []Change (TestChangesEncodingMatchesJSON, FuzzChangesJSON):
// through reflection, encoding the changes of a million-row import's create
// entries was 9% of its CPU profile (json.Marshal and Diff, 8.7 s of 98 s).

// appendChanges appends cs encoded as json.Marshal encodes a non-nil
// []Change.
func appendChanges(b []byte, cs []Change) []byte {
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendChange(b, c.Field, c.Old, c.New)
	}
	return append(b, ']')
}

// appendChange appends one change as encoding/json writes a Change.
func appendChange(b []byte, field, old, new string) []byte {
	b = append(b, `{"field":`...)
	b = appendJSONString(b, field)
	b = append(b, `,"old":`...)
	b = appendJSONString(b, old)
	b = append(b, `,"new":`...)
	b = appendJSONString(b, new)
	return append(b, '}')
}

// zeroJournal is the journalled fields of a device with no values: a
// create entry records every field that differs from it.
var zeroJournal = journalFields(Device{})

// appendCreateChanges appends the changes of creating d, encoded: what
// appendChanges(b, Diff(Device{}, d)) appends, without building the
// field table and the slice of changes per device.
func appendCreateChanges(b []byte, d *Device) []byte {
	b = append(b, '[')
	i, n := 0, 0
	for _, f := range inventory.Fields {
		if !f.Journalled {
			continue
		}
		zero := zeroJournal[i][1]
		i++
		if v := f.Get(d); v != zero {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendChange(b, f.Name, zero, v)
			n++
		}
	}
	return append(b, ']')
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
