package store

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
)

// deviceColumns selects a device with its model and location joined; scan
// it with scanDevice.
const deviceColumns = `d.id, d.asset_tag, d.serial, COALESCE(d.model_id, 0),
	COALESCE(m.manufacturer, ''), COALESCE(m.model, ''), COALESCE(m.device_class, ''),
	COALESCE(d.location_id, 0), COALESCE(l.key, ''), d.status, d.firmware_version,
	d.os, d.os_version, d.hostname, d.ip, d.mac, d.ble_address, d.last_seen,
	d.last_audited, d.next_audit_due, d.last_pm, d.next_pm_due, d.owner, d.cmdb_id,
	d.cmdb_version, d.revision`

const deviceFrom = ` FROM devices d LEFT JOIN models m ON m.id = d.model_id
	LEFT JOIN locations l ON l.id = d.location_id`

type rowScanner interface{ Scan(...any) error }

func scanDevice(r rowScanner) (Device, error) {
	var d Device
	var status, lastSeen, lastAudited, nextAudit, lastPM, nextPM string
	err := r.Scan(&d.ID, &d.AssetTag, &d.Serial, &d.ModelID, &d.Manufacturer, &d.Model,
		&d.DeviceClass, &d.LocationID, &d.LocationKey, &status, &d.FirmwareVersion,
		&d.OS, &d.OSVersion, &d.Hostname, &d.IP, &d.MAC, &d.BLEAddress, &lastSeen,
		&lastAudited, &nextAudit, &lastPM, &nextPM, &d.Owner, &d.CMDBID,
		&d.CMDBVersion, &d.Revision)
	if err != nil {
		return d, translate(err)
	}
	d.Status = Status(status)
	d.LastSeen = parseInstant(lastSeen)
	d.LastAudited = parseDate(lastAudited)
	d.NextAuditDue = parseDate(nextAudit)
	d.LastPM = parseDate(lastPM)
	d.NextPMDue = parseDate(nextPM)
	return d, nil
}

func parseDate(s string) time.Time {
	t, _ := time.Parse(DateLayout, s)
	return t
}

