package reconcile

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// benchDevices is the inventory size of the benchmarks.
const benchDevices = 1_000_000

type benchWorld struct {
	in       Input
	idents   int
	buildDur time.Duration
}

var (
	benchOnce sync.Once
	bench     *benchWorld
)

// benchSetup generates a 1,000,000-device inventory with store/gen,
// indexes all of it, and prepares 1,000 observations for one room: the
// room's own devices, devices recorded elsewhere, unknown hosts and BLE
// advertisers heard through the wall.
func benchSetup(b *testing.B) *benchWorld {
	benchOnce.Do(func() {
		g := gen.New(gen.Options{Seed: 7, Devices: benchDevices, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
		locs := g.Locations()
		room := locs[len(locs)/2]
		ib := NewIndexBuilder(benchDevices * 6)
		devs := map[int64]*store.Device{}
		var expected []store.Device
		var obs []scan.Observation
		var id int64
		start := time.Now()
		_ = g.EachDevice(func(d store.Device) error {
			id++
			d.ID = id
			ib.AddDevice(&d)
			switch {
			case d.LocationKey == room.Key:
				expected = append(expected, d)
			case id%1300 == 0 && len(obs) < 700 && d.MAC != "":
				dd := d
				devs[id] = &dd
				o := scan.Observation{Time: time.Now(), Source: scan.SourceIP, MAC: d.MAC, Alive: true, Ports: []int{80, 443}}
				o.IP = netip.AddrFrom4([4]byte{10, 99, byte(len(obs) / 250), byte(len(obs)%250 + 1)})
				o.Hostname = d.Hostname
				obs = append(obs, o)
			}
			return nil
		})
		idx := ib.Build()
		build := time.Since(start)
		for _, d := range expected {
			var o scan.Observation
			if d.MAC != "" {
				o = scan.Observation{Time: time.Now(), Source: scan.SourceIP, MAC: d.MAC, Alive: true}
				if a, err := netip.ParseAddr(d.IP); err == nil {
					o.IP = a
				}
			} else if d.BLEAddress != "" {
				o = scan.Observation{Time: time.Now(), Source: scan.SourceBLE, BLE: &scan.BLE{Address: d.BLEAddress, AddressType: scan.AddrPublic, Placement: scan.InRoom}}
			} else {
				continue
			}
			obs = append(obs, o)
		}
		for i := 0; len(obs) < 950; i++ {
			o := scan.Observation{Time: time.Now(), Source: scan.SourceIP, MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256),
				IP: netip.AddrFrom4([4]byte{10, 98, byte(i / 250), byte(i%250 + 1)}), Vendor: "Philips Medical Systems", Alive: true}
			o.Hints.Model = "IntelliVue MX450"
			obs = append(obs, o)
		}
		for i := 0; len(obs) < 1000; i++ {
			obs = append(obs, scan.Observation{Time: time.Now(), Source: scan.SourceBLE, Vendor: "Nonin Medical",
				BLE: &scan.BLE{Address: fmt.Sprintf("4A:00:00:00:00:%02X", i), AddressType: scan.AddrResolvable, Placement: scan.Nearby, Services: []string{"1822"}}})
		}
		advs := benchAdvisories(gen.Catalog(), 500)
		bench = &benchWorld{in: Input{Room: room, Expected: expected, Index: idx, Devices: devs, Observations: obs,
			Catalog: NewCatalog(g.Models()), Advisories: advisory.NewMatcher(advs, nil), Sweeps: Sweeps{IP: true, BLE: true},
			Now: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}, idents: idx.Len(), buildDur: build}
	})
	return bench
}

// benchAdvisories writes n CSAF documents over the catalog's models, with
// the version expressions real advisories use, and parses them.
func benchAdvisories(models []store.Model, n int) []*advisory.Advisory {
	exprs := []string{"<= %s", "versions prior to %s", "%s and prior", "vers:generic/>=0|<%s", "All versions", "%s.X"}
	out := make([]*advisory.Advisory, 0, n)
	for i := 0; i < n; i++ {
		m := models[i%len(models)]
		fw := m.LatestFirmware
		if fw == "" {
			fw = "1.0"
		}
		e := exprs[i%len(exprs)]
		if strings.Contains(e, "%s.X") {
			fw = strings.SplitN(fw, ".", 2)[0]
		}
		if strings.Contains(e, "%s") {
			e = fmt.Sprintf(e, fw)
		}
		doc := fmt.Sprintf(`{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "adv %d",
			"tracking": {"id": "ICSMA-BENCH-%04d", "version": "1", "status": "final", "current_release_date": "2025-01-01T00:00:00Z", "initial_release_date": "2025-01-01T00:00:00Z"}},
			"product_tree": {"branches": [{"category": "vendor", "name": %q, "branches": [{"category": "product_name", "name": %q,
			"branches": [{"category": "product_version_range", "name": %q, "product": {"name": "p", "product_id": "CSAFPID-0001"}}]}]}]},
			"vulnerabilities": [{"cve": "CVE-2025-%04d", "product_status": {"known_affected": ["CSAFPID-0001"]},
			"scores": [{"products": ["CSAFPID-0001"], "cvss_v3": {"baseScore": 7.1, "baseSeverity": "HIGH", "vectorString": "x"}}]}]}`,
			i, i, m.Manufacturer, m.Model, e, i)
		a, err := advisory.ParseCSAF("bench.json", []byte(doc))
		if err != nil {
			panic(err)
		}
		out = append(out, a)
	}
	return out
}

// BenchmarkReconcile1000Observations reconciles 1,000 observations for one
// room against the index of a 1,000,000-device inventory (goal: < 5 ms).
func BenchmarkReconcile1000Observations(b *testing.B) {
	w := benchSetup(b)
	var fs []Finding
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		fs = Reconcile(w.in)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	kinds := map[Kind]int{}
	flags := 0
	for _, f := range fs {
		kinds[f.Kind]++
		flags += len(f.Flags)
	}
	if kinds[MovedHere] < 500 || kinds[Unknown] < 200 || kinds[HeardNearby] != 50 {
		b.Fatalf("unexpected findings: %v", kinds)
	}
	b.ReportMetric(float64(len(fs)), "findings")
	b.ReportMetric(float64(flags), "flags")
	// The index over the whole inventory is built once per round, not per
	// room; its figures are reported here for reference (the build time
	// includes generating the devices; BenchmarkIndexBuild isolates it).
	b.ReportMetric(float64(w.buildDur.Milliseconds()), "gen+index-ms")
	b.ReportMetric(float64(w.idents), "identifiers")
}

// BenchmarkIndexBuild builds the index of a 1,000,000-device inventory
// from identifiers already in memory (what a round does once, after
// streaming them from the store).
func BenchmarkIndexBuild(b *testing.B) {
	type ident struct {
		id   int64
		kind store.IdentKind
		v    string
	}
	g := gen.New(gen.Options{Seed: 7, Devices: benchDevices, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	ids := make([]ident, 0, benchDevices*6)
	var id int64
	_ = g.EachDevice(func(d store.Device) error {
		id++
		for _, x := range DeviceIdents(&d) {
			ids = append(ids, ident{id, x.Kind, x.Value})
		}
		return nil
	})
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		ib := NewIndexBuilder(len(ids))
		for _, x := range ids {
			ib.Add(x.id, x.kind, x.v)
		}
		ix := ib.Build()
		if ix.Devices() != benchDevices {
			b.Fatalf("indexed %d devices", ix.Devices())
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(len(ids)), "identifiers")
}
