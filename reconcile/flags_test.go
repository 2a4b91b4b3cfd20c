package reconcile

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/reconcile/version"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

func TestFirmwareFlags(t *testing.T) {
	m := &store.Model{Manufacturer: "Masimo", Model: "Rad-97", MinFirmware: "2.1", LatestFirmware: "4.3 SP1"}
	tests := []struct {
		fw   string
		want FlagKind // "" for none
	}{
		{"v2.1.0", FirmwareBehind},
		{"2.1", FirmwareBehind},
		{"02.01.00b", FirmwareBehind},
		{"4.3 SP1", ""},
		{"4.3", FirmwareBehind},
		{"4.3 sp2", ""},
		{"2.0.9", FirmwareBelowMin},
		{"v2.0", FirmwareBelowMin},
		{"02.00.99b", FirmwareBelowMin},
		{"unknown", ""},
		{"", ""},
	}
	for _, tt := range tests {
		fs := firmwareFlags(&store.Device{}, m, tt.fw, "record", version.Compare)
		switch {
		case tt.want == "" && len(fs) != 0:
			t.Errorf("firmware %q: flags %+v, want none", tt.fw, fs)
		case tt.want != "" && (len(fs) != 1 || fs[0].Kind != tt.want):
			t.Errorf("firmware %q: flags %+v, want %s", tt.fw, fs, tt.want)
		case tt.want != "" && fs[0].Evidence["firmware"] != tt.fw:
			t.Errorf("firmware %q: evidence %v", tt.fw, fs[0].Evidence)
		}
	}
}

// csafDoc is a small CSAF 2.0 advisory in the real shape.
const csafDoc = `{
  "document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "BD Alaris",
    "publisher": {"name": "CISA"},
    "references": [{"category": "self", "url": "https://example.test/icsma-25-001-01.json"}],
    "tracking": {"id": "ICSMA-25-001-01", "version": "1", "status": "final", "current_release_date": "2025-01-01T00:00:00Z", "initial_release_date": "2025-01-01T00:00:00Z"}},
  "product_tree": {"branches": [{"category": "vendor", "name": "Becton, Dickinson and Company", "branches": [
    {"category": "product_name", "name": "Alaris System PC Unit Model 8015", "branches": [
      {"category": "product_version_range", "name": "versions prior to 12.1.3", "product": {"name": "BD Alaris PC Unit 8015 <12.1.3", "product_id": "CSAFPID-0001"}}]}]}]},
  "vulnerabilities": [{"cve": "CVE-2025-0001", "title": "Missing authentication",
    "product_status": {"known_affected": ["CSAFPID-0001"]},
    "scores": [{"products": ["CSAFPID-0001"], "cvss_v3": {"baseScore": 7.5, "baseSeverity": "HIGH", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"}}],
    "remediations": [{"category": "vendor_fix", "details": "Upgrade to 12.1.3.", "product_ids": ["CSAFPID-0001"]}]}]
}`

const recallDoc = `{"results": [{"product_res_number": "Z-2222-2025", "cfres_id": "200001", "res_event_number": "95000",
  "recalling_firm": "Philips North America", "product_description": "Philips IntelliVue MX40 Patient Worn Monitor",
  "code_info": "All units", "reason_for_recall": "Battery may swell.", "event_date_initiated": "2025-02-01"}]}`

