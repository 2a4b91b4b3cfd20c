package exchange_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
)

// loadFile is n device rows, several import batches long, with row i
// (0-based, on line i+2) changed by edit.
func loadFile(n int, edit func(i int, row []string)) string {
	var b strings.Builder
	b.WriteString("asset_tag,serial,mac,location\n")
	for i := range n {
		row := []string{fmt.Sprintf("L-%05d", i), fmt.Sprintf("SN-%d", i), fmt.Sprintf("00:09:fb:01:%02x:%02x", i>>8, i&255), fmt.Sprintf("MAIN/%d/R-%d", i%4, i%9)}
		if edit != nil {
			edit(i, row)
		}
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return b.String()
}

// TestLoadIntoEmptyInventoryNamesTheLine: an import into an empty
// inventory loads then indexes; a unique identifier repeated far apart in
// the file (different batches) is still reported at the later line with
// the field and the first holder, as the row-by-row path reports it, and
// nothing is written. The same file into a stored inventory (row-by-row
// checks) gives the same error.
func TestLoadIntoEmptyInventoryNamesTheLine(t *testing.T) {
	tests := []struct {
		name string
		edit func(i int, row []string)
		want string
	}{
		{"serial", func(i int, row []string) {
			if i == 700 {
				row[1] = "SN-5"
			}
		}, "d.csv:702: serial: SN-5 already belongs to device L-00005"},
		{"MAC written differently", func(i int, row []string) {
			if i == 400 {
				row[2] = "00-09-FB-01-00-0A"
			}
		}, "d.csv:402: mac: 00:09:fb:01:00:0a already belongs to device L-00010"},
		{"two repeats, the first line wins", func(i int, row []string) {
			switch i {
			case 650:
				row[1] = "SN-1"
			case 300:
				row[2] = "00:09:fb:01:00:63"
			}
		}, "d.csv:302: mac: 00:09:fb:01:00:63 already belongs to device L-00099"},
	}
	for _, tt := range tests {
		for _, stored := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stored=%v", tt.name, stored), func(t *testing.T) {
				st := open(t)
				if stored {
					mustImport(t, st, "seed.csv", sample, exchange.Options{})
				}
				before := snapshot(t, st)
				_, err := importString(t, st, "d.csv", loadFile(800, tt.edit), exchange.Options{})
				if err == nil || err.Error() != tt.want {
					t.Fatalf("error\n got %v\nwant %s", err, tt.want)
				}
				if snapshot(t, st) != before {
					t.Fatal("failed import changed the database")
				}
			})
		}
	}
}

// TestLoadIntoEmptyInventory: the loaded inventory answers look-ups by
// room and identifier, and journals every create unless baseline.
func TestLoadIntoEmptyInventory(t *testing.T) {
	ctx := context.Background()
	for _, baseline := range []bool{false, true} {
		st := open(t)
		res := mustImport(t, st, "d.csv", loadFile(800, nil), exchange.Options{Baseline: baseline})
		if res.Created != 800 {
			t.Fatalf("created %d, want 800", res.Created)
		}
		ds, err := st.DevicesByIdentifier(ctx, store.IdentSerial, "SN-777")
		if err != nil || len(ds) != 1 || ds[0].AssetTag != "L-00777" {
			t.Fatalf("by serial: %+v %v", ds, err)
		}
		room, err := st.DevicesInRoom(ctx, "MAIN/1/R-1")
		if err != nil || len(room) == 0 {
			t.Fatalf("room: %d %v", len(room), err)
		}
		es, err := st.Journal(ctx, store.JournalQuery{})
		if want := map[bool]int{false: 800, true: 0}[baseline]; err != nil || len(es) != want {
			t.Fatalf("baseline=%v: %d journal entries, want %d (%v)", baseline, len(es), want, err)
		}
		// A second file now updates, through the checked path.
		res = mustImport(t, st, "d2.csv", "asset_tag,hostname\nL-00001,h1\n", exchange.Options{})
		if res.Updated != 1 {
			t.Fatalf("second import: %+v", res)
		}
	}
}
