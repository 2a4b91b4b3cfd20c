package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
)

// bulkChunk is the number of rows one multi-row statement of the bulk
// path writes. Chunks are full except the last of a batch, so that a few
// prepared statements serve a whole import.
const bulkChunk = 64

// CreateDevices inserts new devices with their identifiers and (unless
// NoJournal is set) their create entries, as PutDevice would, with a few
// multi-row statements instead of several statements per device: it is
// the path of a bulk import.
//
// It returns ErrConflict or ErrConstraint having written nothing when a
// row cannot be created: a bad field, an asset tag or a MAC, serial or UDI
// given twice in the batch (checked before writing), or one a stored
// device holds (found by the unique constraints: the batch is written in a
// savepoint and undone). The caller then falls back to PutDevice row by
// row, which names the row and the field. During a load (BeginLoad) there
// is nothing stored to conflict with and no savepoint: a unique
// identifier two batches share fails the index rebuild at EndLoad. Rows
// are written with INSERT OR FAIL, which spares SQLite a statement journal
// per statement. Any other error may leave part of the batch written,
// matches neither ErrConflict nor ErrConstraint, and must end the
// transaction.
func (w *Writer) CreateDevices(ds []Device) error {
	if len(ds) == 0 {
		return nil
	}
	tags := make([]string, len(ds))
	seen := map[Identifier]bool{}
	for i := range ds {
		normalize(&ds[i])
		d := &ds[i]
		if d.AssetTag == "" {
			return fmt.Errorf("%w: a device needs an asset tag", ErrConstraint)
		}
		if err := inventory.CheckDevice(d); err != nil {
			return fmt.Errorf("%w: device %s: %v", ErrConstraint, truncate(d.AssetTag), err)
		}
		if (d.Manufacturer == "") != (d.Model == "") {
			return fmt.Errorf("%w: device %s: manufacturer and model go together", ErrConstraint, d.AssetTag)
		}
		if d.LocationKey != "" {
			if k, err := inventory.CanonicalLocationKey(d.LocationKey); err != nil || k != d.LocationKey {
				return fmt.Errorf("%w: location %q is not BUILDING/FLOOR/ROOM", ErrConstraint, d.LocationKey)
			}
		}
		tags[i] = d.AssetTag
		for _, id := range uniqueIdents(d) {
			if seen[id] {
				return fmt.Errorf("%w: %s %s given twice", ErrConflict, id.Kind, id.Value)
			}
			seen[id] = true
		}
	}
	if len(tags) > 1 {
		dup := make(map[string]bool, len(tags))
		for _, t := range tags {
			if dup[t] {
				return fmt.Errorf("%w: asset tag %s given twice", ErrConflict, t)
			}
			dup[t] = true
		}
	}
	if w.load != nil {
		if err := w.createChecked(ds); err != nil {
			var wf writeFailed
			if errors.As(err, &wf) {
				return err
			}
			return writeFailed{err}
		}
		return nil
	}
	return w.createOrUndo(ds)
}

// createOrUndo writes a batch into an inventory that holds devices. The
// unique constraints, not look-ups before each batch, find an asset tag or
// a MAC, serial or UDI that a stored device holds: those look-ups
// (NewDevices, heldIdentifiers) seek the same index pages the inserts
// seek again, and heldIdentifiers alone was a sixth of a bulk import's
// profile. When a constraint answers, what the batch wrote is deleted
// again (devices, identifiers, rooms and catalog entries above the ids
// held before it; no journal entry is written until the devices and
// identifiers are) and ErrConflict says that nothing was written, so that
// the caller writes the rows one by one and names the line and field.
//
// A savepoint around the batch would undo it too, but costs more than the
// look-ups it replaces: the pages the batch touches are copied into an
// in-memory sub-journal whose chunks are allocated and freed (madvise)
// per batch; 20,000 new devices into 20,000 took 3.6 times as long.
func (w *Writer) createOrUndo(ds []Device) error {
	st, err := w.stmt(`SELECT (SELECT COALESCE(max(id), 0) FROM devices), (SELECT COALESCE(max(id), 0) FROM models),
		(SELECT COALESCE(max(id), 0) FROM locations)`)
	if err != nil {
		return err
	}
	var dev, model, loc int64
	if err := st.QueryRowContext(w.ctx).Scan(&dev, &model, &loc); err != nil {
		return translate(err)
	}
	err = w.createChecked(ds)
	var wf writeFailed
	if err == nil || errors.As(err, &wf) || !errors.Is(err, ErrConflict) && !errors.Is(err, ErrConstraint) {
		return err
	}
	for _, q := range []struct {
		sql string
		id  int64
	}{
		{"DELETE FROM identifiers WHERE device_id > ?", dev},
		{"DELETE FROM devices WHERE id > ?", dev},
		{"DELETE FROM segments WHERE location_id > ?", loc},
		{"DELETE FROM locations WHERE id > ?", loc},
		{"DELETE FROM models WHERE id > ?", model},
	} {
		if _, uerr := w.exec(q.sql, q.id); uerr != nil {
			return writeFailed{fmt.Errorf("%w (and undoing the batch: %v)", err, uerr)}
		}
	}
	// The rooms and models the batch created are gone; forget their ids.
	clear(w.models)
	clear(w.locations)
	return err
}

