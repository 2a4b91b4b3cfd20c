package exchange_test

import (
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
)

// TestExportDefusesFormulas: values a CMDB or a technician typed that a
// spreadsheet would run as formulas leave in CSV with one apostrophe in
// front, and importing the exported file restores each value exactly.
// Before export used inert.CSVCell, they went out raw.
func TestExportDefusesFormulas(t *testing.T) {
	ctx := context.Background()
	hostile := []string{"=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3+cmd", "@SUM(A1:A9)", "'=already quoted", "'s-Hertogenbosch"}
	st := open(t)
	if err := st.Write(ctx, "t", func(w *store.Writer) error {
		for i, v := range hostile {
			if _, err := w.PutDevice(store.Device{AssetTag: "T" + string(rune('A'+i)), Owner: v, Hostname: "h" + string(rune('a'+i)),
				Status: store.StatusInService}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out := export(t, st, exchange.CSV, exchange.Devices)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("exported cell %q would run as a formula", cell)
			}
		}
	}
	fresh := open(t)
	mustImport(t, fresh, "export.csv", out, exchange.Options{})
	for i, v := range hostile {
		d, err := fresh.Device(ctx, "T"+string(rune('A'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if d.Owner != v {
			t.Errorf("round trip of %q gave %q", v, d.Owner)
		}
	}
	if again := export(t, fresh, exchange.CSV, exchange.Devices); again != out {
		t.Errorf("export → import → export changed the bytes:\n%s\nthen\n%s", out, again)
	}
}

// TestImportRefusesInvisibleCharacters: a zero-width or bidirectional
// control character in a value (a spoofed asset tag that looks like
// another) is refused with the file, line and field, and nothing is
// stored.
func TestImportRefusesInvisibleCharacters(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"zero-width space", "AT\u200b100"},
		{"right-to-left override", "AT\u202e001"},
		{"byte-order mark inside", "AT\ufeff100"},
		{"isolate", "\u2066AT100\u2069"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			_, err := importString(t, st, "in.csv", "asset_tag,status\nOK1,in_service\n"+tc.value+",in_service\n", exchange.Options{})
			var re *exchange.RowError
			if !errors.As(err, &re) {
				t.Fatalf("import: %v, want a RowError", err)
			}
			if re.Line != 3 || re.Field != "asset_tag" {
				t.Errorf("error names line %d field %q, want line 3 field asset_tag: %v", re.Line, re.Field, err)
			}
			if n, _ := st.CountDevices(context.Background()); n != 0 {
				t.Errorf("%d devices stored after a refused import", n)
			}
		})
	}
}
