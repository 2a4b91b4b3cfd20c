package store

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// hostileStrings are values the hand-written encoder must escape exactly
// as encoding/json does.
var hostileStrings = []string{
	"", "plain", `quote " inside`, `back\slash`, "<script>&amp;</script>", "tab\there", "new\nline",
	"\x00\x01\x1b[31mred\x1b[0m\x7f", "\b\f\r", "Müller ü", "日本語", "\u2028\u2029", "bad \xff\xfe utf8",
	"half \xe2\x82", "emoji 🩺", strings.Repeat("x", 300),
}

// journalChange is how the journal writes a Change: empty old and new
// values left out.
type journalChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// marshalJournal is the reference encoding, built with encoding/json: an
// object of new values when there are changes, none with an old value and
// no field twice; else the array with empty values left out.
func marshalJournal(t testing.TB, cs []Change) []byte {
	t.Helper()
	object := len(cs) > 0
	fields := map[string]bool{}
	for _, c := range cs {
		object = object && c.Old == "" && !fields[c.Field]
		fields[c.Field] = true
	}
	if object {
		var b []byte
		for i, c := range cs {
			k, _ := json.Marshal(c.Field)
			v, _ := json.Marshal(c.New)
			if i > 0 {
				b = append(b, ',')
			}
			b = append(append(append(b, k...), ':'), v...)
		}
		return append(append([]byte{'{'}, b...), '}')
	}
	js := make([]journalChange, len(cs))
	for i, c := range cs {
		js[i] = journalChange(c)
	}
	b, err := json.Marshal(js)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestChangesEncodingMatchesJSON: the journal's changes are written byte
// for byte as encoding/json writes them (empty values left out), and read
// back as the changes that were written, so that every reader (Go and the
// SQL json functions) sees what it saw before.
func TestChangesEncodingMatchesJSON(t *testing.T) {
	cases := [][]Change{
		{},
		{{Field: "serial", New: "SN-1"}},
		{{Field: "serial", New: "SN-1"}, {Field: "owner", New: "ICU"}},
		{{Field: "note", New: ""}},
		{{Field: "note", New: "a"}, {Field: "note", New: "b"}},
		{{Field: "firmware_version", Old: "1.0", New: "2.0"}, {Field: "note", New: "checked"}},
		{{Field: "owner", Old: "ICU"}},
	}
	for _, s := range hostileStrings {
		cases = append(cases, []Change{{Field: "owner", Old: s, New: s + "!"}, {Field: s, New: "x"}},
			[]Change{{Field: s, New: s}, {Field: s + "2", New: "x"}})
	}
	for _, cs := range cases {
		want := marshalJournal(t, cs)
		got := appendChanges(nil, cs)
		if !bytes.Equal(got, want) {
			t.Errorf("appendChanges(%q)\n got %s\nwant %s", cs, got, want)
		}
		checkRoundTrip(t, cs, got)
	}
}

// TestCreateChangesMatchDiff: a create entry's changes are those of Diff
// from an empty device, whatever fields the device has.
func TestCreateChangesMatchDiff(t *testing.T) {
	ds := bulkDevices(3)
	ds = append(ds, Device{AssetTag: "EMPTY"}, Device{AssetTag: "ONLY-STATUS", Status: StatusInService},
		Device{AssetTag: "H", Owner: "<b>ward & co</b>", FirmwareVersion: "\x1b]0;x\x07", Hostname: "Müller",
			LastSeen: time.Date(2026, 5, 4, 10, 11, 12, 0, time.UTC), OS: "Windows 7", OSVersion: "6.1",
			BLEAddress: "AA:BB:CC:DD:EE:FF", Status: StatusMissing, CMDBVersion: "7", Serial: "bad \xff"})
	for _, d := range ds {
		normalize(&d)
		cs := Diff(Device{}, d)
		if cs == nil {
			cs = []Change{}
		}
		want := marshalJournal(t, cs)
		if got := appendCreateChanges(nil, &d); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", d.AssetTag, got, want)
		}
	}
}

func TestAppendUUID(t *testing.T) {
	for range 100 {
		u := uuid.Must(uuid.NewV7())
		if got := string(appendUUID([]byte("x"), u)); got != "x"+u.String() {
			t.Fatalf("appendUUID = %s, want x%s", got, u)
		}
	}
}

// FuzzChangesJSON compares the hand-written encoding of a change with
// encoding/json's for any strings.
func FuzzChangesJSON(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add("owner", s, s)
	}
	f.Fuzz(func(t *testing.T, field, old, new string) {
		cs := []Change{{Field: field, Old: old, New: new}, {Field: new, Old: field, New: old}}
		got := appendChanges(nil, cs)
		if want := marshalJournal(t, cs); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
		checkRoundTrip(t, cs, got)
	})
}

