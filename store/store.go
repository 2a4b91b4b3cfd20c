package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Sentinel errors. Driver errors are translated into these once, in
// translate, so callers test with errors.Is and never see SQLite codes.
var (
	// ErrNotFound reports that a looked-up record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports a uniqueness violation: the asset tag, MAC,
	// serial or UDI already belongs to another record.
	ErrConflict = errors.New("store: conflicts with an existing record")
	// ErrConstraint reports any other integrity violation (a reference to
	// a missing row, an invalid value, an attempt to rewrite the journal).
	ErrConstraint = errors.New("store: constraint violated")
	// ErrBusy reports that another process holds the database longer than
	// the busy timeout.
	ErrBusy = errors.New("store: database is busy (another rounds process may be running)")
	// ErrNewerSchema reports a database written by a newer rounds.
	ErrNewerSchema = errors.New("store: database schema is newer than this rounds; upgrade rounds")
)

// busyTimeout is how long a writer waits for a lock before ErrBusy.
const busyTimeout = 5000 // ms

// synchronous is the SQLite synchronous level of every connection. In WAL
// mode NORMAL syncs only at checkpoints, so a commit the user saw as
// "saved" can roll back after a power cut (a battery dying in a corridor);
// FULL syncs the WAL at every commit, which is what makes an acknowledged
// action durable. Tests in this package lower it only to show that the
// fsync test detects the difference and to measure what FULL costs.
var synchronous = "FULL"

// Store is the offline inventory database. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	path     string
	readOnly bool
	warnings []string
	// stmts caches prepared read statements of hot paths (a room's
	// devices) so that they are parsed and planned once.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	// direct is the mutex-free read-only connection of long listings,
	// opened on first use (direct.go).
	directMu sync.Mutex
	direct   *direct
	closed   bool
}

// Open opens or creates the database at path, creating the file 0600 and
// its directory 0700, and applies pending migrations. An existing file
// (or its -wal/-shm) that others may read is tightened to 0600; Warnings
// says so.
//
// Opening takes no lock when the schema is current: the schema version is
// read like any other data, so that opening never waits for an import
// another process is running. The write lock is taken only to migrate,
// and the migrations still pending are re-read under it.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, false)
}

// OpenReadOnly opens an existing database for reading only, for the
// commands that only read (devices, export, advisories list): they never
// take the write lock, and read a consistent snapshot while another
// process writes (WAL). A database whose schema is older than this rounds
// is migrated first, through a short read-write open.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if path != ":memory:" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	return open(ctx, path, true)
}

func open(ctx context.Context, path string, readOnly bool) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	var warnings []string
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
		if !readOnly {
			// Create the file ourselves so that its mode is 0600 whatever
			// the umask; SQLite would create it 0644. WAL and SHM files
			// inherit the database file's permissions.
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return nil, fmt.Errorf("store: open %s: %w", path, err)
			}
			_ = f.Close()
		}
		warnings = tighten(path)
	}
	if readOnly && path != ":memory:" {
		s, err := openReading(ctx, path)
		if err != nil {
			return nil, err
		}
		s.warnings = warnings
		return s, nil
	}
	s, err := openDB(ctx, path, readOnly)
	if err != nil {
		return nil, err
	}
	s.warnings = warnings
	if readOnly {
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// openReading opens a read-only store on its direct connection, migrating
// the file first if it needs it. The database/sql pool connects only when
// a read that the direct connection does not serve asks for it: a room
// listing from the command line opens one connection, not two (opening
// the driver's took a tenth of a cold `rounds devices --room`).
func openReading(ctx context.Context, path string) (*Store, error) {
	d, err := openDirect(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, translateDirect(err))
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		d.close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, readOnly: true, direct: d}
	pending, err := s.pendingMigrations(ctx)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if pending {
		d.close()
		rw, err := openDB(ctx, path, false)
		if err != nil {
			db.Close()
			return nil, err
		}
		err = rw.migrate(ctx)
		rw.Close()
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		if d, err = openDirect(path); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, translateDirect(err))
		}
		s.direct = d
	}
	return s, nil
}

