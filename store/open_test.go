package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
)

// TestOpenConcurrentFresh opens a fresh database from 8 separate
// connection pools at once, as 8 rounds processes started together would,
// several times over: every open succeeds and the schema is complete.
// Before the migration check re-read the applied set under the write
// lock, some failed with "table ... already exists".
func TestOpenConcurrentFresh(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	for round := range 6 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("r%d.db", round))
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				<-start
				s, err := Open(ctx, path)
				if err != nil {
					errs[i] = err
					return
				}
				defer s.Close()
				if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
					errs[i] = fmt.Errorf("schema version %d (%v), want %d", v, err, latest)
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, opener %d: %v", round, i, err)
			}
		}
	}
}

// TestReadersDuringImport holds an import's write transaction open and
// checks that opening the database (read-write and read-only) and reading
// it neither wait for the writer nor see its uncommitted rows. Before
// Open checked the schema with a read, every open waited for the busy
// timeout and failed with ErrBusy.
func TestReadersDuringImport(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(ctx, "t", func(w *Writer) error {
		_, err := w.PutDevice(Device{AssetTag: "OLD1", Status: StatusInService})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	inTx, release := make(chan struct{}), make(chan struct{})
	importDone := make(chan error, 1)
	go func() {
		importDone <- w.BulkWrite(ctx, "import", func(w *Writer) error {
			ds := make([]Device, 200)
			for i := range ds {
				ds[i] = Device{AssetTag: fmt.Sprintf("NEW%d", i), Status: StatusInService}
			}
			if err := w.CreateDevices(ds); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	select {
	case <-inTx:
	case err := <-importDone:
		t.Fatalf("import ended early: %v", err)
	}
	for _, tc := range []struct {
		name string
		open func(context.Context, string) (*Store, error)
	}{
		{"read-write", Open},
		{"read-only", OpenReadOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Well under the busy timeout: an open that waits for the
			// writer fails here instead of after 5 s.
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			began := time.Now()
			r, err := tc.open(ctx, path)
			if err != nil {
				t.Fatalf("open during an import: %v", err)
			}
			defer r.Close()
			n, err := r.CountDevices(ctx)
			if err != nil {
				t.Fatalf("read during an import: %v", err)
			}
			if n != 1 {
				t.Errorf("reader saw %d devices, want the 1 committed before the import", n)
			}
			if _, err := r.Device(ctx, "OLD1"); err != nil {
				t.Errorf("read OLD1: %v", err)
			}
			if d := time.Since(began); d > time.Second {
				t.Errorf("open and read took %v while the import ran; want no waiting", d)
			}
		})
	}
	close(release)
	if err := <-importDone; err != nil {
		t.Fatal(err)
	}
}

// TestOpenReadOnly: the read-only mode reads, refuses writes, creates no
// file for a path that does not exist, and migrates an old schema first.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := OpenReadOnly(ctx, missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only open of a missing file: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only open created %s", missing)
	}
	path := filepath.Join(dir, "r.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, "t", func(w *Writer) error {
		_, err := w.PutDevice(Device{AssetTag: "A1", Status: StatusInService})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
	if _, err := r.Device(ctx, "A1"); err != nil {
		t.Errorf("read: %v", err)
	}
	werr := r.Write(ctx, "t", func(w *Writer) error {
		_, err := w.PutDevice(Device{AssetTag: "A2", Status: StatusInService})
		return err
	})
	if werr == nil {
		t.Error("a read-only store accepted a write")
	}

	// A database of an older rounds (first migration only) is migrated
	// before it is read.
	old := filepath.Join(dir, "old.db")
	ms, _ := loadMigrations()
	db, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, ms[0].sql+"; PRAGMA user_version = "+strconv.Itoa(ms[0].version)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	o, err := OpenReadOnly(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if v, _ := o.SchemaVersion(ctx); v != ms[len(ms)-1].version {
		t.Errorf("read-only open of an old schema: version %d, want %d", v, ms[len(ms)-1].version)
	}
}

// TestOpenTightensPermissions: an existing database file and its WAL and
// SHM files readable by others are made 0600 on open, with one warning
// each, and not reported again.
func TestOpenTightensPermissions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings()) != 0 {
		t.Errorf("fresh database warned: %v", s.Warnings())
	}
	// Keep this store open so that the -wal and -shm files exist.
	defer s.Close()
	files := []string{path, path + "-wal", path + "-shm"}
	for _, p := range files {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := len(s2.Warnings()); got != 3 {
		t.Errorf("%d warnings, want 3 (db, wal, shm): %v", got, s2.Warnings())
	}
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o after open, want 0600", p, fi.Mode().Perm())
		}
	}
	s3, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if len(s3.Warnings()) != 0 {
		t.Errorf("warned again after tightening: %v", s3.Warnings())
	}
}

// TestIdentConflictErrorIsInert: an identifier value from outside (a BLE
// name, a CMDB field) with escape sequences or bidi controls does not
// reach the terminal raw through the conflict message.
func TestIdentConflictErrorIsInert(t *testing.T) {
	e := &IdentConflictError{Kind: IdentSerial, Value: "SN\x1b]0;pwned\x07\u202e1", Owner: "A\x1b[2J1"}
	msg := e.Error()
	if strings.ContainsAny(msg, "\x1b\x07\u202e") {
		t.Errorf("message carries raw controls: %q", msg)
	}
	if !errors.Is(e, ErrConflict) {
		t.Error("not ErrConflict")
	}
}

// TestWriterEnforcesLimits: the store refuses values over the field
// table's limits whatever the caller (TUI, sync pull, import), and a note
// over 64 KiB, writing nothing.
func TestWriterEnforcesLimits(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, d := range []Device{
		{AssetTag: strings.Repeat("A", 65)},
		{AssetTag: "T1", Owner: strings.Repeat("o", 257)},
		{AssetTag: "T1", Identifiers: []Identifier{{Kind: IdentUDI, Value: strings.Repeat("u", 300)}}},
	} {
		err := s.Write(ctx, "t", func(w *Writer) error { _, err := w.PutDevice(d); return err })
		if !errors.Is(err, ErrConstraint) || len(err.Error()) > 400 {
			t.Errorf("PutDevice over a limit: %v", err)
		}
		err = s.BulkWrite(ctx, "t", func(w *Writer) error { return w.CreateDevices([]Device{d}) })
		if !errors.Is(err, ErrConstraint) {
			t.Errorf("CreateDevices over a limit: %v", err)
		}
	}
	if err := s.Write(ctx, "t", func(w *Writer) error { _, err := w.PutDevice(Device{AssetTag: "T1"}); return err }); err != nil {
		t.Fatal(err)
	}
	err := s.Write(ctx, "t", func(w *Writer) error { return w.AddNote("T1", strings.Repeat("n", 64<<10+1)) })
	if !errors.Is(err, ErrConstraint) {
		t.Errorf("note over 64 KiB: %v", err)
	}
	if n, _ := s.CountDevices(ctx); n != 1 {
		t.Errorf("%d devices, want 1", n)
	}
}

// TestLocationLookupsUseIndexes: the per-row lookups of a locations
// import (by key, by barcode, by display name) search an index instead of
// reading the whole table; "key = ? OR barcode = ?" scanned it, which
// made the import quadratic (6,259 rooms 2.9 s, 24,846 rooms 33.8 s).
func TestLocationLookupsUseIndexes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, q := range []string{
		"SELECT id FROM locations WHERE key = ?",
		"SELECT id, key FROM locations WHERE barcode <> '' AND barcode = ? ORDER BY key LIMIT 1",
		"SELECT key FROM locations WHERE (barcode <> '' AND barcode = ?1) OR (name <> '' AND name = ?1) ORDER BY barcode = ?1 DESC, key LIMIT 2",
	} {
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, "x")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, p := range plan {
			if strings.HasPrefix(p, "SCAN locations") {
				t.Errorf("%s\nplan %q reads the whole table", q, plan)
			}
		}
	}
}

// TestFieldBitsCoverTheTable: every bit of Fields names rows of the
// inventory field table, and every row but the asset tag has a bit, so
// that a new field cannot be silently dropped by a partial import.
func TestFieldBitsCoverTheTable(t *testing.T) {
	var all Fields
	for name, bit := range fieldBits {
		if _, ok := inventory.FieldByName(name); !ok {
			t.Errorf("fieldBits names %q, which is not in inventory.Fields", name)
		}
		all |= bit
	}
	if all != AllFields {
		t.Errorf("bits %b, want AllFields %b", all, AllFields)
	}
	for _, f := range inventory.Fields {
		if _, ok := fieldBits[f.Name]; !ok && f.Name != "asset_tag" {
			t.Errorf("field %s has no bit", f.Name)
		}
	}
}
