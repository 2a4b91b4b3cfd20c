// Package roundtest provides a small seeded ward, scripted sweepers and a
// simple reconciler for tests of the round engine and the TUI. It is not
// the product's reconciliation (package reconcile is); it matches by MAC
// and BLE address only, which is enough to drive every screen.
package roundtest

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// T0 is the fixed clock of the tests: a Monday morning.
var T0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// Clock returns a clock stuck at T0 that tests can move.
func Clock() (*time.Time, func() time.Time) {
	t := T0
	return &t, func() time.Time { return t }
}

// Rooms are the seeded rooms, in round order.
var Rooms = []string{"MAIN/3/3W-12", "MAIN/3/3W-14", "MAIN/3/3W-MRI"}

// Open returns a fresh database seeded with a three-room ward: an ICU bay
// with a pump (firmware below minimum), a monitor and a missing pump; a
// second bay whose ventilator has been moved to 3W-12; and a shielded MRI
// suite.
func Open(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "rounds.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Write(ctx, "seed", func(w *store.Writer) error {
		w.NoJournal = true
		for _, l := range []store.Location{
			{Building: "MAIN", Floor: "3", Room: "3W-12", Name: "ICU bed 12", Barcode: "LOC-3W12",
				Segments: []store.Segment{{CIDR: netip.MustParsePrefix("127.0.12.0/24"), Tags: []string{"clinical"}}}},
			{Building: "MAIN", Floor: "3", Room: "3W-14", Name: "ICU bed 14", Barcode: "LOC-3W14"},
			{Building: "MAIN", Floor: "3", Room: "3W-MRI", Name: "MRI suite", RFShielded: true, Barcode: "LOC-3WMRI"},
		} {
			if _, err := w.PutLocation(l); err != nil {
				return err
			}
		}
		for _, m := range []store.Model{
			{Manufacturer: "BD", Model: "Alaris 8015", DeviceClass: "infusion pump", MinFirmware: "12.1"},
			{Manufacturer: "Philips", Model: "IntelliVue MX450", DeviceClass: "patient monitor"},
			{Manufacturer: "Hamilton", Model: "C6", DeviceClass: "ventilator"},
			{Manufacturer: "Masimo", Model: "Rad-97", DeviceClass: "pulse oximeter"},
		} {
			if _, err := w.PutModel(m); err != nil {
				return err
			}
		}
		due := T0.AddDate(0, 0, -3)
		for _, d := range []store.Device{
			{AssetTag: "BME-1001", Serial: "AL-77", Manufacturer: "BD", Model: "Alaris 8015", LocationKey: Rooms[0],
				MAC: "00:09:fb:00:00:01", FirmwareVersion: "11.0", NextPMDue: due},
			{AssetTag: "BME-1002", Serial: "MX-42", Manufacturer: "Philips", Model: "IntelliVue MX450", LocationKey: Rooms[0],
				MAC: "00:09:fb:00:00:02", NextAuditDue: due},
			{AssetTag: "BME-1003", Serial: "AL-78", Manufacturer: "BD", Model: "Alaris 8015", LocationKey: Rooms[0],
				MAC: "00:09:fb:00:00:03"},
			{AssetTag: "BME-1004", Serial: "HC-9", Manufacturer: "Hamilton", Model: "C6", LocationKey: Rooms[1],
				MAC: "00:09:fb:00:00:04"},
			{AssetTag: "BME-1005", Serial: "MR-1", Manufacturer: "Philips", Model: "IntelliVue MX450", LocationKey: Rooms[2]},
		} {
			if _, err := w.PutDevice(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// IPObs is an IP observation of mac at ip.
func IPObs(ip, mac string) scan.Observation {
	return scan.Observation{Time: T0, Source: scan.SourceIP, IP: netip.MustParseAddr(ip), MAC: mac, Alive: true,
		Ports: []int{80}}
}

// BLEObs is a BLE observation of an advertiser.
func BLEObs(addr, name string, rssi int) scan.Observation {
	return scan.Observation{Time: T0, Source: scan.SourceBLE, BLE: &scan.BLE{Address: addr, AddressType: scan.AddrPublic,
		Name: name, RSSI: rssi, RSSIMax: rssi, RSSIMedian: rssi, Count: 5, FirstSeen: T0, Placement: scan.InRoom}}
}

// Room12 is what a sweep of MAIN/3/3W-12 sees: BME-1001 and BME-1002, the
// ventilator BME-1004 from 3W-14, an unknown IP host and an unknown BLE
// oximeter. BME-1003 is missing.
func Room12() []scan.Observation {
	unknown := IPObs("127.0.12.50", "00:11:22:33:44:55")
	unknown.Hints = scan.Hints{Manufacturer: "Masimo", Model: "Rad-97", Serial: "RAD-5150", Firmware: "1.2"}
	return []scan.Observation{
		IPObs("127.0.12.10", "00:09:fb:00:00:01"),
		IPObs("127.0.12.11", "00:09:fb:00:00:02"),
		IPObs("127.0.12.12", "00:09:fb:00:00:04"),
		unknown,
		BLEObs("C4:7C:8D:6A:12:34", "Rad-97 BLE", -55),
	}
}

// Sweeper emits a scripted list of observations, each after Gap, then
// returns Err.
type Sweeper struct {
	Obs []scan.Observation
	Gap time.Duration
	Err error
}

// Sweep implements scan.Sweeper.
func (s Sweeper) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	for _, o := range s.Obs {
		if s.Gap > 0 {
			select {
			case <-time.After(s.Gap):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case out <- o:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Err
}

// Sources returns a Sources function giving every room one IP source that
// emits obs[room key].
func Sources(obs map[string][]scan.Observation, gap time.Duration) func(context.Context, store.Location) ([]round.Source, error) {
	return func(_ context.Context, room store.Location) ([]round.Source, error) {
		return []round.Source{{Name: "IP (scripted)", Kind: scan.SourceIP, Sweeper: Sweeper{Obs: obs[room.Key], Gap: gap}}}, nil
	}
}

// Reconciler matches observations to devices by MAC and BLE address:
// verified, missing (unverified when the room is shielded or the IP sweep
// did not complete), moved here, unknown. Devices whose model has a
// minimum firmware above theirs get a flag; overdue PM and audits too.
func Reconciler(st *store.Store) round.Reconciler {
	return round.ReconcilerFunc(func(ctx context.Context, room store.Location, obs []scan.Observation, swept round.Swept, now time.Time) ([]reconcile.Finding, error) {
		expected, err := st.DevicesInRoom(ctx, room.Key)
		if err != nil {
			return nil, err
		}
		models, err := st.Models(ctx)
		if err != nil {
			return nil, err
		}
		minFW := map[string]string{}
		for _, m := range models {
			minFW[m.Manufacturer+"\x00"+m.Model] = m.MinFirmware
		}
		flags := func(d store.Device) []reconcile.Flag {
			var fs []reconcile.Flag
			if mf := minFW[d.Manufacturer+"\x00"+d.Model]; mf != "" && d.FirmwareVersion != "" && d.FirmwareVersion < mf {
				fs = append(fs, reconcile.Flag{Kind: reconcile.FirmwareBelowMin, Severity: reconcile.Critical,
					Rule: "firmware < model minimum", Evidence: map[string]string{"firmware": d.FirmwareVersion, "min_firmware": mf}})
			}
			if !d.NextPMDue.IsZero() && !d.NextPMDue.After(now) {
				fs = append(fs, reconcile.Flag{Kind: reconcile.PMOverdue, Severity: reconcile.Warning, Rule: "next PM date passed"})
			}
			if !d.NextAuditDue.IsZero() && !d.NextAuditDue.After(now) {
				fs = append(fs, reconcile.Flag{Kind: reconcile.AuditOverdue, Severity: reconcile.Info, Rule: "next audit date passed"})
			}
			return fs
		}
		seen := map[string]bool{}
		var out []reconcile.Finding
		for _, o := range obs {
			var ds []store.Device
			var by store.IdentKind
			var val string
			switch {
			case o.MAC != "":
				by, val = store.IdentMAC, o.MAC
			case o.BLE != nil:
				by, val = store.IdentBLEAddress, o.BLE.Address
			}
			if val != "" {
				if ds, err = st.DevicesByIdentifier(ctx, by, val); err != nil {
					return nil, err
				}
			}
			if len(ds) == 0 {
				out = append(out, reconcile.Finding{Kind: reconcile.Unknown, Observations: []scan.Observation{o},
					Reason: "not in the inventory"})
				continue
			}
			d := ds[0]
			f := reconcile.Finding{Kind: reconcile.Verified, Device: &d, Observations: []scan.Observation{o},
				Match: &reconcile.Match{By: by, Value: val, Confidence: 0.99}, Flags: flags(d)}
			if d.LocationKey != room.Key {
				f.Kind, f.Reason = reconcile.MovedHere, "recorded in "+d.LocationKey
			}
			seen[d.AssetTag] = true
			out = append(out, f)
		}
		for _, d := range expected {
			if seen[d.AssetTag] {
				continue
			}
			f := reconcile.Finding{Kind: reconcile.Missing, Device: &d, Flags: flags(d), Reason: "expected here, not seen"}
			if room.RFShielded || !swept.IP {
				f.Kind, f.Reason = reconcile.Unverified, "no completed sweep could see it"
			}
			out = append(out, f)
		}
		return out, nil
	})
}