// uriPath escapes the characters SQLite's URI filenames give a meaning to
// ('?' starts the query, '#' a fragment, '%' an escape), so a database
// named "ward#3?.db" opens that file and not "ward".
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// openDB opens the connection pool without migrating.
func openDB(ctx context.Context, path string, readOnly bool) (*Store, error) {
	dsn := "file:" + uriPath(path) + "?_txlock=immediate" +
		"&_pragma=busy_timeout(" + strconv.Itoa(busyTimeout) + ")" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + synchronous + ")"
	if readOnly {
		// query_only refuses writes on the connection; the deferred BEGIN
		// of a read transaction takes no lock.
		dsn = readOnlyDSN(path)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	}
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{db: db, path: path, readOnly: readOnly}, nil
}

// readOnlyDSN opens path for reading only: query_only refuses writes on
// the connection; the deferred BEGIN of a read transaction takes no lock.
func readOnlyDSN(path string) string {
	return "file:" + uriPath(path) + "?mode=ro&_txlock=deferred" +
		"&_pragma=busy_timeout(" + strconv.Itoa(busyTimeout) + ")" +
		"&_pragma=query_only(1)"
}

// ping opens the first connection, which runs the DSN's pragmas. On a
// fresh file, switching to WAL needs an exclusive lock, and SQLite answers
// SQLITE_BUSY at once, without its busy handler, when another process is
// switching or migrating the same new file (waiting could deadlock). So
// the open is retried for up to the busy timeout; once the file is in WAL
// mode the pragma takes no lock and this never loops.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout * time.Millisecond)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := translate(db.PingContext(ctx))
		if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// tighten makes the database file and its -wal and -shm files private
// (0600) if they exist with wider permissions, as a file copied or created
// by an older tool may, and returns one warning per file it changed. Once
// tightened a file is not reported again.
func tighten(path string) []string {
	var out []string
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, 0o600); err != nil {
			out = append(out, fmt.Sprintf("%s is readable by others (mode %04o) and could not be made private: %v", p, fi.Mode().Perm(), err))
			continue
		}
		out = append(out, fmt.Sprintf("%s was readable by others (mode %04o); made private (0600)", p, fi.Mode().Perm()))
	}
	return out
}

// Warnings returns what Open noticed and fixed that the user should know
// (a database file readable by others, now tightened to 0600). The caller
// logs them once.
func (s *Store) Warnings() []string { return s.warnings }

// ReadOnly reports whether the store was opened with OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Close closes the database.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	s.directMu.Lock()
	if s.direct != nil {
		s.direct.close()
		s.direct = nil
	}
	s.closed = true
	s.directMu.Unlock()
	return s.db.Close()
}

// prepared returns the cached prepared statement for q.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st, nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Counts is how many rows the inventory holds, per table.
type Counts struct {
	Devices, Identifiers, Models, Locations int
}

// String reads like "3 devices, 5 identifiers, 2 models, 1 rooms".
func (c Counts) String() string {
	return fmt.Sprintf("%d devices, %d identifiers, %d models, %d rooms", c.Devices, c.Identifiers, c.Models, c.Locations)
}

// Counts counts the inventory's rows (benchmarks compare two imports by it).
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM identifiers),
		(SELECT count(*) FROM models), (SELECT count(*) FROM locations)`).Scan(&c.Devices, &c.Identifiers, &c.Models, &c.Locations)
	return c, translate(err)
}

// IntegrityCheck runs SQLite's integrity check and returns its verdict
// ("ok" when the file is sound).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&v)
	return v, translate(err)
}

// inTx runs fn in one write transaction: committed if fn returns nil, rolled
// back otherwise. The transaction takes the write lock at BEGIN (IMMEDIATE)
// so that two writers never deadlock on upgrade.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: want NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies the embedded migrations the database has not had.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.applyMigrations(ctx, ms)
}

// migrationState reads which migrations are applied: the versions in
// schema_migrations or, for a database from before that table existed,
// every version up to PRAGMA user_version. It runs on q, a plain read or
// the migrating transaction.
func migrationState(ctx context.Context, q rowSource, ms []migration) (applied map[int]bool, current int, err error) {
	one := func(query string, dest any) error {
		return q.eachRow(ctx, query, nil, func(scan func(...any) error) error { return scan(dest) })
	}
	if err := one("PRAGMA user_version", &current); err != nil {
		return nil, 0, err
	}
	var exists int
	if err := one(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`, &exists); err != nil {
		return nil, 0, err
	}
	applied = map[int]bool{}
	if exists == 0 {
		for _, m := range ms {
			if m.version <= current {
				applied[m.version] = true
			}
		}
		return applied, current, nil
	}
	err = q.eachRow(ctx, "SELECT version FROM schema_migrations", nil, func(scan func(...any) error) error {
		var v int
		if err := scan(&v); err != nil {
			return err
		}
		applied[v] = true
		return nil
	})
	return applied, current, err
}

