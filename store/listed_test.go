package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// TestEachListedMatchesEachDevice checks the narrow listing query against
// the full one, filter by filter: same devices, same order, the printed
// fields equal (the model as "manufacturer model", a lone space without a
// model, as the listing printed it from Device).
func TestEachListedMatchesEachDevice(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := gen.New(gen.Options{Seed: 7, Devices: 400, Now: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)})
	if err := g.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	// Devices the generator does not make: no model, no room, odd text.
	if err := st.Write(ctx, "t", func(w *store.Writer) error {
		for _, d := range []store.Device{
			{AssetTag: "0-NOMODEL", LocationKey: "MAIN/3/3W-12", Status: store.StatusMissing},
			{AssetTag: "0-NOROOM", Manufacturer: "BD", Model: "Alaris 8015", DeviceClass: "infusion pump",
				FirmwareVersion: "12.1\x1b[2J", IP: "10.0.0.9", MAC: "00:09:fb:12:34:56"},
		} {
			if _, err := w.PutDevice(d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	all := collect(t, st, store.Filter{})
	room, building := all[len(all)-1].LocationKey, ""
	for _, d := range all {
		if d.LocationKey != "" && d.LocationKey != "MAIN/3/3W-12" {
			room = d.LocationKey
			break
		}
	}
	locs, err := st.Locations(ctx)
	if err != nil || len(locs) == 0 {
		t.Fatal(locs, err)
	}
	building = locs[len(locs)/2].Building
	tests := []struct {
		name string
		f    store.Filter
		min  int
	}{
		{"all", store.Filter{}, 402},
		{"room", store.Filter{Room: room}, 1},
		{"room without a model", store.Filter{Room: "MAIN/3/3W-12"}, 1},
		{"building", store.Filter{Building: building}, 1},
		{"status", store.Filter{Status: store.StatusMissing}, 1},
		{"room and status", store.Filter{Room: "MAIN/3/3W-12", Status: store.StatusMissing}, 1},
		{"no match", store.Filter{Room: "NOWHERE/0/0"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []store.Listed
			for _, d := range collect(t, st, tt.f) {
				want = append(want, store.Listed{AssetTag: d.AssetTag, DeviceClass: d.DeviceClass,
					Model: d.Manufacturer + " " + d.Model, LocationKey: d.LocationKey, Status: d.Status,
					FirmwareVersion: d.FirmwareVersion, IP: d.IP, MAC: d.MAC})
			}
			var got []store.Listed
			if err := st.EachListed(ctx, tt.f, func(l store.Listed) error {
				got = append(got, l)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) < tt.min {
				t.Fatalf("%d devices, want at least %d", len(got), tt.min)
			}
			if !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("row %d: got %+v, want %+v", i, got[i], want[i])
					}
				}
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
		})
	}
	if l := first(t, st, store.Filter{Room: "MAIN/3/3W-12"}); l.Model != " " {
		t.Errorf("model of a device without one = %q, want a lone space", l.Model)
	}
}

func collect(t *testing.T, st *store.Store, f store.Filter) []store.Device {
	t.Helper()
	var out []store.Device
	if err := st.EachDevice(context.Background(), f, func(d store.Device) error {
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func first(t *testing.T, st *store.Store, f store.Filter) store.Listed {
	t.Helper()
	var out store.Listed
	if err := st.EachListed(context.Background(), f, func(l store.Listed) error {
		if out.AssetTag == "" {
			out = l
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
