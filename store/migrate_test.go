package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestMigrationsFromEmptyDatabase: an existing empty file (what a crash
// between create and first migration leaves) and a fresh path both end up
// at the newest schema with every table usable; a newer schema is refused.
func TestMigrationsFromEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{empty, filepath.Join(dir, "new.db")} {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v, _ := s.SchemaVersion(ctx); v != latest {
			t.Errorf("%s: version %d, want %d", path, v, latest)
		}
		for _, table := range []string{"locations", "segments", "models", "devices", "identifiers", "rounds", "visits", "observations", "findings", "notes", "journal"} {
			if _, err := s.db.ExecContext(ctx, "SELECT count(*) FROM "+table); err != nil {
				t.Errorf("%s: table %s: %v", path, table, err)
			}
		}
		var check string
		s.db.QueryRow("PRAGMA integrity_check").Scan(&check)
		if check != "ok" {
			t.Errorf("%s: integrity_check %q", path, check)
		}
		if _, err := s.db.ExecContext(ctx, "PRAGMA user_version = 9999"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := Open(ctx, path); !errors.Is(err, ErrNewerSchema) {
			t.Errorf("%s: opening a newer schema: %v, want ErrNewerSchema", path, err)
		}
	}
}

// TestMigrationsStepByStep applies the first migration alone, as an
// old rounds would have, then opens the database, which must apply the
// rest.
func TestMigrationsStepByStep(t *testing.T) {
	ctx := context.Background()
	ms, _ := loadMigrations()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, ms[0].sql+"; PRAGMA user_version = "+strconv.Itoa(ms[0].version)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(ctx); v != ms[len(ms)-1].version {
		t.Fatalf("version %d after upgrade, want %d", v, ms[len(ms)-1].version)
	}
}

// TestMigrationMergedOutOfOrder: a database that had every migration but
// one with a newer one after it (say 1, 2 and 4) gets the missing number
// (3, merged later from a parallel branch); it must be applied, not
// skipped because 4 is newer.
func TestMigrationMergedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil || len(ms) < 3 {
		t.Fatalf("%d migrations, %v", len(ms), err)
	}
	late := ms[len(ms)-2]
	var early []migration
	for _, m := range ms {
		if m.version != late.version {
			early = append(early, m)
		}
	}
	s := &Store{db: mustDB(t, filepath.Join(t.TempDir(), "gap.db"))}
	defer s.db.Close()
	if err := s.applyMigrations(ctx, early); err != nil {
		t.Fatal(err)
	}
	if err := s.applyMigrations(ctx, ms); err != nil {
		t.Fatalf("applying migration %s late: %v", late.name, err)
	}
	rows, err := s.db.Query("SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for rows.Next() {
		var v int
		rows.Scan(&v)
		got = append(got, v)
	}
	rows.Close()
	if len(got) != len(ms) {
		t.Fatalf("applied %v, want all %d", got, len(ms))
	}
	if v, _ := s.SchemaVersion(ctx); v != ms[len(ms)-1].version {
		t.Errorf("user_version %d, want %d", v, ms[len(ms)-1].version)
	}
	// Applying again changes nothing.
	if err := s.applyMigrations(ctx, ms); err != nil {
		t.Fatal(err)
	}
	// A database that recorded a migration this build does not know is
	// newer than this build.
	if _, err := s.db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', '')", late.version*10+1); err != nil {
		t.Fatal(err)
	}
	if err := s.applyMigrations(ctx, ms); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("unknown recorded migration: %v, want ErrNewerSchema", err)
	}
}

func mustDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}