// firstPending returns the lowest migration not applied, or nil, and
// ErrNewerSchema when the database has a migration this rounds does not
// know.
func firstPending(ms []migration, applied map[int]bool, current int) (*migration, error) {
	if n := len(ms); n > 0 && current > ms[n-1].version {
		return nil, ErrNewerSchema
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
	}
	for v := range applied {
		if !known[v] {
			return nil, ErrNewerSchema
		}
	}
	for i := range ms {
		if !applied[ms[i].version] {
			return &ms[i], nil
		}
	}
	return nil, nil
}

// pendingMigrations reports, with reads only, whether the database needs
// a migration.
func (s *Store) pendingMigrations(ctx context.Context) (bool, error) {
	ms, err := loadMigrations()
	if err != nil {
		return false, err
	}
	applied, current, err := migrationState(ctx, s.rows(), ms)
	if err != nil {
		return false, translate(err)
	}
	m, err := firstPending(ms, applied, current)
	return m != nil, err
}

// applyMigrations applies every migration not yet recorded in
// schema_migrations, in number order, each in its own transaction together
// with its record, so that a crash leaves the schema at a known step.
// Tracking the set rather than only the highest number means a migration
// numbered below one already applied (work merged from a parallel branch)
// is still applied. PRAGMA user_version mirrors the highest applied
// number; databases from before the table existed are read from it.
//
// The check is a plain read first, so that opening a current database
// never takes the write lock (an import in another process would make it
// wait). Each migration's transaction re-reads the applied set under the
// write lock, so that processes opening a fresh database at once apply
// each migration exactly once.
func (s *Store) applyMigrations(ctx context.Context, ms []migration) error {
	applied, current, err := migrationState(ctx, sqlRows{s.db}, ms)
	if err != nil {
		return fmt.Errorf("migrations: %w", translate(err))
	}
	m, err := firstPending(ms, applied, current)
	if err != nil || m == nil {
		return err
	}
	for {
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			applied, current, err := migrationState(ctx, sqlRows{tx}, ms)
			if err != nil {
				return err
			}
			m, err := firstPending(ms, applied, current)
			if err != nil {
				return err
			}
			if m == nil {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				name       TEXT NOT NULL,
				applied_at TEXT NOT NULL)`); err != nil {
				return err
			}
			// A database from before the table: record what its
			// user_version says was applied.
			for v := range applied {
				if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO schema_migrations (version, name, applied_at) VALUES (?, ?, '')", v, migrationName(ms, v)); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", max(current, m.version)))
			return err
		})
		if err != nil {
			if errors.Is(err, ErrNewerSchema) {
				return ErrNewerSchema
			}
			return fmt.Errorf("migrations: %w", err)
		}
		if done {
			return nil
		}
	}
}

func migrationName(ms []migration, v int) string {
	for _, m := range ms {
		if m.version == v {
			return m.name
		}
	}
	return ""
}

// SchemaVersion returns the applied migration number.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, translate(err)
}

// translate maps driver errors to the package's sentinel errors, keeping
// the driver's message for context.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrConflict, constraintDetail(se))
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK,
			sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_TRIGGER,
			sqlite3.SQLITE_CONSTRAINT:
			return fmt.Errorf("%w: %s", ErrConstraint, constraintDetail(se))
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			return ErrBusy
		}
	}
	return err
}

func constraintDetail(se *sqlite.Error) string {
	msg := se.Error()
	if i := strings.Index(msg, "constraint failed: "); i >= 0 {
		msg = msg[i+len("constraint failed: "):]
	}
	if i := strings.LastIndex(msg, " ("); i >= 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	return msg
}