// createChecked writes devices CreateDevices has checked: devices and
// identifiers first, then the journal entries. An error from the journal
// phase is a writeFailed.
func (w *Writer) createChecked(ds []Device) error {
	var base int64
	st, err := w.stmt("SELECT COALESCE(max(id), 0) FROM devices")
	if err != nil {
		return err
	}
	if err := st.QueryRowContext(w.ctx).Scan(&base); err != nil {
		return translate(err)
	}
	rev := int64(1)
	if w.NoJournal {
		rev = 0
	}
	var devArgs, identArgs, journalArgs []any
	// text collects each entry's id and encoded changes, back to back,
	// in a buffer kept for the next batch.
	text := w.text[:0]
	defer func() { w.text = text }()
	type bulkEntry struct {
		id         int64
		tag        string
		idEnd, end int
	}
	var entries []bulkEntry
	nIdents := 0
	flushIdents := func(final bool) error {
		for nIdents >= bulkChunk || (final && nIdents > 0) {
			n := min(nIdents, bulkChunk)
			if _, err := w.exec(identInsertN(n), identArgs[:3*n]...); err != nil {
				return err
			}
			identArgs = append(identArgs[:0], identArgs[3*n:]...)
			nIdents -= n
		}
		return nil
	}
	at := w.now.Format(time.RFC3339Nano)
	for i := range ds {
		d := ds[i]
		var modelID, locID any
		if d.Manufacturer != "" && d.Model != "" {
			id, err := w.ensureModel(d.Manufacturer, d.Model, d.DeviceClass)
			if err != nil {
				return err
			}
			modelID = id
		}
		if d.LocationKey != "" {
			id, err := w.ensureLocation(d.LocationKey)
			if err != nil {
				return err
			}
			locID = id
		}
		id := base + int64(i) + 1
		devArgs = append(devArgs, id, d.AssetTag, d.Serial, modelID, locID, string(d.Status), d.FirmwareVersion,
			d.OS, d.OSVersion, d.Hostname, d.IP, d.MAC, d.BLEAddress, FormatInstant(d.LastSeen),
			FormatDate(d.LastAudited), FormatDate(d.NextAuditDue), FormatDate(d.LastPM), FormatDate(d.NextPMDue),
			d.Owner, d.CMDBID, d.CMDBVersion, rev)
		if len(devArgs) == deviceInsertCols*bulkChunk {
			if _, err := w.exec(deviceInsertN(bulkChunk), devArgs...); err != nil {
				return err
			}
			devArgs = devArgs[:0]
		}
		for _, ci := range columnIdents(d) {
			kind := IdentKind(ci[0])
			if v := NormalizeIdent(kind, ci[1]); v != "" {
				identArgs = append(identArgs, id, ci[0], v)
				nIdents++
			}
		}
		for _, extra := range d.Identifiers {
			if v := NormalizeIdent(extra.Kind, extra.Value); v != "" {
				identArgs = append(identArgs, id, string(extra.Kind), v)
				nIdents++
			}
		}
		if !w.NoJournal {
			u, err := uuid.NewV7FromReader(w.random())
			if err != nil {
				return fmt.Errorf("store: journal entry id: %w", err)
			}
			idEnd := len(text) + 36
			text = appendCreateChanges(appendUUID(text, u), &d)
			entries = append(entries, bulkEntry{id: id, tag: d.AssetTag, idEnd: idEnd, end: len(text)})
		}
	}
	if len(entries) > 0 {
		// One string holds the batch's entry ids and changes; the
		// arguments are slices of it (one allocation per batch).
		all, start := string(text), 0
		for _, e := range entries {
			journalArgs = append(journalArgs, all[start:e.idEnd], e.id, e.tag, string(OpCreate), all[e.idEnd:e.end], at, w.actor)
			start = e.end
		}
	}
	if n := len(devArgs) / deviceInsertCols; n > 0 {
		if _, err := w.exec(deviceInsertN(n), devArgs...); err != nil {
			return err
		}
	}
	// Identifiers after their devices: the foreign key needs them.
	if err := flushIdents(true); err != nil {
		return err
	}
	for len(journalArgs) > 0 {
		n := min(len(journalArgs)/journalInsertCols, bulkChunk)
		if _, err := w.exec(journalInsertN(n), journalArgs[:n*journalInsertCols]...); err != nil {
			// Journal entries cannot be deleted: the batch cannot be
			// undone from here.
			return writeFailed{err}
		}
		journalArgs = journalArgs[n*journalInsertCols:]
	}
	return nil
}

