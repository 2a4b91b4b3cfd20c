package store

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesPrivateFileAndMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "r.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	ms, _ := loadMigrations()
	v, err := s.SchemaVersion(context.Background())
	if err != nil || v != ms[len(ms)-1].version {
		t.Errorf("schema version = %d, %v; want %d", v, err, ms[len(ms)-1].version)
	}
	var mode string
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	var fk int
	s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if mode != "wal" || fk != 1 {
		t.Errorf("journal_mode=%s foreign_keys=%d, want wal and 1", mode, fk)
	}
	// Reopening applies nothing and keeps the version.
	s.Close()
	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

func TestPutDeviceJournalsOnlyRealChanges(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	d := Device{AssetTag: "BME-1", Serial: "SN1", Manufacturer: "BD", Model: "Alaris 8015",
		DeviceClass: "infusion pump", LocationKey: "MAIN/3/3W-12", MAC: "00-09-FB-12-34-56",
		NextPMDue: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	put := func(d Device) []Change {
		var ch []Change
		if err := s.Write(ctx, "tester", func(w *Writer) error {
			var err error
			ch, err = w.PutDevice(d)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	if ch := put(d); len(ch) == 0 {
		t.Fatal("create journalled no changes")
	}
	if ch := put(d); len(ch) != 0 {
		t.Fatalf("identical put changed %v", ch)
	}
	d.FirmwareVersion = "12.1.2"
	ch := put(d)
	if len(ch) != 1 || ch[0].Field != "firmware_version" || ch[0].New != "12.1.2" {
		t.Fatalf("changes = %+v", ch)
	}
	es, err := s.Journal(ctx, JournalQuery{})
	if err != nil || len(es) != 2 || es[0].Op != OpCreate || es[1].Op != OpUpdate {
		t.Fatalf("journal = %+v, %v", es, err)
	}
	got, err := s.Device(ctx, "BME-1")
	if err != nil || got.MAC != "00:09:fb:12:34:56" || got.LocationKey != "MAIN/3/3W-12" || got.Revision != 2 {
		t.Fatalf("device = %+v, %v", got, err)
	}
	byMAC, err := s.DevicesByIdentifier(ctx, IdentMAC, "0009.fb12.3456")
	if err != nil || len(byMAC) != 1 {
		t.Fatalf("by mac = %v, %v", byMAC, err)
	}
	// The journal is append-only.
	if _, err := s.db.Exec("UPDATE journal SET changes = '[]'"); err == nil {
		t.Error("journal facts were rewritten")
	}
	if _, err := s.db.Exec("DELETE FROM journal"); err == nil {
		t.Error("journal entries were deleted")
	}
	if err := s.SetStates(ctx, []Transition{{Seq: es[0].Seq, State: StateInFlight}}); err != nil {
		t.Fatal(err)
	}
	out, _ := s.Outbox(ctx, 0)
	if len(out) != 2 || out[0].State != StateInFlight || out[0].Attempts != 1 {
		t.Fatalf("outbox = %+v", out)
	}
}

func TestUniqueIdentifiersConflict(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	err := s.Write(ctx, "t", func(w *Writer) error {
		if _, err := w.PutDevice(Device{AssetTag: "A", MAC: "00:11:22:33:44:55"}); err != nil {
			return err
		}
		_, err := w.PutDevice(Device{AssetTag: "B", MAC: "00:11:22:33:44:55"})
		return err
	})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	// Nothing of the failed transaction remains.
	if n, _ := s.CountDevices(ctx); n != 0 {
		t.Fatalf("%d devices after rolled-back write", n)
	}
	if _, err := s.Device(ctx, "A"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestLocationsWithSegments(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	l := Location{Building: "MAIN", Floor: "3", Room: "3W-12", Name: "ICU bed 12", Barcode: "LOC-3W12",
		Segments: []Segment{{CIDR: netip.MustParsePrefix("10.3.12.0/24"), Tags: []string{"imaging", "clinical"}}}}
	var changed bool
	if err := s.Write(ctx, "t", func(w *Writer) error {
		var err error
		changed, err = w.PutLocation(l)
		return err
	}); err != nil || !changed {
		t.Fatal(err, changed)
	}
	s.Write(ctx, "t", func(w *Writer) error {
		changed, _ = w.PutLocation(l)
		return nil
	})
	if changed {
		t.Error("identical location reported a change")
	}
	got, err := s.Location(ctx, "LOC-3W12")
	if err != nil || got.Key != "MAIN/3/3W-12" || len(got.Segments) != 1 || got.Segments[0].Tags[0] != "clinical" {
		t.Fatalf("location = %+v, %v", got, err)
	}
}
