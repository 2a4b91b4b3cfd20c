package sync

import (
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
)

// FuzzCleanRecord: whatever a CMDB sends, what cleanRecord keeps is inert
// and bounded (issue 13 item 15).
func FuzzCleanRecord(f *testing.F) {
	f.Add("BME-1", "SN\x1b]0;owned\x07", "line\n\x1b[2Jnext", "In Stock")
	f.Add("T\u202e", "ok", "", "1")
	f.Fuzz(func(t *testing.T, tag, serial, notes, status string) {
		r := Record{AssetTag: tag, RemoteID: "1", Fields: map[string]string{FieldSerial: serial, FieldNotes: notes, FieldStatus: status}}
		out, problems, ok := cleanRecord(r)
		if !ok {
			if len(problems) == 0 {
				t.Fatal("refused without a reason")
			}
			return
		}
		if !inert.Clean(out.AssetTag) {
			t.Fatalf("tag %q kept", out.AssetTag)
		}
		for f, v := range out.Fields {
			if f == FieldNotes {
				for _, l := range strings.Split(v, "\n") {
					if !inert.Clean(l) {
						t.Fatalf("notes line %q kept", l)
					}
				}
				if inventory.CheckLen(f, v, inventory.MaxNote) != nil {
					t.Fatal("notes unbounded")
				}
				continue
			}
			if !inert.Clean(v) || inventory.CheckLen(f, v, limit(f)) != nil {
				t.Fatalf("%s = %q kept", f, v)
			}
		}
	})
}