const (
	deviceInsertCols  = 22
	journalInsertCols = 7
)

func deviceInsertN(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", deviceInsertCols), ", ") + ")"
	return `INSERT OR FAIL INTO devices (id, asset_tag, serial, model_id, location_id, status, firmware_version, os,
		os_version, hostname, ip, mac, ble_address, last_seen, last_audited, next_audit_due, last_pm,
		next_pm_due, owner, cmdb_id, cmdb_version, revision) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func identInsertN(n int) string {
	return "INSERT OR FAIL INTO identifiers (device_id, kind, value) VALUES (?, ?, ?)" +
		strings.Repeat(", (?, ?, ?)", n-1) + " ON CONFLICT (device_id, kind, value) DO NOTHING"
}

func journalInsertN(n int) string {
	return "INSERT OR FAIL INTO journal (idempotency_id, device_id, asset_tag, op, changes, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)" +
		strings.Repeat(", (?, ?, ?, ?, ?, ?, ?)", n-1)
}

// uniqueIdents returns a device's identifiers of the kinds only one
// device may hold, normalised.
func uniqueIdents(d *Device) []Identifier {
	var out []Identifier
	add := func(kind IdentKind, v string) {
		if kind != IdentMAC && kind != IdentSerial && kind != IdentUDI {
			return
		}
		if v = NormalizeIdent(kind, v); v != "" {
			out = append(out, Identifier{Kind: kind, Value: v})
		}
	}
	add(IdentSerial, d.Serial)
	add(IdentMAC, d.MAC)
	for _, id := range d.Identifiers {
		add(id.Kind, id.Value)
	}
	return out
}

// bulkLoad is the state of a load into an empty inventory (BeginLoad):
// the secondary indexes dropped at its start, to be rebuilt at its end.
type bulkLoad struct {
	indexes []loadIndex
}

// loadIndex is one dropped index and the statement that made it.
type loadIndex struct {
	name, table, sql string
	unique           bool
}

// BeginLoad prepares the transaction for loading many devices into an
// empty inventory: it drops the secondary indexes of devices and
// identifiers, so that rows are appended instead of
// seeking through index B-trees, and CreateDevices skips the look-ups
// that check each batch against what is stored (there is nothing stored
// to hold a tag or an identifier). EndLoad, or the end of the
// transaction's function, rebuilds the indexes by sorting, inside the
// same transaction: a failure rolls everything back, indexes included.
//
// It reports false, and changes nothing, when the inventory holds a
// device. While a load is on, use only CreateDevices for devices (call
// EndLoad before anything that looks devices up: without the indexes it
// would scan).
func (w *Writer) BeginLoad() (bool, error) {
	if w.load != nil {
		return true, nil
	}
	var some int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT EXISTS (SELECT 1 FROM devices)").Scan(&some); err != nil {
		return false, translate(err)
	}
	if some != 0 {
		return false, nil
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT name, tbl_name, sql FROM sqlite_schema
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('devices', 'identifiers') ORDER BY rowid`)
	if err != nil {
		return false, translate(err)
	}
	l := &bulkLoad{}
	for rows.Next() {
		var ix loadIndex
		if err := rows.Scan(&ix.name, &ix.table, &ix.sql); err != nil {
			rows.Close()
			return false, translate(err)
		}
		ix.unique = strings.HasPrefix(strings.ToUpper(strings.Join(strings.Fields(ix.sql), " ")), "CREATE UNIQUE")
		l.indexes = append(l.indexes, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, translate(err)
	}
	// The journal keeps its indexes: its entries arrive in key order
	// (sequence, time-ordered ids), and rebuilding would read back every
	// entry's changes, a kilobyte each.
	// Plain indexes are rebuilt first: the duplicate search after a
	// failed unique index uses them.
	slices.SortStableFunc(l.indexes, func(a, b loadIndex) int {
		switch {
		case a.unique == b.unique:
			return 0
		case a.unique:
			return 1
		}
		return -1
	})
	for _, ix := range l.indexes {
		if _, err := w.tx.ExecContext(w.ctx, `DROP INDEX "`+strings.ReplaceAll(ix.name, `"`, `""`)+`"`); err != nil {
			return false, fmt.Errorf("store: dropping index %s for the load: %w", ix.name, translate(err))
		}
	}
	w.load = l
	return true, nil
}

