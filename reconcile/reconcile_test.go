package reconcile

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

var now = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

const room = "MAIN/3/3W-12"

func models() []store.Model {
	return []store.Model{
		{ID: 1, Manufacturer: "BD", Model: "Alaris 8015", DeviceClass: "infusion pump", MinFirmware: "9.19", LatestFirmware: "12.1.2", AllowedTags: []string{"clinical"}},
		{ID: 2, Manufacturer: "Philips", Model: "IntelliVue MX40", DeviceClass: "patient monitor", MinFirmware: "B.06.00", LatestFirmware: "B.06.18", OS: "VxWorks", OSEOL: day(2030, 1, 1), SupportEnd: day(2031, 1, 1)},
		{ID: 3, Manufacturer: "Masimo", Model: "Rad-97", DeviceClass: "pulse oximeter", MinFirmware: "2.1", LatestFirmware: "4.3 SP1"},
		{ID: 4, Manufacturer: "GE Healthcare", Model: "CARESCAPE B450", DeviceClass: "patient monitor", OS: "Windows 7", OSEOL: day(2020, 1, 14), SupportEnd: day(2024, 1, 1)},
		{ID: 5, Manufacturer: "Nonin", Model: "3230", DeviceClass: "pulse oximeter"},
	}
}

// devices are the inventory of the tests: some in the room, some
// elsewhere.
func devices() []store.Device {
	return []store.Device{
		{ID: 1, AssetTag: "BME-0001", ModelID: 1, Manufacturer: "BD", Model: "Alaris 8015", LocationKey: room, Status: store.StatusInService,
			Serial: "A-0001", MAC: "00:09:fb:00:00:01", IP: "10.3.12.11", Hostname: "pump-0001", FirmwareVersion: "12.1.2",
			NextPMDue: day(2026, 12, 1), NextAuditDue: day(2026, 12, 1)},
		{ID: 2, AssetTag: "BME-0002", ModelID: 2, Manufacturer: "Philips", Model: "IntelliVue MX40", LocationKey: room, Status: store.StatusInService,
			Serial: "MX-0002", BLEAddress: "00:1B:2C:00:00:02", FirmwareVersion: "B.06.18", NextPMDue: day(2026, 12, 1), NextAuditDue: day(2026, 12, 1)},
		{ID: 3, AssetTag: "BME-0003", ModelID: 3, Manufacturer: "Masimo", Model: "Rad-97", LocationKey: room, Status: store.StatusInService,
			Serial: "R-0003", MAC: "00:14:7f:00:00:03", BLEAddress: "00:14:7F:00:00:33", FirmwareVersion: "4.3 SP1", NextPMDue: day(2026, 12, 1), NextAuditDue: day(2026, 12, 1)},
		{ID: 4, AssetTag: "BME-0004", ModelID: 1, Manufacturer: "BD", Model: "Alaris 8015", LocationKey: "MAIN/4/4E-01", Status: store.StatusInService,
			Serial: "A-0004", MAC: "00:09:fb:00:00:04", IP: "10.4.1.20", FirmwareVersion: "12.1.2", NextPMDue: day(2026, 12, 1), NextAuditDue: day(2026, 12, 1)},
		{ID: 5, AssetTag: "BME-0005", ModelID: 5, Manufacturer: "Nonin", Model: "3230", LocationKey: "MAIN/3/3W-14", Status: store.StatusInService,
			Serial: "N-0005", BLEAddress: "00:1C:05:00:00:05", NextPMDue: day(2026, 12, 1), NextAuditDue: day(2026, 12, 1)},
	}
}

type world struct {
	devs   []store.Device
	models []store.Model
	room   store.Location
	sweeps Sweeps
	obs    []scan.Observation
	policy Policy
	advs   *advisory.Matcher
}

