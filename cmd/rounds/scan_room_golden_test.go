package main

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// TestPrintFindingsGolden fixes the text of `rounds scan --room`: one
// finding of each kind, flags with evidence, and hostile strings from
// devices and the inventory rendered inert.
func TestPrintFindingsGolden(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	room := store.Location{Key: "MAIN/3/3W-12", Name: "Ward 3 West\x1b[2J bay 12", RFShielded: false}
	pump := &store.Device{ID: 1, AssetTag: "BME-0001", Manufacturer: "BD", Model: "Alaris 8015 PC Unit", LocationKey: room.Key}
	mon := &store.Device{ID: 2, AssetTag: "BME-0002", Manufacturer: "Philips", Model: "IntelliVue MX450\x07", LocationKey: room.Key}
	pod := &store.Device{ID: 3, AssetTag: "BME-0003", Manufacturer: "Insulet", Model: "Omnipod 5", LocationKey: "MAIN/3/3W-14"}
	ipObs := scan.Observation{Time: at, Source: scan.SourceIP, IP: netip.MustParseAddr("127.3.12.21"), MAC: "00:09:fb:12:34:56", Alive: true}
	evil := scan.Observation{Time: at, Source: scan.SourceIP, IP: netip.MustParseAddr("127.3.12.99"), Alive: true,
		Hostname: "evil\x1b]0;pwned\x07host", Vendor: "Masimo Corporation", Ports: []int{80, 443}}
	faint := scan.Observation{Time: at, Source: scan.SourceBLE, BLE: &scan.BLE{Address: "4A:00:00:00:00:01",
		AddressType: scan.AddrResolvable, Placement: scan.Nearby, RSSIMax: -91, Name: "\u202eevil"}}
	fs := []reconcile.Finding{
		{Kind: reconcile.Verified, Device: pump, Observations: []scan.Observation{ipObs},
			Match: &reconcile.Match{By: store.IdentMAC, Value: "00:09:fb:12:34:56", Confidence: 0.99, Reason: "MAC 00:09:fb:12:34:56; also IP 127.3.12.21",
				Conflicts: []string{"hostname pump-1 is also recorded for BME-0009"}},
			Flags: []reconcile.Flag{
				{Kind: reconcile.FirmwareBelowMin, Severity: reconcile.Critical, Rule: "firmware below the model's minimum",
					Evidence: map[string]string{"firmware": "9.1", "min_firmware": "9.19", "source": "reported by the device"}},
				{Kind: reconcile.AdvisoryMatch, Severity: reconcile.Critical, Rule: "advisory names this model and firmware",
					Document: "ICSMA-25-100-01", URL: "https://example.test/icsma-25-100-01", Evidence: map[string]string{"cves": "CVE-2025-1000", "cvss": "8.2"}},
			}},
		{Kind: reconcile.Missing, Device: mon, Reason: "not seen by the IP sweep",
			Flags: []reconcile.Flag{{Kind: reconcile.PMOverdue, Severity: reconcile.Warning, Rule: "preventive maintenance overdue",
				Evidence: map[string]string{"next_pm_due": "2026-03-01", "days_overdue": "92"}}}},
		{Kind: reconcile.MovedHere, Device: pod, Reason: "recorded in MAIN/3/3W-14",
			Match: &reconcile.Match{By: store.IdentBLEAddress, Value: "C0:11:22:33:44:55", Confidence: 0.9, Reason: "BLE address C0:11:22:33:44:55"}},
		{Kind: reconcile.Unknown, Observations: []scan.Observation{evil}, Reason: "not in the inventory; MAC vendor Masimo Corporation; ports 80,443",
			Candidates: []reconcile.Candidate{{Manufacturer: "Masimo", Model: "Radical-7", Score: 0.6, Reason: "MAC OUI registered to “Masimo Corporation”"}}},
		{Kind: reconcile.HeardNearby, Observations: []scan.Observation{faint}, Reason: "heard faintly: probably next door; rotating BLE address"},
	}
	var b bytes.Buffer
	printFindings(&b, room, reconcile.Sweeps{IP: true, BLE: true, Nets: []netip.Prefix{netip.MustParsePrefix("127.3.12.0/24")}}, 5, 7, fs)
	golden.RequireEqual(t, b.Bytes())
}
