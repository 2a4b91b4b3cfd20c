package store

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture writes a small inventory whose text includes what a terminal
// or a careless reader could trip on, and returns its path.
func directFixture(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Write(ctx, "t", func(w *Writer) error {
		for _, l := range []Location{
			{Building: "MAIN", Floor: "3", Room: "3W-12", Name: "Ward 3 West, bed 12", Barcode: "LOC-0312", RFShielded: true,
				Segments: []Segment{{CIDR: netip.MustParsePrefix("127.3.12.0/24"), Tags: []string{"clinical", "biomed"}}}},
			{Building: "MAIN", Floor: "1", Room: "ED-01"},
		} {
			if _, err := w.PutLocation(l); err != nil {
				return err
			}
		}
		for _, d := range []Device{
			{AssetTag: "BME-2", Manufacturer: "BD", Model: "Alaris 8015", DeviceClass: "infusion pump", LocationKey: "MAIN/3/3W-12",
				Status: StatusInService, FirmwareVersion: "12.1\x1b[2J", IP: "127.3.12.7", MAC: "00:09:fb:12:34:56"},
			{AssetTag: "BME-1", LocationKey: "MAIN/1/ED-01", Status: StatusMissing, FirmwareVersion: "é—ünïcode ‮", IP: "", MAC: ""},
			{AssetTag: "BME-3", Status: StatusInService},
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
	return path
}

// TestDirectMatchesDatabaseSQL: the direct connection reads what
// database/sql reads, byte for byte, for every filter, and a read-only
// store's location look-ups (key, barcode, segments) equal a read-write
// store's.
func TestDirectMatchesDatabaseSQL(t *testing.T) {
	ctx := context.Background()
	path := directFixture(t)
	rw, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, ok := ro.rows().(readSource); !ok {
		t.Fatalf("a read-only store reads through %T, want the direct connection", ro.rows())
	}
	for _, f := range []Filter{{}, {Room: "MAIN/3/3W-12"}, {Building: "MAIN"}, {Status: StatusMissing}, {Room: "NOWHERE/0/0"}} {
		where, args := f.where()
		q := "SELECT " + listedColumns + deviceFrom + where + " ORDER BY d.asset_tag"
		var want, got []Listed
		if err := rw.eachListedSQL(ctx, q, args, func(l Listed) error { want = append(want, l); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := ro.EachListed(ctx, f, func(l Listed) error { got = append(got, l); return nil }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("filter %+v:\ndirect       %q\ndatabase/sql %q", f, got, want)
		}
	}
	for _, f := range []Filter{{}, {Room: "MAIN/3/3W-12"}, {Status: StatusInService}} {
		var want, got []Device
		if err := rw.EachDevice(ctx, f, func(d Device) error { want = append(want, d); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := ro.EachDevice(ctx, f, func(d Device) error { got = append(got, d); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("EachDevice %+v:\ndirect       %+v\ndatabase/sql %+v", f, got, want)
		}
	}
	for _, key := range []string{"MAIN/3/3W-12", "LOC-0312", "MAIN/1/ED-01"} {
		want, err := rw.Location(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ro.Location(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Location(%q): read-only %+v, read-write %+v", key, got, want)
		}
	}
	if _, err := ro.Location(ctx, "NOWHERE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown room: %v, want ErrNotFound", err)
	}
	all, err := ro.Locations(ctx)
	if err != nil || len(all) != 2 || !all[1].RFShielded || len(all[1].Segments) != 1 {
		t.Errorf("Locations: %+v, %v", all, err)
	}
}

// TestDirectStopsAndFails: a cancelled listing stops with the context's
// error, an error from the callback is returned as is, a closed store
// answers an error (no crash), and a file that is not a database is named
// in the error.
func TestDirectStopsAndFails(t *testing.T) {
	ctx := context.Background()
	path := directFixture(t)
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := ro.EachListed(cctx, Filter{}, func(Listed) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	stop := errors.New("enough")
	n := 0
	if err := ro.EachListed(ctx, Filter{}, func(Listed) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: %v after %d rows", err, n)
	}
	ro.Close()
	if err := ro.EachListed(ctx, Filter{}, func(Listed) error { return nil }); err == nil {
		t.Error("listing a closed store succeeded")
	}
	bad := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(bad, []byte(strings.Repeat("not a database\n", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(ctx, bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("open of a text file: %v, want an error naming %s", err, bad)
	}
}

// TestDirectReentrantAndConcurrent: a store read from inside a listing's
// callback (which would wait forever on the direct connection) and two
// listings at once both read through database/sql instead, with the same
// answers.
func TestDirectReentrantAndConcurrent(t *testing.T) {
	ctx := context.Background()
	ro, err := OpenReadOnly(ctx, directFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var rooms []string
	err = ro.EachListed(ctx, Filter{}, func(l Listed) error {
		if l.LocationKey == "" {
			return nil
		}
		loc, err := ro.Location(ctx, l.LocationKey)
		if err != nil {
			return err
		}
		return ro.EachDevice(ctx, Filter{Room: loc.Key}, func(d Device) error {
			rooms = append(rooms, d.AssetTag+"@"+loc.Key)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"BME-1@MAIN/1/ED-01", "BME-2@MAIN/3/3W-12"}; !reflect.DeepEqual(rooms, want) {
		t.Errorf("nested reads: %q, want %q", rooms, want)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			n := 0
			err := ro.EachListed(ctx, Filter{}, func(Listed) error { n++; return nil })
			if err == nil && n != 3 {
				err = errors.New("a concurrent listing saw " + string(rune('0'+n)) + " rows")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