func newWorld() *world {
	return &world{
		devs:   devices(),
		models: models(),
		room: store.Location{Key: room, Building: "MAIN", Floor: "3", Room: "3W-12", Segments: []store.Segment{
			{CIDR: netip.MustParsePrefix("10.3.12.0/24"), Tags: []string{"clinical"}},
			{CIDR: netip.MustParsePrefix("10.3.99.0/24"), Tags: []string{"guest"}},
		}},
		sweeps: Sweeps{IP: true, BLE: true},
	}
}

func (w *world) dev(tag string) *store.Device {
	for i := range w.devs {
		if w.devs[i].AssetTag == tag {
			return &w.devs[i]
		}
	}
	panic(tag)
}

func (w *world) run() []Finding {
	b := NewIndexBuilder(0)
	all := map[int64]*store.Device{}
	var expected []store.Device
	for i := range w.devs {
		b.AddDevice(&w.devs[i])
		all[w.devs[i].ID] = &w.devs[i]
		if w.devs[i].LocationKey == w.room.Key {
			expected = append(expected, w.devs[i])
		}
	}
	return Reconcile(Input{Room: w.room, Expected: expected, Index: b.Build(), Devices: all, Observations: w.obs,
		Catalog: NewCatalog(w.models), Advisories: w.advs, Policy: w.policy, Sweeps: w.sweeps, Now: now})
}

func ipObs(ip, mac string) scan.Observation {
	return scan.Observation{Time: now, Source: scan.SourceIP, IP: netip.MustParseAddr(ip), MAC: mac, Alive: true}
}

func bleObs(addr string, typ scan.AddrType, placement scan.Placement) scan.Observation {
	return scan.Observation{Time: now, Source: scan.SourceBLE, BLE: &scan.BLE{Address: addr, AddressType: typ, Placement: placement, RSSIMax: -50, Count: 10}}
}

func find(fs []Finding, k Kind, tag string) *Finding {
	for i := range fs {
		if fs[i].Kind == k && fs[i].Device != nil && fs[i].Device.AssetTag == tag {
			return &fs[i]
		}
	}
	return nil
}

func findKind(fs []Finding, k Kind) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

func hasFlag(f *Finding, k FlagKind) *Flag {
	for i := range f.Flags {
		if f.Flags[i].Kind == k {
			return &f.Flags[i]
		}
	}
	return nil
}

func summary(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f.Kind))
		if f.Device != nil {
			b.WriteString(":" + f.Device.AssetTag)
		}
		b.WriteString(" ")
	}
	return b.String()
}

