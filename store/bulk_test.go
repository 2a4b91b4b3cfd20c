package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func bulkDevices(n int) []Device {
	ds := make([]Device, n)
	for i := range ds {
		ds[i] = Device{AssetTag: fmt.Sprintf("T-%04d", i), Serial: fmt.Sprintf("SN-%d", i),
			Manufacturer: "BD", Model: "Alaris 8015 PC Unit", DeviceClass: "infusion pump",
			LocationKey: fmt.Sprintf("MAIN/%d/R-%d", i%3, i%7), MAC: fmt.Sprintf("00:09:FB:00:%02X:%02X", i>>8, i&255),
			IP: fmt.Sprintf("10.0.%d.%d", i>>8, i&255), Hostname: fmt.Sprintf("Pump-%d", i), CMDBID: fmt.Sprint(i),
			NextPMDue: time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC), Identifiers: []Identifier{{Kind: IdentUDI, Value: fmt.Sprintf("(01)%014d", i)}}}
	}
	return ds
}

// TestCreateDevicesMatchesPutDevice: the bulk path stores exactly what
// PutDevice stores, journal included.
func TestCreateDevicesMatchesPutDevice(t *testing.T) {
	ctx := context.Background()
	for _, noJournal := range []bool{false, true} {
		a, b := openTest(t), openTest(t)
		ds := bulkDevices(150) // more than one chunk
		if err := a.Write(ctx, "t", func(w *Writer) error {
			w.NoJournal = noJournal
			for _, d := range ds {
				if _, err := w.PutDevice(d); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := b.BulkWrite(ctx, "t", func(w *Writer) error {
			w.NoJournal = noJournal
			return w.CreateDevices(bulkDevices(150))
		}); err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			x, err1 := a.Device(ctx, d.AssetTag)
			y, err2 := b.Device(ctx, d.AssetTag)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(x, y) {
				t.Fatalf("noJournal=%v %s:\nput  %+v %v\nbulk %+v %v", noJournal, d.AssetTag, x, err1, y, err2)
			}
		}
		ja, _ := a.Journal(ctx, JournalQuery{})
		jb, _ := b.Journal(ctx, JournalQuery{})
		if len(ja) != len(jb) {
			t.Fatalf("journal lengths %d and %d", len(ja), len(jb))
		}
		for i := range ja {
			if !reflect.DeepEqual(ja[i].Changes, jb[i].Changes) || ja[i].Op != jb[i].Op || ja[i].AssetTag != jb[i].AssetTag {
				t.Fatalf("journal %d differs: %+v / %+v", i, ja[i], jb[i])
			}
		}
	}
}

// TestCreateDevicesRefusesBeforeWriting: every conflict is found before
// anything is written.
func TestCreateDevicesRefusesBeforeWriting(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Write(ctx, "t", func(w *Writer) error {
		_, err := w.PutDevice(Device{AssetTag: "HELD", MAC: "00:09:fb:00:00:05", Serial: "SN-HELD"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func([]Device){
		"existing tag":    func(ds []Device) { ds[70].AssetTag = "HELD" },
		"held MAC":        func(ds []Device) { ds[3].MAC = "00-09-FB-00-00-05" },
		"held serial":     func(ds []Device) { ds[99].Serial = "SN-HELD" },
		"MAC twice":       func(ds []Device) { ds[100].MAC = ds[1].MAC },
		"UDI twice":       func(ds []Device) { ds[2].Identifiers = ds[1].Identifiers },
		"tag twice":       func(ds []Device) { ds[120].AssetTag = ds[0].AssetTag },
		"bad room":        func(ds []Device) { ds[80].LocationKey = "MAIN/3" },
		"model, no maker": func(ds []Device) { ds[90].Manufacturer = "" },
	} {
		ds := bulkDevices(130)
		mutate(ds)
		err := s.BulkWrite(ctx, "t", func(w *Writer) error {
			err := w.CreateDevices(ds)
			if n, _ := countIn(w); n != 1 {
				t.Errorf("%s: %d devices visible after the refusal, want 1", name, n)
			}
			return err
		})
		if !errors.Is(err, ErrConflict) && !errors.Is(err, ErrConstraint) {
			t.Errorf("%s: err = %v, want a conflict or constraint error", name, err)
		}
	}
}

func countIn(w *Writer) (int, error) {
	var n int
	err := w.tx.QueryRowContext(w.ctx, "SELECT count(*) FROM devices").Scan(&n)
	return n, err
}

// indexSQL lists the schema's indexes with their statements.
func indexSQL(t *testing.T, s *Store) string {
	t.Helper()
	rows, err := s.db.Query("SELECT name, coalesce(sql, '') FROM sqlite_schema WHERE type = 'index' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b []byte
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			t.Fatal(err)
		}
		b = fmt.Appendf(b, "%s: %s\n", name, sql)
	}
	return string(b)
}

// TestLoadRebuildsIndexes: a load into an empty inventory drops the
// secondary indexes and leaves exactly the schema's indexes, and the same
// rows, whether EndLoad is called or the function just returns.
func TestLoadRebuildsIndexes(t *testing.T) {
	ctx := context.Background()
	for _, explicit := range []bool{true, false} {
		s, ref := openTest(t), openTest(t)
		want := indexSQL(t, s)
		if err := ref.BulkWrite(ctx, "t", func(w *Writer) error { return w.CreateDevices(bulkDevices(300)) }); err != nil {
			t.Fatal(err)
		}
		if err := s.BulkWrite(ctx, "t", func(w *Writer) error {
			on, err := w.BeginLoad()
			if err != nil || !on {
				t.Fatalf("BeginLoad on an empty inventory = %v, %v", on, err)
			}
			var n int
			w.tx.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('identifiers_unique', 'identifiers_lookup', 'devices_location')").Scan(&n)
			if n != 0 {
				t.Errorf("%d secondary indexes left during the load", n)
			}
			ds := bulkDevices(300)
			for len(ds) > 0 { // batches as the importer sends them
				k := min(len(ds), 128)
				if err := w.CreateDevices(ds[:k]); err != nil {
					return err
				}
				ds = ds[k:]
			}
			if explicit {
				return w.EndLoad()
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := indexSQL(t, s); got != want {
			t.Fatalf("explicit=%v: indexes after the load\n%s\nwant\n%s", explicit, got, want)
		}
		var check string
		s.db.QueryRow("PRAGMA integrity_check").Scan(&check)
		if check != "ok" {
			t.Fatalf("integrity_check: %s", check)
		}
		for _, d := range bulkDevices(300) {
			x, err1 := ref.Device(ctx, d.AssetTag)
			y, err2 := s.Device(ctx, d.AssetTag)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(x, y) {
				t.Fatalf("%s:\nchecked %+v %v\nloaded  %+v %v", d.AssetTag, x, err1, y, err2)
			}
		}
		got, err := s.DevicesByIdentifier(ctx, IdentMAC, bulkDevices(300)[257].MAC)
		if err != nil || len(got) != 1 || got[0].AssetTag != "T-0257" {
			t.Fatalf("lookup by MAC after the load: %+v %v", got, err)
		}
		// Not empty any more: a second load is refused.
		if err := s.BulkWrite(ctx, "t", func(w *Writer) error {
			if on, err := w.BeginLoad(); on || err != nil {
				t.Errorf("BeginLoad on a stored inventory = %v, %v", on, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadDuplicateAcrossBatches: a unique identifier that two batches of
// a load share fails the index rebuild, which names the later device and
// the earlier owner, and the transaction leaves nothing, indexes intact.
func TestLoadDuplicateAcrossBatches(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		mutate func([]Device)
		kind   IdentKind
		second string
		owner  string
	}{
		"serial": {func(ds []Device) { ds[250].Serial = ds[3].Serial }, IdentSerial, "T-0250", "T-0003"},
		"MAC":    {func(ds []Device) { ds[200].MAC = "00-09-fb-00-00-07"; ds[280].MAC = "00:09:FB:00:00:07" }, IdentMAC, "T-0200", "T-0007"},
		"UDI":    {func(ds []Device) { ds[140].Identifiers = ds[10].Identifiers; ds[290].Identifiers = ds[10].Identifiers }, IdentUDI, "T-0140", "T-0010"},
	} {
		s := openTest(t)
		want := indexSQL(t, s)
		ds := bulkDevices(300)
		tc.mutate(ds)
		err := s.BulkWrite(ctx, "t", func(w *Writer) error {
			if _, err := w.BeginLoad(); err != nil {
				return err
			}
			for len(ds) > 0 {
				k := min(len(ds), 128)
				if err := w.CreateDevices(ds[:k]); err != nil {
					return err
				}
				ds = ds[k:]
			}
			return w.EndLoad()
		})
		var de *DuplicateError
		if !errors.As(err, &de) || !errors.Is(err, ErrConflict) {
			t.Fatalf("%s: err = %v, want a *DuplicateError", name, err)
		}
		if de.AssetTag != tc.second || de.Conflict.Owner != tc.owner || de.Conflict.Kind != tc.kind {
			t.Errorf("%s: %+v, want %s taking %s's %s", name, de, tc.second, tc.owner, tc.kind)
		}
		if n, _ := s.CountDevices(ctx); n != 0 {
			t.Errorf("%s: %d devices left by the failed load", name, n)
		}
		if got := indexSQL(t, s); got != want {
			t.Errorf("%s: indexes after the rollback\n%s\nwant\n%s", name, got, want)
		}
	}
}
