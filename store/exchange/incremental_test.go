package exchange_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
)

// newRows returns n device rows (header first) that no stored device
// conflicts with: each names its own room and model, so that a batch
// that is undone must also take its new rooms and catalog entries away.
// bad, if not nil, rewrites row i (0-based).
func newRows(n int, bad func(i int) string) string {
	var b strings.Builder
	b.WriteString(header)
	for i := range n {
		if bad != nil {
			if row := bad(i); row != "" {
				b.WriteString(row)
				continue
			}
		}
		fmt.Fprintf(&b, "N-%04d,NS-%04d,Acme,Model %d,infusion pump,NEW,%d,R-%d,02:00:00:00:%02x:%02x,,10.9.%d.%d,,1.0,,,,,,In Service,\n",
			i, i, i%7, i%5, i, i>>8, i&255, i>>8, i&255)
	}
	return b.String()
}

// TestIncrementalImportNamesTheLine: into an inventory that holds devices
// (no load), a new device whose MAC or serial a stored device holds is
// found by the unique constraints, not by look-ups before each batch. The
// batch it sits in is undone and written row by row, so the error still
// names its line and field, and the failed import leaves the database as
// it was, rooms and catalog included, whatever batch the line falls in.
func TestIncrementalImportNamesTheLine(t *testing.T) {
	tests := []struct {
		name string
		i    int // 0-based row; its line is i+2
		row  string
		want string
	}{
		{"held MAC, first batch", 5, "N-0005,NS-0005,Acme,Model X,infusion pump,NEW,9,R-X,00:09:fb:12:34:56,,,,,,,,,,,\n",
			"d.csv:7: mac: 00:09:fb:12:34:56 already belongs to device BME-1"},
		{"held MAC, third batch", 300, "N-0300,NS-0300,Acme,Model X,infusion pump,NEW,9,R-X,00-09-FB-00-00-02,,,,,,,,,,,\n",
			"d.csv:302: mac: 00:09:fb:00:00:02 already belongs to device BME-2"},
		{"held serial, last row of a chunk", 191, "N-0191,SN3,Acme,Model X,infusion pump,NEW,9,R-X,,,,,,,,,,,,\n",
			"d.csv:193: serial: SN3 already belongs to device BME-3"},
		{"held serial, last row", 399, "N-0399,SN1,Acme,Model X,infusion pump,NEW,9,R-X,,,,,,,,,,,,\n",
			"d.csv:401: serial: SN1 already belongs to device BME-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			mustImport(t, st, "seed.csv", sample, exchange.Options{})
			before := snapshot(t, st)
			counts, _ := st.Counts(ctx)
			data := newRows(400, func(i int) string {
				if i == tt.i {
					return tt.row
				}
				return ""
			})
			res, err := importString(t, st, "d.csv", data, exchange.Options{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("import = %+v, %v\nwant error %s", res, err, tt.want)
			}
			if after, _ := st.Counts(ctx); after != counts {
				t.Errorf("counts after the failed import: %v, before %v", after, counts)
			}
			if snapshot(t, st) != before {
				t.Error("failed import changed the database")
			}
			// Skipping the bad row: the others are created; the bad one
			// leaves neither its device nor its new room and model.
			res, err = importString(t, st, "d.csv", data, exchange.Options{SkipBad: true})
			if err != nil || res.Created != 399 || len(res.Skipped) != 1 || res.Skipped[0].Line != tt.i+2 {
				t.Fatalf("skipping: %+v, %v", res, err)
			}
			if _, err := st.Device(ctx, fmt.Sprintf("N-%04d", tt.i)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("skipped device: %v, want not found", err)
			}
			if _, err := st.Location(ctx, "NEW/9/R-X"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("room of the skipped row: %v, want not found", err)
			}
			after, _ := st.Counts(ctx)
			want := store.Counts{Devices: counts.Devices + 399, Identifiers: counts.Identifiers + 3*399,
				Models: counts.Models + 7, Locations: counts.Locations + 399}
			if after != want {
				t.Errorf("counts after skipping: %v; want %v", after, want)
			}
			if es, _ := st.Journal(ctx, store.JournalQuery{}); len(es) != 3+399 {
				t.Errorf("%d journal entries, want %d", len(es), 3+399)
			}
		})
	}
}

// TestIncrementalImportMixesCreatesAndUpdates: a batch holding a stored
// asset tag (an update) among new ones is undone when the constraint
// answers and written row by row: every new device is created once with
// its create entry, the stored one updated with an update entry.
func TestIncrementalImportMixesCreatesAndUpdates(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	mustImport(t, st, "seed.csv", sample, exchange.Options{})
	data := newRows(300, func(i int) string {
		if i == 150 {
			return "BME-2,SN2,Philips,IntelliVue MX450,patient monitor,MAIN,3,3W-14,00:09:fb:00:00:02,,127.3.12.22,,M.00.04,,,,,,,\n"
		}
		return ""
	})
	res, err := importString(t, st, "d.csv", data, exchange.Options{})
	if err != nil || res.Created != 299 || res.Updated != 1 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	d, err := st.Device(ctx, "BME-2")
	if err != nil || d.FirmwareVersion != "M.00.04" || d.LocationKey != "MAIN/3/3W-14" {
		t.Fatalf("BME-2 = %+v, %v", d, err)
	}
	es, err := st.Journal(ctx, store.JournalQuery{AfterSeq: 3})
	if err != nil || len(es) != 300 {
		t.Fatalf("%d journal entries, %v; want 300", len(es), err)
	}
	ops := map[store.Op]int{}
	for _, e := range es {
		ops[e.Op]++
	}
	if ops[store.OpCreate] != 299 || ops[store.OpUpdate] != 1 {
		t.Fatalf("journal ops %v", ops)
	}
	if c, _ := st.Counts(ctx); c.Devices != 302 {
		t.Fatalf("counts %v, want 302 devices", c)
	}
}