func testAdvisories(t testing.TB) *advisory.Matcher {
	a, err := advisory.ParseCSAF("a.json", []byte(csafDoc))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := advisory.ParseRecalls("r.json", []byte(recallDoc))
	if err != nil {
		t.Fatal(err)
	}
	return advisory.NewMatcher([]*advisory.Advisory{a}, rs)
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		tag   string
		kind  Kind
		flag  FlagKind
		sev   Severity
		ev    map[string]string // evidence that must be present
		doc   string
	}{
		{"firmware below minimum reported by the device", func(w *world) {
			o := ipObs("10.3.12.11", "00:09:fb:00:00:01")
			o.Hints.Firmware = "v9.1"
			w.obs = []scan.Observation{o}
		}, "BME-0001", Verified, FirmwareBelowMin, Critical, map[string]string{"firmware": "v9.1", "min_firmware": "9.19", "recorded_firmware": "12.1.2", "source": "reported by the device"}, ""},
		{"firmware behind latest from the record", func(w *world) {
			w.dev("BME-0002").FirmwareVersion = "B.06.10"
		}, "BME-0002", Missing, FirmwareBehind, Info, map[string]string{"firmware": "B.06.10", "latest_firmware": "B.06.18"}, ""},
		{"OS past end of life", func(w *world) {
			w.dev("BME-0004").ModelID, w.dev("BME-0004").Manufacturer, w.dev("BME-0004").Model = 4, "GE Healthcare", "CARESCAPE B450"
			w.dev("BME-0004").OS, w.dev("BME-0004").OSVersion = "Windows", "7 SP1"
			w.obs = []scan.Observation{ipObs("10.3.12.50", "00:09:fb:00:00:04")}
		}, "BME-0004", MovedHere, OSEndOfLife, Warning, map[string]string{"os": "Windows 7 SP1", "os_eol": "2020-01-14"}, ""},
		{"vendor support ended", func(w *world) {
			w.dev("BME-0004").ModelID, w.dev("BME-0004").Manufacturer, w.dev("BME-0004").Model = 4, "GE Healthcare", "CARESCAPE B450"
			w.obs = []scan.Observation{ipObs("10.3.12.50", "00:09:fb:00:00:04")}
		}, "BME-0004", MovedHere, SupportEnded, Warning, map[string]string{"support_end": "2024-01-01"}, ""},
		{"PM overdue", func(w *world) {
			w.dev("BME-0003").NextPMDue = day(2026, 5, 1)
		}, "BME-0003", Missing, PMOverdue, Warning, map[string]string{"next_pm_due": "2026-05-01", "days_overdue": "31"}, ""},
		{"PM overdue from the last PM and the interval", func(w *world) {
			w.dev("BME-0003").NextPMDue = time.Time{}
			w.dev("BME-0003").LastPM = day(2025, 1, 1)
		}, "BME-0003", Missing, PMOverdue, Warning, map[string]string{"last_pm": "2025-01-01", "next_pm_due": "2026-01-01", "interval_days": "365"}, ""},
		{"audit overdue past the grace", func(w *world) {
			w.dev("BME-0003").NextAuditDue = day(2026, 4, 1)
			w.policy.AuditGrace = 30 * 24 * time.Hour
		}, "BME-0003", Missing, AuditOverdue, Info, map[string]string{"next_audit_due": "2026-04-01", "grace_days": "30"}, ""},
		{"advisory match", func(w *world) {
			w.advs = testAdvisories(t)
			w.dev("BME-0001").FirmwareVersion = "12.1.2"
			w.obs = []scan.Observation{ipObs("10.3.12.11", "00:09:fb:00:00:01")}
		}, "BME-0001", Verified, AdvisoryMatch, Critical, map[string]string{"cves": "CVE-2025-0001", "cvss": "7.5", "versions": "versions prior to 12.1.3", "remediation": "Upgrade to 12.1.3."}, "ICSMA-25-001-01"},
		{"recall match", func(w *world) {
			w.advs = testAdvisories(t)
		}, "BME-0002", Missing, RecallMatch, Critical, map[string]string{"product": "Philips North America: Philips IntelliVue MX40 Patient Worn Monitor"}, "Z-2222-2025"},
		{"segmentation violation", func(w *world) {
			w.obs = []scan.Observation{ipObs("10.3.99.14", "00:09:fb:00:00:01")}
		}, "BME-0001", Verified, Segmentation, Critical, map[string]string{"ip": "10.3.99.14", "segment": "10.3.99.0/24", "segment_tags": "guest", "allowed_tags": "clinical"}, ""},
		{"segmentation by class policy", func(w *world) {
			w.policy.Segments = []SegmentRule{{Class: "Pulse Oximeter", Allowed: []string{"clinical"}}}
			w.dev("BME-0003").DeviceClass = "pulse oximeter"
			w.obs = []scan.Observation{ipObs("10.3.99.15", "00:14:7f:00:00:03")}
		}, "BME-0003", Verified, Segmentation, Critical, map[string]string{"rule": "policy for class pulse oximeter allows"}, ""},
		{"duplicate identity in the records", func(w *world) {
			w.dev("BME-0001").CMDBID = "abc123"
			w.dev("BME-0004").CMDBID = "ABC123"
			w.obs = []scan.Observation{ipObs("10.3.12.11", "00:09:fb:00:00:01")}
		}, "BME-0001", Verified, DuplicateIdentity, Warning, map[string]string{"identifier": "cmdb_id", "records": "BME-0004"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.setup(w)
			fs := w.run()
			f := find(fs, tt.kind, tt.tag)
			if f == nil {
				t.Fatalf("no %s %s: %s", tt.kind, tt.tag, summary(fs))
			}
			fl := hasFlag(f, tt.flag)
			if fl == nil {
				t.Fatalf("no %s flag on %s: %+v", tt.flag, tt.tag, f.Flags)
			}
			if fl.Severity != tt.sev || fl.Rule == "" || fl.Document != tt.doc {
				t.Errorf("flag = %+v", fl)
			}
			for k, v := range tt.ev {
				if fl.Evidence[k] != v {
					t.Errorf("evidence[%s] = %q, want %q (all: %v)", k, fl.Evidence[k], v, fl.Evidence)
				}
			}
		})
	}
}