func parseInstant(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// Device returns the device with the given asset tag, with its extra
// identifiers.
func (s *Store) Device(ctx context.Context, assetTag string) (Device, error) {
	d, err := scanDevice(s.db.QueryRowContext(ctx, "SELECT "+deviceColumns+deviceFrom+" WHERE d.asset_tag = ?", assetTag))
	if err != nil {
		return d, err
	}
	d.Identifiers, err = s.identifiers(ctx, d.ID)
	return d, err
}

func (s *Store) identifiers(ctx context.Context, deviceID int64) ([]Identifier, error) {
	st, err := s.prepared(ctx, "SELECT kind, value FROM identifiers WHERE device_id = ? ORDER BY kind, value")
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, deviceID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ids []Identifier
	for rows.Next() {
		var id Identifier
		if err := rows.Scan(&id.Kind, &id.Value); err != nil {
			return nil, translate(err)
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err())
}

// DevicesInRoom returns the devices recorded in the room with the given
// key, ordered by asset tag. It is the hot path of every visit.
func (s *Store) DevicesInRoom(ctx context.Context, key string) ([]Device, error) {
	var out []Device
	err := s.EachDevice(ctx, Filter{Room: key}, func(d Device) error {
		out = append(out, d)
		return nil
	})
	return out, err
}

// Filter selects devices. Zero fields select everything.
type Filter struct {
	// Room is a location key.
	Room string
	// Building restricts to the rooms of one building.
	Building string
	// Status restricts to one status.
	Status Status
}

// EachDevice calls fn for every device matching f, in asset-tag order,
// streaming rows so that a million devices never sit in memory at once.
func (s *Store) EachDevice(ctx context.Context, f Filter, fn func(Device) error) error {
	where, args := f.where()
	q := "SELECT " + deviceColumns + deviceFrom + where + " ORDER BY d.asset_tag"
	if src, ok := s.rows().(readSource); ok {
		// A read-only store (export, devices --json): the direct
		// connection, as for EachListed.
		return src.eachRow(ctx, q, args, func(scan func(...any) error) error {
			d, err := scanDevice(scanFunc(scan))
			if err != nil {
				return err
			}
			return fn(d)
		})
	}
	// The filters make a handful of distinct queries; each is prepared
	// once, which matters for the per-room query of every visit.
	st, err := s.prepared(ctx, q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}

// Listed is a device as a listing prints it: the eight columns of
// `rounds devices`, nothing else.
type Listed struct {
	AssetTag    string
	DeviceClass string
	// Model is the manufacturer and the model joined by a space (a lone
	// space for a device without a model), as Device's two fields print.
	Model           string
	LocationKey     string
	Status          Status
	FirmwareVersion string
	IP              string
	MAC             string
}

// listedColumns are Listed's columns; reading these eight rather than the
// 26 of deviceColumns is most of what a listing of a million devices costs.
const listedColumns = `d.asset_tag, COALESCE(m.device_class, ''),
	COALESCE(m.manufacturer, '') || ' ' || COALESCE(m.model, ''),
	COALESCE(l.key, ''), d.status, d.firmware_version, d.ip, d.mac`

// EachListed calls fn for every device matching f, in asset-tag order, with
// only the columns a listing prints: the streaming, narrow form of
// EachDevice for `rounds devices`.
func (s *Store) EachListed(ctx context.Context, f Filter, fn func(Listed) error) error {
	where, args := f.where()
	q := "SELECT " + listedColumns + deviceFrom + where + " ORDER BY d.asset_tag"
	d, err := s.reader()
	if err != nil {
		return err
	}
	if d == nil {
		return s.eachListedSQL(ctx, q, args, fn)
	}
	var buf []byte
	err = d.each(ctx, q, args, func(c [][]byte) error {
		// One string per row, the eight fields slices of it: one
		// allocation where converting each column would take eight.
		buf = buf[:0]
		var end [8]int
		for i := range end {
			buf = append(buf, c[i]...)
			end[i] = len(buf)
		}
		row := string(buf)
		field := func(i int) string {
			if i == 0 {
				return row[:end[0]]
			}
			return row[end[i-1]:end[i]]
		}
		return fn(Listed{AssetTag: field(0), DeviceClass: field(1), Model: field(2), LocationKey: field(3),
			Status: Status(field(4)), FirmwareVersion: field(5), IP: field(6), MAC: field(7)})
	})
	if errors.Is(err, errDirectInUse) {
		return s.eachListedSQL(ctx, q, args, fn)
	}
	return err
}

// reader returns the store's direct read-only connection, opening it on
// first use, or nil for an in-memory database, which a second connection
// would not see.
func (s *Store) reader() (*direct, error) {
	if s.path == ":memory:" {
		return nil, nil
	}
	s.directMu.Lock()
	defer s.directMu.Unlock()
	if s.closed {
		return nil, errors.New("store: database is closed")
	}
	if s.direct == nil {
		d, err := openDirect(s.path)
		if err != nil {
			return nil, fmt.Errorf("store: open %s for reading: %w", s.path, translateDirect(err))
		}
		s.direct = d
	}
	return s.direct, nil
}

// rows is where the store's plain reads go: the direct connection of a
// read-only store (opened with it), database/sql otherwise.
func (s *Store) rows() rowSource {
	if s.readOnly {
		s.directMu.Lock()
		d := s.direct
		s.directMu.Unlock()
		if d != nil {
			return readSource{d, sqlRows{s.db}}
		}
	}
	return sqlRows{s.db}
}

// eachListedSQL is EachListed through database/sql.
func (s *Store) eachListedSQL(ctx context.Context, q string, args []any, fn func(Listed) error) error {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	var d Listed
	var status string
	for rows.Next() {
		if err := rows.Scan(&d.AssetTag, &d.DeviceClass, &d.Model, &d.LocationKey, &status,
			&d.FirmwareVersion, &d.IP, &d.MAC); err != nil {
			return translate(err)
		}
		d.Status = Status(status)
		if err := fn(d); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}

// where is f as a WHERE clause (empty for the zero Filter) and its
// arguments, over deviceFrom's aliases.
func (f Filter) where() (string, []any) {
	var where []string
	var args []any
	if f.Room != "" {
		where = append(where, "d.location_id = (SELECT id FROM locations WHERE key = ?)")
		args = append(args, f.Room)
	}
	if f.Building != "" {
		where = append(where, "l.building = ?")
		args = append(args, f.Building)
	}
	if f.Status != "" {
		where = append(where, "d.status = ?")
		args = append(args, string(f.Status))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// DevicesByIdentifier returns the devices carrying the identifier. More
// than one result for a unique kind cannot happen; for IP, hostname and BLE
// names it is normal.
func (s *Store) DevicesByIdentifier(ctx context.Context, kind IdentKind, value string) ([]Device, error) {
	value = NormalizeIdent(kind, value)
	rows, err := s.db.QueryContext(ctx, "SELECT "+deviceColumns+deviceFrom+
		" WHERE d.id IN (SELECT device_id FROM identifiers WHERE kind = ? AND value = ?) ORDER BY d.asset_tag",
		string(kind), value)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err())
}

// CountDevices returns the number of devices.
func (s *Store) CountDevices(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM devices").Scan(&n)
	return n, translate(err)
}

// journalFields lists, in journal order, the device fields a change can
// touch and their stored string form: the journalled rows of the device
// field table (inventory.Fields).
func journalFields(d Device) [][2]string {
	out := make([][2]string, 0, len(inventory.Fields))
	for _, f := range inventory.Fields {
		if f.Journalled {
			out = append(out, [2]string{f.Name, f.Get(&d)})
		}
	}
	return out
}

// Diff returns the field changes from old to new, in journal field order.
func Diff(old, new Device) []Change {
	a, b := journalFields(old), journalFields(new)
	var out []Change
	for i := range a {
		if a[i][1] != b[i][1] {
			out = append(out, Change{Field: a[i][0], Old: a[i][1], New: b[i][1]})
		}
	}
	return out
}

// Writer performs writes inside one transaction, with statements prepared
// once for hot loops (imports of a million rows). Obtain one from
// Store.Write; it is not safe for concurrent use.
type Writer struct {
	ctx   context.Context
	tx    *sql.Tx
	actor string
	now   time.Time
	stmts map[string]*sql.Stmt
	// caches of catalog and location ids, valid for this transaction.
	models    map[[2]string]int64
	locations map[string]int64
	// NoJournal suppresses journal entries: set when the data written is
	// the CMDB's own state (a baseline import or a sync pull), which must
	// not be pushed back as local changes.
	NoJournal bool
	// load is set between BeginLoad and EndLoad (bulk.go).
	load *bulkLoad
	// rand buffers the randomness of journal entry ids (random).
	rand *bufio.Reader
	// text is CreateDevices' buffer for the batch's encoded entries.
	text []byte
}

// random returns the source of the random bits of journal entry ids:
// crypto/rand read a few kilobytes at a time rather than 16 bytes per
// entry. Every byte is still used once.
func (w *Writer) random() io.Reader {
	if w.rand == nil {
		w.rand = bufio.NewReaderSize(rand.Reader, 4096)
	}
	return w.rand
}

// Write runs fn with a Writer in one transaction: everything fn wrote is
// committed if it returns nil and nothing otherwise. actor names who made
// the changes in the journal.
func (s *Store) Write(ctx context.Context, actor string, fn func(*Writer) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.runWriter(ctx, tx, actor, fn)
	})
}

func newWriter(ctx context.Context, tx *sql.Tx, actor string) *Writer {
	return &Writer{ctx: ctx, tx: tx, actor: actor, now: time.Now().UTC(),
		stmts: map[string]*sql.Stmt{}, models: map[[2]string]int64{}, locations: map[string]int64{}}
}

// close releases the prepared statements.
func (w *Writer) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// Now returns the instant recorded for this transaction's changes.
func (w *Writer) Now() time.Time { return w.now }

func (w *Writer) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	w.stmts[q] = st
	return st, nil
}

func (w *Writer) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(w.ctx, args...)
	return res, translate(err)
}

// queryRow runs a one-row query through the transaction's prepared
// statement for q: sync merges run the same few per record.
func (w *Writer) queryRow(q string, args ...any) *sql.Row {
	st, err := w.stmt(q)
	if err != nil {
		// A Row cannot carry an error of ours; preparing through the
		// transaction again reports it on Scan, translated there.
		return w.tx.QueryRowContext(w.ctx, q, args...)
	}
	return st.QueryRowContext(w.ctx, args...)
}

// query runs q through the transaction's prepared statement for it.
func (w *Writer) query(q string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

// Device reads a device inside the transaction.
func (w *Writer) Device(assetTag string) (Device, error) {
	st, err := w.stmt("SELECT " + deviceColumns + deviceFrom + " WHERE d.asset_tag = ?")
	if err != nil {
		return Device{}, err
	}
	return scanDevice(st.QueryRowContext(w.ctx, assetTag))
}

// PutDevice inserts a device or updates the one with the same asset tag,
// writing its identifiers and, unless NoJournal is set, one journal entry
// with the fields that really changed. The model is looked up (or added to
// the catalog) by manufacturer and model name; the room by LocationKey
// (created if new). It returns the changes; none means nothing was written.
func (w *Writer) PutDevice(d Device) ([]Change, error) {
	_, ch, err := w.MergeDevice(d, AllFields)
	return ch, err
}

// Fields is a set of device fields, used to say which fields of a record
// carry values (an import file's columns) and which are to be kept.
type Fields uint32

// The device fields. FieldModel covers manufacturer, model and device
// class, FieldLocation the location key.
const (
	FieldSerial Fields = 1 << iota
	FieldModel
	FieldLocation
	FieldStatus
	FieldFirmware
	FieldOS
	FieldOSVersion
	FieldHostname
	FieldIP
	FieldMAC
	FieldBLEAddress
	FieldLastSeen
	FieldLastAudited
	FieldNextAuditDue
	FieldLastPM
	FieldNextPMDue
	FieldOwner
	FieldCMDBID
	FieldCMDBVersion
	// AllFields is every field: the record replaces the stored one.
	AllFields Fields = 1<<iota - 1
)

// MergeDevice is PutDevice for a record that carries only some fields:
// fields outside set keep their stored values (or their zero value for a
// new device). An import file without an owner column must not wipe the
// owners already recorded. It returns OpCreate or OpUpdate with the
// changes, or an empty Op when the stored record already matched.
func (w *Writer) MergeDevice(d Device, set Fields) (Op, []Change, error) {
	if d.AssetTag == "" {
		return "", nil, fmt.Errorf("%w: a device needs an asset tag", ErrConstraint)
	}
	old, err := w.Device(d.AssetTag)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", nil, err
	}
	op := OpUpdate
	if !exists {
		op = OpCreate
		old = Device{}
	} else if set != AllFields {
		keep(&d, old, set)
	}
	normalize(&d)
	changes := Diff(old, d)
	if exists && len(changes) == 0 && d.CMDBVersion == old.CMDBVersion {
		// Nothing to journal; still record extra identifiers the caller
		// named, which may be new.
		for _, extra := range d.Identifiers {
			if err := w.AddIdentifier(old.ID, extra); err != nil {
				return "", nil, fmt.Errorf("device %s: %w", d.AssetTag, err)
			}
		}
		return "", nil, nil
	}
	return op, changes, w.write(old, d, exists, op, changes)
}

// fieldBits maps the device field table's rows to the bits of Fields;
// FieldModel covers the catalog identity (manufacturer, model, class).
var fieldBits = map[string]Fields{
	"serial": FieldSerial, "manufacturer": FieldModel, "model": FieldModel, "device_class": FieldModel,
	"location": FieldLocation, "status": FieldStatus, "firmware_version": FieldFirmware, "os": FieldOS,
	"os_version": FieldOSVersion, "hostname": FieldHostname, "ip": FieldIP, "mac": FieldMAC,
	"ble_address": FieldBLEAddress, "last_seen": FieldLastSeen, "last_audited": FieldLastAudited,
	"next_audit_due": FieldNextAuditDue, "last_pm": FieldLastPM, "next_pm_due": FieldNextPMDue,
	"owner": FieldOwner, "cmdb_id": FieldCMDBID, "cmdb_version": FieldCMDBVersion,
}

// keep copies into d the fields of old that set does not cover, reading
// the device field table.
func keep(d *Device, old Device, set Fields) {
	for _, f := range inventory.Fields {
		if bit, ok := fieldBits[f.Name]; ok && set&bit == 0 {
			f.Copy(d, &old)
		}
	}
}

// UpdateDevice applies fn to the stored device and writes the result with
// a journal entry of the given op. fn must not change the asset tag.
func (w *Writer) UpdateDevice(assetTag string, op Op, fn func(*Device) error) ([]Change, error) {
	old, err := w.Device(assetTag)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", assetTag, err)
	}
	d := old
	if err := fn(&d); err != nil {
		return nil, err
	}
	normalize(&d)
	if d.AssetTag != old.AssetTag {
		return nil, fmt.Errorf("%w: asset tag cannot change (%s -> %s)", ErrConstraint, old.AssetTag, d.AssetTag)
	}
	changes := Diff(old, d)
	if len(changes) == 0 && op != OpAudit && d.CMDBVersion == old.CMDBVersion {
		return nil, nil
	}
	return changes, w.write(old, d, true, op, changes)
}

