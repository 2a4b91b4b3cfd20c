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
	err := w.Tx().QueryRowContext(w.ctx, "SELECT count(*) FROM devices").Scan(&n)
	return n, err
}