// Loading reports whether a load (BeginLoad) is on.
func (w *Writer) Loading() bool { return w.load != nil }

// EndLoad rebuilds the indexes BeginLoad dropped; it does nothing when no
// load is on. If two devices of the load hold the same unique identifier
// it returns a *DuplicateError naming the later one, as writing the rows
// one by one would have, and the transaction must be rolled back.
func (w *Writer) EndLoad() error {
	l := w.load
	if l == nil {
		return nil
	}
	w.load = nil
	// The index builds sort every row. The sorter holds as much as the
	// page cache in memory before it spills, and a bulk connection keeps
	// temporary files in memory: at a million rows that is the peak RSS.
	// Sort with the default cache through files on disk instead (100k
	// devices: 213 MB -> 91 MB peak, the same CPU time), then give the
	// connection back its bulk settings.
	var temp, cache int
	if err := w.tx.QueryRowContext(w.ctx, "PRAGMA temp_store").Scan(&temp); err != nil {
		return translate(err)
	}
	if err := w.tx.QueryRowContext(w.ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
		return translate(err)
	}
	if _, err := w.tx.ExecContext(w.ctx, "PRAGMA temp_store = FILE; PRAGMA cache_size = -"+strconv.Itoa(defaultCacheKiB)); err != nil {
		return translate(err)
	}
	defer w.tx.ExecContext(w.ctx, "PRAGMA temp_store = "+strconv.Itoa(temp)+"; PRAGMA cache_size = "+strconv.Itoa(cache))
	for _, ix := range l.indexes {
		if _, err := w.tx.ExecContext(w.ctx, ix.sql); err != nil {
			err = translate(err)
			if ix.unique && ix.table == "identifiers" && errors.Is(err, ErrConflict) {
				if de, derr := w.firstDuplicate(); derr == nil {
					return de
				}
			}
			return fmt.Errorf("store: rebuilding index %s after the load: %w", ix.name, err)
		}
	}
	return nil
}

// firstDuplicate finds the first device, in id (load) order, that holds a
// unique identifier a device before it holds.
func (w *Writer) firstDuplicate() (*DuplicateError, error) {
	var id int64
	var kind, value string
	err := w.tx.QueryRowContext(w.ctx, `SELECT i.device_id, i.kind, i.value FROM identifiers i
		WHERE i.kind IN ('mac', 'serial', 'udi') AND EXISTS (SELECT 1 FROM identifiers j
			WHERE j.kind = i.kind AND j.value = i.value AND j.device_id < i.device_id)
		ORDER BY i.device_id LIMIT 1`).Scan(&id, &kind, &value)
	if err != nil {
		return nil, translate(err)
	}
	de := &DuplicateError{Conflict: IdentConflictError{Kind: IdentKind(kind), Value: value}}
	err = w.tx.QueryRowContext(w.ctx, `SELECT (SELECT asset_tag FROM devices WHERE id = ?),
		(SELECT d.asset_tag FROM identifiers j JOIN devices d ON d.id = j.device_id
			WHERE j.kind = ? AND j.value = ? AND j.device_id < ? ORDER BY j.device_id LIMIT 1)`,
		id, kind, value, id).Scan(&de.AssetTag, &de.Conflict.Owner)
	if err != nil {
		return nil, translate(err)
	}
	return de, nil
}

// DuplicateError reports, at the end of a load, a device given a unique
// identifier (MAC, serial, UDI) that an earlier device of the load holds.
// It unwraps to the *IdentConflictError (and so matches ErrConflict).
type DuplicateError struct {
	// AssetTag is the device that came second.
	AssetTag string
	Conflict IdentConflictError
}

func (e *DuplicateError) Error() string {
	return "device " + inert.String(e.AssetTag) + ": " + e.Conflict.Error()
}

// Unwrap returns the identifier conflict.
func (e *DuplicateError) Unwrap() error { return &e.Conflict }

// writeFailed marks an error of CreateDevices' write phase: part of the
// batch may be written, so the caller must end the transaction rather
// than write the rows again one by one. It hides ErrConflict and
// ErrConstraint, which callers take to mean "nothing written".
type writeFailed struct{ err error }

func (e writeFailed) Error() string { return "store: bulk insert: " + e.err.Error() }

func (e writeFailed) Unwrap() error {
	if errors.Is(e.err, ErrConflict) || errors.Is(e.err, ErrConstraint) {
		return nil
	}
	return e.err
}