func TestFindings(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		check func(t *testing.T, w *world, fs []Finding)
	}{
		{"verified by MAC with IP agreeing", func(w *world) {
			w.obs = []scan.Observation{ipObs("10.3.12.11", "00-09-FB-00-00-01")}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, Verified, "BME-0001")
			if f == nil {
				t.Fatalf("no verified BME-0001: %s", summary(fs))
			}
			if f.Match.By != store.IdentMAC || f.Match.Confidence != 0.99 || !strings.Contains(f.Match.Reason, "IP 10.3.12.11") {
				t.Errorf("match = %+v", f.Match)
			}
		}},
		{"seen by both BLE and IP is one finding", func(w *world) {
			w.obs = []scan.Observation{ipObs("10.3.12.30", "00:14:7f:00:00:03"), bleObs("00:14:7F:00:00:33", scan.AddrPublic, scan.InRoom)}
		}, func(t *testing.T, w *world, fs []Finding) {
			n := 0
			for _, f := range fs {
				if f.Device != nil && f.Device.AssetTag == "BME-0003" {
					n++
					if f.Kind != Verified || len(f.Observations) != 2 {
						t.Errorf("BME-0003: kind %s with %d observations", f.Kind, len(f.Observations))
					}
				}
			}
			if n != 1 || len(findKind(fs, Unknown)) != 0 {
				t.Errorf("want one finding for BME-0003 and no unknown: %s", summary(fs))
			}
		}},
		{"IP reused by another device", func(w *world) {
			// BME-0004's MAC answers at the address recorded for BME-0001.
			w.obs = []scan.Observation{ipObs("10.3.12.11", "00:09:fb:00:00:04")}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, MovedHere, "BME-0004")
			if f == nil {
				t.Fatalf("BME-0004 not moved here: %s", summary(fs))
			}
			if len(f.Match.Conflicts) != 1 || !strings.Contains(f.Match.Conflicts[0], "BME-0001") {
				t.Errorf("conflicts = %v", f.Match.Conflicts)
			}
			if find(fs, Missing, "BME-0001") == nil {
				t.Errorf("BME-0001 should be missing, not verified by a reused IP: %s", summary(fs))
			}
		}},
		{"MAC seen in the wrong room", func(w *world) {
			w.obs = []scan.Observation{ipObs("10.3.12.50", "00:09:fb:00:00:04")}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, MovedHere, "BME-0004")
			if f == nil || !strings.Contains(f.Reason, "MAIN/4/4E-01") || f.Match.By != store.IdentMAC {
				t.Fatalf("finding = %+v", f)
			}
		}},
		{"missing when the sweeps could have seen it", func(w *world) {}, func(t *testing.T, w *world, fs []Finding) {
			for _, tag := range []string{"BME-0001", "BME-0002", "BME-0003"} {
				if find(fs, Missing, tag) == nil {
					t.Errorf("%s not missing: %s", tag, summary(fs))
				}
			}
		}},
		{"BLE-only device unverified without a BLE sweep", func(w *world) {
			w.sweeps = Sweeps{IP: true}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, Unverified, "BME-0002")
			if f == nil || !strings.Contains(f.Reason, "BLE-only") {
				t.Fatalf("BME-0002: %+v", f)
			}
			if find(fs, Missing, "BME-0001") == nil {
				t.Errorf("IP device should be missing: %s", summary(fs))
			}
		}},
		{"IP-only device unverified without an IP sweep", func(w *world) {
			w.sweeps = Sweeps{BLE: true}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, Unverified, "BME-0001")
			if f == nil || !strings.Contains(f.Reason, "IP-only") {
				t.Fatalf("BME-0001: %+v", f)
			}
			if find(fs, Missing, "BME-0003") == nil { // has BLE too
				t.Errorf("BLE-capable device should be missing: %s", summary(fs))
			}
		}},
		{"recorded IP outside the swept segments", func(w *world) {
			w.dev("BME-0001").MAC = ""
			w.sweeps.Nets = []netip.Prefix{netip.MustParsePrefix("10.3.99.0/24")}
		}, func(t *testing.T, w *world, fs []Finding) {
			if f := find(fs, Unverified, "BME-0001"); f == nil || !strings.Contains(f.Reason, "outside the swept") {
				t.Fatalf("BME-0001: %s", summary(fs))
			}
		}},
		{"shielded room", func(w *world) {
			w.room.RFShielded = true
			w.obs = []scan.Observation{ipObs("10.3.12.11", "00:09:fb:00:00:01")}
		}, func(t *testing.T, w *world, fs []Finding) {
			if find(fs, Verified, "BME-0001") == nil {
				t.Errorf("a device that answered is verified even in a shielded room: %s", summary(fs))
			}
			for _, tag := range []string{"BME-0002", "BME-0003"} {
				if f := find(fs, Unverified, tag); f == nil || !strings.Contains(f.Reason, "RF-shielded") {
					t.Errorf("%s: %s", tag, summary(fs))
				}
			}
			if len(findKind(fs, Missing)) != 0 {
				t.Errorf("nothing is missing in a shielded room: %s", summary(fs))
			}
		}},
		{"in repair is unverified, retired is not expected", func(w *world) {
			w.dev("BME-0001").Status = store.StatusInRepair
			w.dev("BME-0002").Status = store.StatusRetired
		}, func(t *testing.T, w *world, fs []Finding) {
			if find(fs, Unverified, "BME-0001") == nil {
				t.Errorf("in repair: %s", summary(fs))
			}
			for _, f := range fs {
				if f.Device != nil && f.Device.AssetTag == "BME-0002" {
					t.Errorf("retired device has a finding: %s", f.Kind)
				}
			}
		}},
		{"unknown with vendor hints and candidate model", func(w *world) {
			o := ipObs("10.3.12.77", "00:14:7f:aa:bb:cc")
			o.Vendor = "Masimo Corporation"
			o.Hints.Model = "Rad-97"
			o.Ports = []int{80, 443}
			w.obs = []scan.Observation{o}
		}, func(t *testing.T, w *world, fs []Finding) {
			us := findKind(fs, Unknown)
			if len(us) != 1 {
				t.Fatalf("unknowns: %s", summary(fs))
			}
			u := us[0]
			if len(u.Candidates) == 0 || u.Candidates[0].Model != "Rad-97" || u.Candidates[0].Score < 0.7 {
				t.Errorf("candidates = %+v", u.Candidates)
			}
			// The model it reported is what adopting it suggests.
			if u.Suggested == nil || u.Suggested.Model != "Rad-97" || !u.Suggested.ReportedModel {
				t.Errorf("suggested = %+v", u.Suggested)
			}
			if !strings.Contains(u.Reason, "MAC vendor Masimo Corporation") || !strings.Contains(u.Reason, "ports 80,443") {
				t.Errorf("reason = %q", u.Reason)
			}
		}},
		{"unknown BLE candidate from service", func(w *world) {
			o := bleObs("5A:00:00:00:00:01", scan.AddrResolvable, scan.InRoom)
			o.Vendor = "Nonin Medical, Inc."
			o.BLE.Services = []string{"1822"}
			w.obs = []scan.Observation{o}
		}, func(t *testing.T, w *world, fs []Finding) {
			us := findKind(fs, Unknown)
			if len(us) != 1 || len(us[0].Candidates) == 0 || us[0].Candidates[0].Model != "3230" ||
				!strings.Contains(us[0].Candidates[0].Reason, "oximeter") {
				t.Fatalf("unknowns = %+v", us)
			}
			if us[0].Suggested != nil {
				t.Errorf("no model was reported, yet %+v is suggested", us[0].Suggested)
			}
		}},
		{"unknowns reporting one serial are one finding", func(w *world) {
			a := ipObs("10.3.12.80", "")
			a.Hints = scan.Hints{Manufacturer: "Acme", Serial: "Z9"}
			b := bleObs("5A:00:00:00:00:02", scan.AddrResolvable, scan.InRoom)
			b.Hints = scan.Hints{Manufacturer: "ACME Inc.", Serial: "z9", SerialSource: "ble-dis"}
			w.obs = []scan.Observation{a, b}
		}, func(t *testing.T, w *world, fs []Finding) {
			us := findKind(fs, Unknown)
			if len(us) != 1 || len(us[0].Observations) != 2 {
				t.Fatalf("unknowns: %+v", us)
			}
		}},
		{"rotating BLE address never matches by address", func(w *world) {
			w.obs = []scan.Observation{bleObs("00:1B:2C:00:00:02", scan.AddrResolvable, scan.InRoom)}
		}, func(t *testing.T, w *world, fs []Finding) {
			if find(fs, Verified, "BME-0002") != nil || len(findKind(fs, Unknown)) != 1 {
				t.Fatalf("%s", summary(fs))
			}
		}},
		{"public BLE address matches", func(w *world) {
			w.obs = []scan.Observation{bleObs("00:1b:2c:00:00:02", scan.AddrPublic, scan.InRoom)}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, Verified, "BME-0002")
			if f == nil || f.Match.By != store.IdentBLEAddress || f.Match.Confidence != 0.9 {
				t.Fatalf("%s %+v", summary(fs), f)
			}
		}},
		{"DIS serial matches a rotating advertiser", func(w *world) {
			o := bleObs("4A:00:00:00:00:09", scan.AddrResolvable, scan.InRoom)
			o.Hints = scan.Hints{Serial: "mx-0002", SerialSource: "ble-dis"}
			w.obs = []scan.Observation{o}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, Verified, "BME-0002")
			if f == nil || f.Match.By != store.IdentSerial || f.Match.Confidence != 0.98 {
				t.Fatalf("%s %+v", summary(fs), f)
			}
		}},
		{"BLE name pattern is the weakest match", func(w *world) {
			w.dev("BME-0005").Identifiers = []store.Identifier{{Kind: store.IdentBLEName, Value: "Nonin3230_*"}}
			o := bleObs("4A:00:00:00:00:05", scan.AddrResolvable, scan.InRoom)
			o.BLE.Name = "Nonin3230_502633"
			w.obs = []scan.Observation{o}
		}, func(t *testing.T, w *world, fs []Finding) {
			f := find(fs, MovedHere, "BME-0005")
			if f == nil || f.Match.By != store.IdentBLEName || f.Match.Confidence != 0.4 {
				t.Fatalf("%s %+v", summary(fs), f)
			}
		}},
		{"heard nearby", func(w *world) {
			w.obs = []scan.Observation{
				bleObs("00:1C:05:00:00:05", scan.AddrPublic, scan.Nearby), // recorded next door
				bleObs("00:1B:2C:00:00:02", scan.AddrPublic, scan.Nearby), // expected here
				bleObs("6A:00:00:00:00:07", scan.AddrResolvable, scan.Nearby),
			}
		}, func(t *testing.T, w *world, fs []Finding) {
			if f := find(fs, HeardNearby, "BME-0005"); f == nil || !strings.Contains(f.Reason, "3W-14") {
				t.Errorf("BME-0005: %s", summary(fs))
			}
			if f := find(fs, HeardNearby, "BME-0002"); f == nil || !strings.Contains(f.Reason, "expected here") {
				t.Errorf("BME-0002: %s", summary(fs))
			}
			if n := len(findKind(fs, HeardNearby)); n != 3 || len(findKind(fs, Unknown)) != 0 || len(findKind(fs, MovedHere)) != 0 {
				t.Errorf("want 3 heard nearby and no unknown/moved: %s", summary(fs))
			}
		}},
		{"two records claiming one identifier", func(w *world) {
			w.dev("BME-0004").Hostname = "pump-0001.ward.local"
			o := ipObs("10.3.12.90", "")
			o.Hostname = "PUMP-0001"
			w.obs = []scan.Observation{o}
		}, func(t *testing.T, w *world, fs []Finding) {
			us := findKind(fs, Unknown)
			if len(us) != 1 || len(us[0].Claimants) != 2 || hasFlag(&us[0], DuplicateIdentity) == nil {
				t.Fatalf("%s %+v", summary(fs), us)
			}
			if !strings.Contains(us[0].Reason, "BME-0001, BME-0004") {
				t.Errorf("reason = %q", us[0].Reason)
			}
			if f := find(fs, Unverified, "BME-0001"); f == nil {
				t.Errorf("the expected claimant is not missing but unverified: %s", summary(fs))
			}
		}},
		{"serials repeat across manufacturers", func(w *world) {
			w.dev("BME-0005").Serial = "A-0001" // Nonin, same serial as a BD pump
			o := ipObs("10.3.12.91", "")
			o.Hints = scan.Hints{Manufacturer: "Becton Dickinson", Serial: "A0001", SerialSource: "snmp"}
			w.obs = []scan.Observation{o}
		}, func(t *testing.T, w *world, fs []Finding) {
			if f := find(fs, Verified, "BME-0001"); f == nil || f.Match.By != store.IdentSerial {
				t.Fatalf("%s", summary(fs))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.setup(w)
			tt.check(t, w, w.run())
		})
	}
}

func TestFindingOrder(t *testing.T) {
	w := newWorld()
	w.obs = []scan.Observation{ipObs("10.3.12.200", ""), ipObs("10.3.12.50", "00:09:fb:00:00:04"), ipObs("10.3.12.11", "00:09:fb:00:00:01")}
	fs := w.run()
	got := summary(fs)
	want := "verified:BME-0001 missing:BME-0002 missing:BME-0003 moved_here:BME-0004 unknown "
	if got != want {
		t.Errorf("order = %q, want %q", got, want)
	}
}
