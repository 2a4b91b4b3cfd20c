package advisory

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// benchCSAF writes n CSAF documents over the catalog's models with the
// version expressions real advisories use, and parses them.
func benchCSAF(tb testing.TB, models []store.Model, n int) []*Advisory {
	exprs := []string{"<= %s", "versions prior to %s", "%s and prior", "vers:generic/>=0|<%s", "All versions", "%s.X", "4.X | 5.X"}
	out := make([]*Advisory, 0, n)
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
		vendor := m.Manufacturer
		if i%3 == 1 {
			vendor = strings.ToUpper(vendor) + ", Inc." // tolerant matching at work
		}
		doc := fmt.Sprintf(`{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "adv %d",
			"tracking": {"id": "ICSMA-BENCH-%04d", "version": "1", "status": "final", "current_release_date": "2025-01-01T00:00:00Z", "initial_release_date": "2025-01-01T00:00:00Z"}},
			"product_tree": {"branches": [{"category": "vendor", "name": %q, "branches": [{"category": "product_name", "name": %q,
			"branches": [{"category": "product_version_range", "name": %q, "product": {"name": "p", "product_id": "CSAFPID-0001"}}]}]}]},
			"vulnerabilities": [{"cve": "CVE-2025-%04d", "product_status": {"known_affected": ["CSAFPID-0001"]},
			"scores": [{"products": ["CSAFPID-0001"], "cvss_v3": {"baseScore": 7.1, "baseSeverity": "HIGH", "vectorString": "x"}}]}]}`,
			i, i, vendor, m.Model, e, i)
		a, err := ParseCSAF("bench.json", []byte(doc))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// BenchmarkMatchInventory matches a generated 1,000,000-device inventory
// against 500 advisories (goal: < 5 s), with a fresh matcher each time so
// that every per-model cache starts cold.
func BenchmarkMatchInventory(b *testing.B) {
	const devices = 1_000_000
	g := gen.New(gen.Options{Seed: 3, Devices: devices, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	ts := make([]Target, 0, devices)
	_ = g.EachDevice(func(d store.Device) error {
		ts = append(ts, Target{Vendor: d.Manufacturer, Model: d.Model, Firmware: d.FirmwareVersion, Serial: d.Serial})
		return nil
	})
	advs := benchCSAF(b, gen.Catalog(), 500)
	var hits, certain int
	b.ResetTimer()
	for b.Loop() {
		hits, certain = 0, 0
		m := NewMatcher(advs, nil)
		for i := range ts {
			for _, h := range m.Match(ts[i]) {
				hits++
				if h.Certain {
					certain++
				}
			}
		}
	}
	b.ReportMetric(float64(hits), "hits")
	b.ReportMetric(float64(certain), "certain")
	if hits == 0 {
		b.Fatal("no device matched any advisory")
	}
}
