package store

import (
	"bytes"
	"encoding/json"
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

// TestChangesEncodingMatchesJSON: the journal's changes are written byte
// for byte as encoding/json writes them, so that every reader (Go and the
// SQL json functions) sees what it saw before.
func TestChangesEncodingMatchesJSON(t *testing.T) {
	cases := [][]Change{
		{},
		{{Field: "serial", New: "SN-1"}},
		{{Field: "firmware_version", Old: "1.0", New: "2.0"}, {Field: "note", New: "checked"}},
	}
	for _, s := range hostileStrings {
		cases = append(cases, []Change{{Field: "owner", Old: s, New: s + "!"}, {Field: s, New: "x"}})
	}
	for _, cs := range cases {
		want, err := json.Marshal(cs)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendChanges(nil, cs); !bytes.Equal(got, want) {
			t.Errorf("appendChanges(%q)\n got %s\nwant %s", cs, got, want)
		}
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
		want, _ := json.Marshal(cs)
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
		want, err := json.Marshal(cs)
		if err != nil {
			t.Fatal(err)
		}
		got := appendChanges(nil, cs)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
		var back []Change
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%s does not decode: %v", got, err)
		}
	})
}