func (w *Writer) write(old, d Device, exists bool, op Op, changes []Change) error {
	if err := inventory.CheckDevice(&d); err != nil {
		return fmt.Errorf("%w: device %s: %v", ErrConstraint, inert.String(truncate(d.AssetTag)), err)
	}
	var modelID, locID any
	if d.Manufacturer != "" && d.Model != "" {
		id, err := w.ensureModel(d.Manufacturer, d.Model, d.DeviceClass)
		if err != nil {
			return err
		}
		modelID = id
	} else if d.Manufacturer != "" || d.Model != "" {
		return fmt.Errorf("%w: device %s: manufacturer and model go together", ErrConstraint, d.AssetTag)
	}
	if d.LocationKey != "" {
		id, err := w.ensureLocation(d.LocationKey)
		if err != nil {
			return err
		}
		locID = id
	}
	args := []any{d.Serial, modelID, locID, string(d.Status), d.FirmwareVersion, d.OS, d.OSVersion,
		d.Hostname, d.IP, d.MAC, d.BLEAddress, FormatInstant(d.LastSeen), FormatDate(d.LastAudited),
		FormatDate(d.NextAuditDue), FormatDate(d.LastPM), FormatDate(d.NextPMDue), d.Owner, d.CMDBID,
		d.CMDBVersion}
	var id int64
	if exists {
		id = old.ID
		rev := old.Revision
		if !w.NoJournal && (len(changes) > 0 || op == OpAudit) {
			rev++
		}
		_, err := w.exec(`UPDATE devices SET serial = ?, model_id = ?, location_id = ?, status = ?,
			firmware_version = ?, os = ?, os_version = ?, hostname = ?, ip = ?, mac = ?, ble_address = ?,
			last_seen = ?, last_audited = ?, next_audit_due = ?, last_pm = ?, next_pm_due = ?, owner = ?,
			cmdb_id = ?, cmdb_version = ?, revision = ? WHERE id = ?`, append(args, rev, id)...)
		if err != nil {
			return fmt.Errorf("device %s: %w", d.AssetTag, err)
		}
	} else {
		rev := int64(1)
		if w.NoJournal {
			rev = 0
		}
		res, err := w.exec(`INSERT INTO devices (serial, model_id, location_id, status, firmware_version, os,
			os_version, hostname, ip, mac, ble_address, last_seen, last_audited, next_audit_due, last_pm,
			next_pm_due, owner, cmdb_id, cmdb_version, revision, asset_tag)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, rev, d.AssetTag)...)
		if err != nil {
			return fmt.Errorf("device %s: %w", d.AssetTag, err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	if err := w.syncIdentifiers(id, old, d, exists); err != nil {
		return fmt.Errorf("device %s: %w", d.AssetTag, err)
	}
	if w.NoJournal || (exists && len(changes) == 0 && op != OpAudit) {
		// A CMDB version bump alone is the server's fact, not a local
		// change.
		return nil
	}
	_, err := w.appendJournal(id, d.AssetTag, op, changes)
	return err
}