// checkRoundTrip: the encoding reads back as the changes, with invalid
// UTF-8 replaced as encoding/json replaces it.
func checkRoundTrip(t testing.TB, cs []Change, b []byte) {
	t.Helper()
	back, err := decodeChanges(string(b))
	if err != nil {
		t.Fatalf("%s does not decode: %v", b, err)
	}
	if len(back) != len(cs) {
		t.Fatalf("%s decodes to %d changes, want %d", b, len(back), len(cs))
	}
	// encoding/json replaces each invalid byte by U+FFFD, as ranging
	// over the string reads it.
	valid := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(r)
		}
		return b.String()
	}
	for i, c := range cs {
		if want := (Change{Field: valid(c.Field), Old: valid(c.Old), New: valid(c.New)}); back[i] != want {
			t.Fatalf("%s decodes to %q, want %q", b, back[i], want)
		}
	}
}

// TestJournalReadsBothEncodings: entries written before ("old":"" in an
// array) and after (a create's object of new values, an array without
// empty values) read the same through every reader: Journal,
// UndeliveredFields and the SQL of QueuedChangesTo.
func TestJournalReadsBothEncodings(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Write(ctx, "t", func(w *Writer) error {
		if _, err := w.PutDevice(Device{AssetTag: "A-1", Serial: "SN-1", Owner: "ICU"}); err != nil {
			return err
		}
		if _, err := w.UpdateDevice("A-1", OpUpdate, func(d *Device) error { d.Owner = ""; d.FirmwareVersion = "2.0"; return nil }); err != nil {
			return err
		}
		// An entry as the journal wrote it before.
		_, err := w.tx.ExecContext(ctx, `INSERT INTO journal (idempotency_id, device_id, asset_tag, op, changes, at, actor)
			VALUES ('old-1', 1, 'A-1', 'update', '[{"field":"hostname","old":"","new":"pump-1"},{"field":"ip","old":"127.0.0.1","new":""}]', ?, 't')`,
			FormatInstant(time.Now()))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var raw []string
	rows, err := s.db.QueryContext(ctx, "SELECT changes FROM journal ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		raw = append(raw, c)
	}
	rows.Close()
	if len(raw) != 3 || raw[0] != `{"serial":"SN-1","status":"in_service","owner":"ICU"}` ||
		raw[1] != `[{"field":"firmware_version","new":"2.0"},{"field":"owner","old":"ICU"}]` {
		t.Fatalf("stored changes %q", raw)
	}
	es, err := s.Journal(ctx, JournalQuery{})
	if err != nil || len(es) != 3 {
		t.Fatalf("journal: %d entries, %v", len(es), err)
	}
	want := [][]Change{
		{{Field: "serial", New: "SN-1"}, {Field: "status", New: "in_service"}, {Field: "owner", New: "ICU"}},
		{{Field: "firmware_version", New: "2.0"}, {Field: "owner", Old: "ICU"}},
		{{Field: "hostname", New: "pump-1"}, {Field: "ip", Old: "127.0.0.1"}},
	}
	for i := range want {
		if !reflect.DeepEqual(es[i].Changes, want[i]) {
			t.Errorf("entry %d changes %+v, want %+v", i, es[i].Changes, want[i])
		}
	}
	if err := s.Write(ctx, "t", func(w *Writer) error {
		for field, n := range map[string]int{"owner": 2, "hostname": 1, "ip": 1, "serial": 1, "firmware_version": 1, "os": 0} {
			got, err := w.QueuedChangesTo("A-1", field)
			if err != nil {
				return err
			}
			if got != n {
				t.Errorf("QueuedChangesTo(%s) = %d, want %d", field, got, n)
			}
		}
		fs, err := w.UndeliveredFields([]string{"A-1"}, []string{"everything"})
		if err != nil {
			return err
		}
		for _, f := range []string{"everything", "serial", "owner", "firmware_version", "hostname", "ip"} {
			if !fs["A-1"][f] {
				t.Errorf("UndeliveredFields misses %s: %v", f, fs)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCreateHasNoOldValues: a device with no values has every journalled
// field empty, so a create's changes can be written as new values only.
func TestCreateHasNoOldValues(t *testing.T) {
	if !zeroEmpty {
		t.Fatalf("an empty device has journalled values: %v", zeroJournal)
	}
}

// FuzzDecodeChanges: any stored text decodes or fails cleanly, and what
// decodes encodes and decodes back to the same changes.
func FuzzDecodeChanges(f *testing.F) {
	for _, s := range []string{`[]`, `null`, `{}`, `{"serial":"SN-1","owner":"ICU"}`, `[{"field":"ip","old":"","new":"127.0.0.1"}]`,
		`[{"field":"owner","old":"ICU"}]`, `{"a":1}`, `{"a":"x"} {}`, ` {"a":"\u003c"}`, `{"a":"x","a":"y"}`, `[{"field":"a","new":"\ud800"}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cs, err := decodeChanges(raw)
		if err != nil {
			return
		}
		back, err := decodeChanges(string(appendChanges(nil, cs)))
		if err != nil {
			t.Fatalf("%q: re-encoded changes do not decode: %v", raw, err)
		}
		if len(cs) == 0 && len(back) == 0 {
			return
		}
		if !reflect.DeepEqual(back, cs) {
			t.Fatalf("%q: %q re-encoded reads %q", raw, cs, back)
		}
	})
}
