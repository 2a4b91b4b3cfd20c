package sync

import (
	"testing"

	"github.com/biomed-rounds/rounds/store"
)

// FuzzSetField feeds server values into device fields: a bad value must
// be an error naming the field, and a good one must read back the same
// (after normalisation), or the merge would see a change forever.
func FuzzSetField(f *testing.F) {
	for _, fl := range Fields {
		f.Add(fl, "")
	}
	f.Add(FieldLastSeen, "2026-01-01T10:00:00Z")
	f.Add(FieldLastAudited, "2026-02-30")
	f.Add(FieldStatus, "Ready to Deploy")
	f.Add(FieldLocation, "MAIN/3/3W-12")
	f.Add(FieldMAC, "00-09-FB-12-34-56")
	f.Add(FieldIP, "10.0.0.01")
	f.Fuzz(func(t *testing.T, field, v string) {
		var d store.Device
		if err := SetField(&d, field, Normalize(field, v)); err != nil {
			return
		}
		got := DeviceFields(d)[field]
		if field == FieldStatus || field == FieldMAC || field == FieldBLEAddress || field == FieldIP {
			return // normalised by the store on write
		}
		if got != Normalize(field, v) {
			t.Fatalf("%s: set %q, read back %q", field, Normalize(field, v), got)
		}
	})
}
