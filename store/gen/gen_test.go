package gen

import (
	"context"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

var day = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

func TestDeterministicAndExactSize(t *testing.T) {
	for _, n := range []int{0, 1, 17, 2500} {
		a := New(Options{Seed: 7, Devices: n, Now: day})
		b := New(Options{Seed: 7, Devices: n, Now: day})
		var da, db []store.Device
		a.EachDevice(func(d store.Device) error { da = append(da, d); return nil })
		b.EachDevice(func(d store.Device) error { db = append(db, d); return nil })
		if len(da) != n {
			t.Fatalf("n=%d: generated %d devices", n, len(da))
		}
		if !reflect.DeepEqual(da, db) || !reflect.DeepEqual(a.Locations(), b.Locations()) {
			t.Fatalf("n=%d: same options gave different inventories", n)
		}
		if len(a.Locations()) == 0 {
			t.Fatalf("n=%d: no rooms", n)
		}
	}
	x := New(Options{Seed: 1, Devices: 50, Now: day})
	y := New(Options{Seed: 2, Devices: 50, Now: day})
	var sx, sy string
	x.EachDevice(func(d store.Device) error { sx += d.Serial; return nil })
	y.EachDevice(func(d store.Device) error { sy += d.Serial; return nil })
	if sx == sy {
		t.Error("different seeds gave the same serials")
	}
}

// TestIdentifiersUnique checks that every unique identifier kind is
// unique across a large inventory and that values are well formed.
func TestIdentifiersUnique(t *testing.T) {
	n := 60_000
	if testing.Short() {
		n = 10_000
	}
	g := New(Options{Seed: 42, Devices: n, Now: day})
	seen := map[string]string{}
	rooms := map[string]bool{}
	for _, l := range g.Locations() {
		rooms[l.Key] = true
	}
	classes := map[string]int{}
	err := g.EachDevice(func(d store.Device) error {
		classes[d.DeviceClass]++
		if !rooms[d.LocationKey] {
			t.Fatalf("%s: room %q not among locations", d.AssetTag, d.LocationKey)
		}
		for _, v := range []string{"tag " + d.AssetTag, "serial " + d.Serial, "mac " + d.MAC, "ble " + d.BLEAddress} {
			if v[len(v)-1] == ' ' {
				continue
			}
			if other, dup := seen[v]; dup {
				t.Fatalf("%s and %s share %s", other, d.AssetTag, v)
			}
			seen[v] = d.AssetTag
		}
		if d.MAC != "" && store.NormalizeIdent(store.IdentMAC, d.MAC) != d.MAC {
			t.Fatalf("%s: MAC %q not in stored form", d.AssetTag, d.MAC)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{classInfusion, classMonitor, classVentilator, classMRI, classInsulin, classGlucose, classTelemetry, classLab} {
		if classes[c] == 0 {
			t.Errorf("no %s among %d devices", c, n)
		}
	}
}

func TestLayout(t *testing.T) {
	g := New(Options{Seed: 3, Devices: 3000, Now: day})
	var shielded, imaging, guest int
	perRoom := map[string]int{}
	g.EachDevice(func(d store.Device) error { perRoom[d.LocationKey]++; return nil })
	for _, l := range g.Locations() {
		if l.RFShielded {
			shielded++
		}
		if len(l.Segments) == 0 {
			t.Errorf("%s has no segment", l.Key)
		}
		for _, s := range l.Segments {
			switch s.Tags[0] {
			case "imaging":
				imaging++
			case "guest":
				guest++
			}
			if !s.CIDR.Addr().IsLoopback() || s.CIDR.Addr().IsPrivate() || s.CIDR.Contains(netip.MustParseAddr("127.0.0.1")) {
				t.Errorf("%s: segment %s is not a loopback /24 away from 127.0.0.1", l.Key, s.CIDR)
			}
		}
	}
	if shielded == 0 || imaging == 0 || guest == 0 {
		t.Errorf("shielded=%d imaging=%d guest=%d; want some of each", shielded, imaging, guest)
	}
	if icu := perRoom["MAIN/4/ICU-01"]; icu < 8 || icu > 25 {
		t.Errorf("ICU room holds %d devices, want a realistic 8-25", icu)
	}
	// Catalog facts the reconcile flags depend on.
	var eol, belowBaseline int
	models := map[string]store.Model{}
	for _, m := range Catalog() {
		models[m.Manufacturer+"|"+m.Model] = m
		if !m.OSEOL.IsZero() && m.OSEOL.Before(day) {
			eol++
		}
	}
	g.EachDevice(func(d store.Device) error {
		m := models[d.Manufacturer+"|"+d.Model]
		if d.FirmwareVersion != "" && d.FirmwareVersion != m.MinFirmware && d.FirmwareVersion < m.MinFirmware {
			belowBaseline++
		}
		return nil
	})
	if eol == 0 || belowBaseline == 0 {
		t.Errorf("eol models=%d below-baseline units=%d; the demo needs both", eol, belowBaseline)
	}
}

func TestCatalogPrefixesDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, e := range catalog {
		if o, dup := seen[e.prefix]; dup {
			t.Errorf("%s and %s share serial prefix %q", o, e.Model.Model, e.prefix)
		}
		seen[e.prefix] = e.Model.Model
		if len(e.firmware) > 0 && (e.minIdx >= len(e.firmware)) {
			t.Errorf("%s: baseline index out of range", e.Model.Model)
		}
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := New(Options{Seed: 5, Devices: 500, Now: day})
	if err := g.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountDevices(ctx); n != 500 {
		t.Fatalf("loaded %d devices", n)
	}
	if c, _ := st.JournalCounts(ctx); len(c) != 0 {
		t.Errorf("generated data was journalled: %v", c)
	}
	ls, _ := st.Locations(ctx)
	if !reflect.DeepEqual(stripIDs(ls), g.Locations()) {
		t.Error("stored locations differ from generated ones")
	}
}

func stripIDs(ls []store.Location) []store.Location {
	for i := range ls {
		ls[i].ID = 0
	}
	return ls
}
