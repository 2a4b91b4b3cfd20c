package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/biomed-rounds/rounds/inventory"
)

// bulkChunk is the number of rows one multi-row statement of the bulk
// path writes. Chunks are full except the last of a batch, so that a few
// prepared statements serve a whole import.
const bulkChunk = 64

// NewDevices returns which of the asset tags already belong to a device,
// with one query: a bulk import sends rows whose tags are all new down
// the fast path (CreateDevices).
func (w *Writer) NewDevices(tags []string) (map[string]bool, error) {
	exists := map[string]bool{}
	for len(tags) > 0 {
		n := min(len(tags), bulkChunk)
		q := "SELECT asset_tag FROM devices WHERE asset_tag IN (?" + strings.Repeat(", ?", n-1) + ")"
		st, err := w.stmt(q)
		if err != nil {
			return nil, err
		}
		args := make([]any, n)
		for i, t := range tags[:n] {
			args[i] = t
		}
		rows, err := st.QueryContext(w.ctx, args...)
		if err != nil {
			return nil, translate(err)
		}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return nil, translate(err)
			}
			exists[t] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
		tags = tags[n:]
	}
	return exists, nil
}

// CreateDevices inserts new devices with their identifiers and (unless
// NoJournal is set) their create entries, as PutDevice would, with a few
// multi-row statements instead of several statements per device: it is
// the path of a bulk import.
//
// It first checks what could make a row fail: an asset tag that exists or
// repeats, a MAC, serial or UDI that another device holds or that two
// devices of the batch share. Then it returns ErrConflict having written
// nothing, and the caller falls back to PutDevice row by row, which names
// the row and the field. Having checked, it writes with INSERT OR FAIL,
// which spares SQLite a statement journal per statement; any error after
// that point (I/O) leaves part of the batch written and must end the
// transaction.
func (w *Writer) CreateDevices(ds []Device) error {
	if len(ds) == 0 {
		return nil
	}
	tags := make([]string, len(ds))
	unique := map[IdentKind][]string{}
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
			unique[id.Kind] = append(unique[id.Kind], id.Value)
		}
	}
	exists, err := w.NewDevices(tags)
	if err != nil {
		return err
	}
	if len(exists) > 0 {
		return fmt.Errorf("%w: %d of the asset tags exist", ErrConflict, len(exists))
	}
	if len(tags) > 1 {
		dup := map[string]bool{}
		for _, t := range tags {
			if dup[t] {
				return fmt.Errorf("%w: asset tag %s given twice", ErrConflict, t)
			}
			dup[t] = true
		}
	}
	for kind, values := range unique {
		held, err := w.heldIdentifiers(kind, values)
		if err != nil {
			return err
		}
		if held != "" {
			return fmt.Errorf("%w: %s %s already belongs to a device", ErrConflict, kind, held)
		}
	}
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
			b, err := json.Marshal(Diff(Device{}, d))
			if err != nil {
				return err
			}
			journalArgs = append(journalArgs, uuid.Must(uuid.NewV7()).String(), id, d.AssetTag, string(OpCreate), string(b), at, w.actor)
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
			return err
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

// heldIdentifiers returns one of the values of kind that some device
// already holds, or "".
func (w *Writer) heldIdentifiers(kind IdentKind, values []string) (string, error) {
	for len(values) > 0 {
		n := min(len(values), bulkChunk)
		st, err := w.stmt("SELECT value FROM identifiers WHERE kind = ? AND value IN (?" + strings.Repeat(", ?", n-1) + ") LIMIT 1")
		if err != nil {
			return "", err
		}
		args := make([]any, 0, n+1)
		args = append(args, string(kind))
		for _, v := range values[:n] {
			args = append(args, v)
		}
		var held string
		err = st.QueryRowContext(w.ctx, args...).Scan(&held)
		if err == nil {
			return held, nil
		}
		if err != sql.ErrNoRows {
			return "", translate(err)
		}
		values = values[n:]
	}
	return "", nil
}