func TestNoFlagsWhenAllIsWell(t *testing.T) {
	w := newWorld()
	w.advs = testAdvisories(t)
	w.dev("BME-0001").FirmwareVersion = "12.1.3"
	w.obs = []scan.Observation{ipObs("10.3.12.11", "00:09:fb:00:00:01")}
	f := find(w.run(), Verified, "BME-0001")
	if f == nil || len(f.Flags) != 0 {
		t.Fatalf("flags = %+v", f)
	}
}

func TestDeviceWithoutCatalogModel(t *testing.T) {
	w := newWorld()
	d := w.dev("BME-0001")
	d.ModelID, d.Manufacturer, d.Model = 0, "Acme", "Widget 9"
	d.FirmwareVersion = "0.1"
	d.NextPMDue = day(2026, 1, 1)
	w.obs = []scan.Observation{ipObs("10.3.99.14", "00:09:fb:00:00:01")}
	f := find(w.run(), Verified, "BME-0001")
	if f == nil {
		t.Fatal("not verified")
	}
	// Record flags still apply; catalog flags (firmware, OS, support,
	// segmentation by model) cannot.
	var kinds []string
	for _, fl := range f.Flags {
		kinds = append(kinds, string(fl.Kind))
	}
	if strings.Join(kinds, ",") != "pm_overdue" {
		t.Errorf("flags = %v, want only pm_overdue", kinds)
	}
}

func TestNeedlesFindWhatTheFullIndexFinds(t *testing.T) {
	w := newWorld()
	o := ipObs("10.3.12.11", "00-09-FB-00-00-01")
	o.Hostname = "Pump-0001.ward.local"
	o.Hints.Serial = "a-0001"
	w.obs = []scan.Observation{o}
	ns := Needles(w.obs)
	want := map[store.Identifier]bool{
		{Kind: store.IdentMAC, Value: "00:09:fb:00:00:01"}: true,
		{Kind: store.IdentIP, Value: "10.3.12.11"}:         true,
		{Kind: store.IdentSerial, Value: "A-0001"}:         true,
		{Kind: store.IdentHostname, Value: "pump-0001"}:    true,
	}
	for _, n := range ns {
		delete(want, n)
	}
	if len(want) != 0 {
		t.Errorf("needles %v lack %v", ns, want)
	}
	_ = netip.Addr{}
}
