package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// BulkCacheKiB is the page cache of a bulk load's connection. The default
// (2 MiB) makes a million-row import spill index pages to the WAL over and
// over; 32 MiB keeps the hot part of the indexes in memory. It costs about
// twice its size in resident memory (the pure-Go allocator rounds each
// 4 KiB page slot up), which keeps a million-row import under 200 MB.
const BulkCacheKiB = 32 << 10

// defaultCacheKiB is SQLite's default page cache, restored after a bulk
// load so that a long-lived process does not keep the large cache.
const defaultCacheKiB = 2000

// BulkWrite is Write for loading many rows at once (imports, the data
// generator): the same single transaction and journal semantics, on a
// connection tuned for the duration of the load: a larger page cache,
// statement journals in memory, and foreign-key enforcement off, because
// every Writer method resolves the ids it writes (ensureModel,
// ensureLocation, devices before their identifiers) and the per-row
// parent lookups and statement journals they would cost are most of a
// million-row import. Durability is unchanged: the data is committed, or
// not at all. Code that writes its own rows through Writer.Tx inside a
// BulkWrite must reference only rows it knows exist.
func (s *Store) BulkWrite(ctx context.Context, actor string, fn func(*Writer) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return translate(err)
	}
	defer conn.Close()
	// Statement journals (what undoes one failed multi-row statement)
	// stay in memory instead of a temporary file: they are rewritten for
	// every statement of a bulk load.
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(BulkCacheKiB)+"; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF"); err != nil {
		return translate(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -"+strconv.Itoa(defaultCacheKiB)+"; PRAGMA temp_store = DEFAULT; PRAGMA foreign_keys = ON")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := s.runWriter(ctx, tx, actor, fn); err != nil {
		return translate(err)
	}
	return translate(tx.Commit())
}

// runWriter runs fn with a Writer on tx and releases its statements.
func (s *Store) runWriter(ctx context.Context, tx *sql.Tx, actor string, fn func(*Writer) error) error {
	w := newWriter(ctx, tx, actor)
	defer w.close()
	if err := fn(w); err != nil {
		return err
	}
	// A load left on must not commit without its indexes.
	return w.EndLoad()
}

// Savepoint runs fn so that, if it fails, only what fn wrote is undone and
// the transaction goes on. An import that skips bad rows wraps each row in
// one, so that a row failing halfway (device written, identifier refused)
// leaves nothing behind.
func (w *Writer) Savepoint(fn func() error) error {
	if _, err := w.exec("SAVEPOINT row"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := w.exec("ROLLBACK TO row"); rerr != nil {
			return fmt.Errorf("%w (and rolling back: %v)", err, rerr)
		}
		if _, rerr := w.exec("RELEASE row"); rerr != nil {
			return fmt.Errorf("%w (and releasing: %v)", err, rerr)
		}
		// Rows the savepoint created are gone; forget their ids.
		clear(w.models)
		clear(w.locations)
		return err
	}
	_, err := w.exec("RELEASE row")
	return err
}

// Model returns the catalog entry for manufacturer and model as the
// transaction sees it.
func (w *Writer) Model(manufacturer, model string) (Model, error) {
	ms, err := queryModels(w.ctx, w.tx, manufacturer, model)
	if err != nil {
		return Model{}, err
	}
	if len(ms) == 0 {
		return Model{}, ErrNotFound
	}
	return ms[0], nil
}

// Location returns the room with the key or barcode, with its segments,
// as the transaction sees it.
func (w *Writer) Location(keyOrBarcode string) (Location, error) {
	ls, err := queryLocations(w.ctx, sqlRows{w.tx}, keyOrBarcode)
	if err != nil {
		return Location{}, err
	}
	if len(ls) == 0 {
		return Location{}, ErrNotFound
	}
	return ls[0], nil
}

// ResolveLocation returns the key of the room that s names: a key, a
// barcode, or a display name that exactly one room has. CMDB exports name
// rooms by display name ("ICU bed 12"); the store keys them by
// BUILDING/FLOOR/ROOM.
func (w *Writer) ResolveLocation(s string) (string, error) {
	if id, err := w.locationID(s); err == nil && id != 0 {
		return s, nil
	}
	st, err := w.stmt(`SELECT key FROM locations WHERE (barcode <> '' AND barcode = ?1) OR (name <> '' AND name = ?1)
		ORDER BY barcode = ?1 DESC, key LIMIT 2`)
	if err != nil {
		return "", err
	}
	rows, err := st.QueryContext(w.ctx, s)
	if err != nil {
		return "", translate(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return "", translate(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return "", translate(err)
	}
	switch len(keys) {
	case 0:
		return "", fmt.Errorf("%w: no room with key, barcode or name %q", ErrNotFound, s)
	case 1:
		return keys[0], nil
	}
	return "", fmt.Errorf("%w: more than one room is named %q; use the BUILDING/FLOOR/ROOM key", ErrConflict, s)
}
