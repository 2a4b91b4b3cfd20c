package reconcile

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

func TestStrongIdentifiersDisagreeing(t *testing.T) {
	// The MAC says BME-0001, the serial says BME-0004: two records claim
	// what was seen, so no device is chosen.
	w := newWorld()
	o := ipObs("10.3.12.40", "00:09:fb:00:00:01")
	o.Hints.Serial = "A-0004"
	w.obs = []scan.Observation{o}
	fs := w.run()
	us := findKind(fs, Unknown)
	if len(us) != 1 || len(us[0].Claimants) != 2 || hasFlag(&us[0], DuplicateIdentity) == nil {
		t.Fatalf("%s", summary(fs))
	}
	if find(fs, Verified, "BME-0001") != nil || find(fs, MovedHere, "BME-0004") != nil {
		t.Errorf("a device was guessed: %s", summary(fs))
	}
}

func TestReconcileWithNothingLoaded(t *testing.T) {
	// No index, catalog, advisories or device records: every observation
	// is unknown and nothing panics.
	fs := Reconcile(Input{Room: store.Location{Key: room}, Observations: []scan.Observation{
		ipObs("10.3.12.1", "00:09:fb:00:00:01"), bleObs("AA:BB:CC:DD:EE:FF", scan.AddrPublic, scan.InRoom), {},
	}})
	if len(fs) != 3 || len(findKind(fs, Unknown)) != 3 {
		t.Fatalf("%s", summary(fs))
	}
}

func FuzzReconcile(f *testing.F) {
	f.Add("pump-0001", "A-0001", "00:09:fb:00:00:01", "Nonin3230_1", "Masimo", "Rad-97", "v2.1.0")
	f.Add("\x1b[31m", "", "zz", "*", "", "", "")
	w := newWorld()
	w.dev("BME-0005").Identifiers = []store.Identifier{{Kind: store.IdentBLEName, Value: "Nonin3230_*"}}
	b := NewIndexBuilder(0)
	all := map[int64]*store.Device{}
	for i := range w.devs {
		b.AddDevice(&w.devs[i])
		all[w.devs[i].ID] = &w.devs[i]
	}
	in := Input{Room: w.room, Expected: w.devs[:3], Index: b.Build(), Devices: all, Catalog: NewCatalog(w.models),
		Advisories: testAdvisories(f), Sweeps: Sweeps{IP: true, BLE: true}, Now: now}
	f.Fuzz(func(t *testing.T, host, serial, mac, name, vendor, model, fw string) {
		o := ipObs("10.3.12.7", mac)
		o.Hostname, o.Vendor = host, vendor
		o.Hints = scan.Hints{Manufacturer: vendor, Model: model, Serial: serial, Firmware: fw}
		bo := bleObs(strings.ToUpper(mac), scan.AddrPublic, scan.InRoom)
		bo.BLE.Name = name
		bo.Hints = o.Hints
		in.Observations = []scan.Observation{o, bo, ipObs("10.3.99.1", serial)}
		fs := Reconcile(in)
		seen := 0
		for _, f := range fs {
			seen += len(f.Observations)
			if f.Device == nil && f.Kind != Unknown && f.Kind != HeardNearby {
				t.Fatalf("finding %s without a device", f.Kind)
			}
		}
		if seen != 3 {
			t.Fatalf("%d observations in findings, want 3: %s", seen, summary(fs))
		}
		_ = netip.Addr{}
	})
}

func TestReconcileConcurrently(t *testing.T) {
	// One index, catalog and matcher serve concurrent visits (the TUI
	// reconciles while a sweep streams in); -race checks the caches.
	w := newWorld()
	b := NewIndexBuilder(0)
	all := map[int64]*store.Device{}
	for i := range w.devs {
		b.AddDevice(&w.devs[i])
		all[w.devs[i].ID] = &w.devs[i]
	}
	in := Input{Room: w.room, Expected: w.devs[:3], Index: b.Build(), Devices: all, Catalog: NewCatalog(w.models),
		Advisories: testAdvisories(t), Sweeps: Sweeps{IP: true, BLE: true}, Now: now}
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			in := in
			o := ipObs("10.3.12.77", "00:14:7f:aa:bb:cc")
			o.Vendor, o.Hints.Model = "Masimo", "Rad-97"
			in.Observations = []scan.Observation{ipObs("10.3.12.11", "00:09:fb:00:00:01"), o, ipObs("10.3.12.50", "00:09:fb:00:00:04")}
			done <- summary(Reconcile(in))
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		if s := <-done; s != first {
			t.Errorf("concurrent results differ: %q vs %q", s, first)
		}
	}
}

func TestLatestObservationWins(t *testing.T) {
	a := ipObs("10.3.12.11", "00:09:fb:00:00:01")
	b := ipObs("10.3.12.11", "00:09:fb:00:00:04") // same host, later answer
	g1 := bleObs("4A:00:00:00:00:01", scan.AddrResolvable, scan.InRoom)
	g1.BLE.GroupKey = "grp"
	g2 := bleObs("4A:00:00:00:00:02", scan.AddrResolvable, scan.InRoom)
	g2.BLE.GroupKey = "grp" // the same advertiser after rotating
	p := bleObs("00:1B:2C:00:00:02", scan.AddrPublic, scan.InRoom)
	got := latest([]scan.Observation{a, g1, b, g2, p, p})
	if len(got) != 3 || got[0].MAC != b.MAC || got[1].BLE.Address != g2.BLE.Address || got[2].BLE.Address != p.BLE.Address {
		t.Fatalf("latest = %+v", got)
	}
	for i, o := range got {
		for j, q := range got {
			if i != j && o.Key() == q.Key() {
				t.Errorf("two observations share key %s", o.Key())
			}
		}
	}
}

func TestWeakMatchContradictedByMAC(t *testing.T) {
	// Another unit, not in the inventory, answers at BME-0001's recorded
	// IP and hostname with a MAC of its own: it is not BME-0001.
	w := newWorld()
	o := ipObs("10.3.12.11", "02:00:00:00:00:99")
	o.Hostname = "pump-0001"
	w.obs = []scan.Observation{o}
	fs := w.run()
	us := findKind(fs, Unknown)
	if len(us) != 1 || !strings.Contains(us[0].Reason, "recorded for BME-0001, but the MAC seen is 02:00:00:00:00:99") {
		t.Fatalf("%s %+v", summary(fs), us)
	}
	if find(fs, Missing, "BME-0001") == nil {
		t.Errorf("BME-0001 should be missing: %s", summary(fs))
	}
	// Without a MAC to contradict it, the IP and hostname match.
	w.obs[0].MAC = ""
	if f := find(w.run(), Verified, "BME-0001"); f == nil || f.Match.By != store.IdentHostname || f.Match.Confidence != 0.85 {
		t.Errorf("match = %+v", f)
	}
}

func TestIndexCandidates(t *testing.T) {
	w := newWorld()
	b := NewIndexBuilder(0)
	for i := range w.devs {
		b.AddDevice(&w.devs[i])
	}
	ix := b.Build()
	o := ipObs("10.3.12.11", "00:09:fb:00:00:04") // BME-0004's MAC at BME-0001's IP
	got := ix.Candidates([]scan.Observation{o, bleObs("00:1C:05:00:00:05", scan.AddrPublic, scan.InRoom)})
	want := map[int64]bool{4: true, 1: true, 5: true}
	if len(got) != len(want) {
		t.Fatalf("candidates = %v", got)
	}
	for _, id := range got {
		if !want[id] {
			t.Errorf("unexpected candidate %d", id)
		}
	}
}
