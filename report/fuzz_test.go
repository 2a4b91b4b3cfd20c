package report

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// FuzzReport writes reports whose outside strings (device names, record
// fields, advisory documents and links) are arbitrary bytes: no writer
// may fail or panic, text, HTML and CSV must carry no control bytes, and
// the CSV must read back with the same shape.
func FuzzReport(f *testing.F) {
	for _, s := range []string{"", "plain", "=cmd|' /C calc'!A0", "\x1b]0;t\x07", "<script>", "a\"b,c\nd", "\xff\xfe", "javascript:alert(1)"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, name, field, doc string) {
		r := sample()
		r.Round.Name = name
		r.Rooms[0].Name = field
		fs := r.Rooms[0].Findings
		fs[0].Observations = []scan.Observation{{Source: scan.SourceBLE, BLE: &scan.BLE{Address: field, Name: name}}}
		fs[1].Device = &store.Device{AssetTag: field, Manufacturer: name, Model: field, Serial: doc}
		fs[1].Flags = append(fs[1].Flags, reconcile.Flag{Kind: reconcile.AdvisoryMatch, Document: doc, URL: doc, Rule: name})
		fs[2].Action, fs[2].Reason = name, doc
		for _, fm := range Formats {
			var b bytes.Buffer
			if err := Write(&b, fm, r); err != nil {
				t.Fatalf("%s: %v", fm, err)
			}
			if fm == JSON {
				continue
			}
			for _, c := range b.Bytes() {
				if (c < 0x20 && c != '\n' && c != '\r') || c == 0x7f {
					t.Fatalf("%s output holds control byte %#x", fm, c)
				}
			}
			if fm == CSV {
				rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
				if err != nil || len(rows) != 5 {
					t.Fatalf("CSV reads back as %d rows, %v", len(rows), err)
				}
			}
		}
	})
}
