package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inert"
)

// normalize puts a device's fields in stored form so that diffs compare
// like with like.
func normalize(d *Device) {
	if d.Status == "" {
		d.Status = StatusInService
	}
	d.MAC = NormalizeIdent(IdentMAC, d.MAC)
	d.BLEAddress = NormalizeIdent(IdentBLEAddress, d.BLEAddress)
	d.IP = NormalizeIdent(IdentIP, d.IP)
	d.LastSeen = d.LastSeen.UTC().Truncate(time.Second)
	for _, t := range []*time.Time{&d.LastAudited, &d.NextAuditDue, &d.LastPM, &d.NextPMDue} {
		if !t.IsZero() {
			y, m, dd := t.Date()
			*t = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		}
	}
}

// columnIdents are the identifier kinds mirrored from device columns.
func columnIdents(d Device) [][2]string {
	return [][2]string{
		{string(IdentSerial), d.Serial},
		{string(IdentMAC), d.MAC},
		{string(IdentBLEAddress), d.BLEAddress},
		{string(IdentHostname), d.Hostname},
		{string(IdentIP), d.IP},
		{string(IdentCMDBID), d.CMDBID},
	}
}

func (w *Writer) syncIdentifiers(id int64, old, d Device, exists bool) error {
	o, n := columnIdents(old), columnIdents(d)
	adds := make([]Identifier, 0, len(n)+len(d.Identifiers))
	for i := range n {
		kind := IdentKind(n[i][0])
		ov, nv := NormalizeIdent(kind, o[i][1]), NormalizeIdent(kind, n[i][1])
		if exists && ov == nv {
			continue
		}
		if exists && ov != "" {
			if _, err := w.exec("DELETE FROM identifiers WHERE device_id = ? AND kind = ? AND value = ?", id, string(kind), ov); err != nil {
				return err
			}
		}
		if nv != "" {
			adds = append(adds, Identifier{Kind: kind, Value: nv})
		}
	}
	for _, extra := range d.Identifiers {
		if v := NormalizeIdent(extra.Kind, extra.Value); v != "" {
			adds = append(adds, Identifier{Kind: extra.Kind, Value: v})
		}
	}
	return w.addIdentifiers(id, adds)
}

// maxIdentBatch caps the identifiers written by one statement.
const maxIdentBatch = 16

// addIdentifiers writes normalised identifiers with one statement: a bulk
// import adds five or six per device, and one statement instead of six is
// most of the import's speed. If the statement fails on a uniqueness
// conflict (it is undone whole), the identifiers are retried one by one so
// that the error names the culprit.
func (w *Writer) addIdentifiers(deviceID int64, ids []Identifier) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) == 1 || len(ids) > maxIdentBatch {
		for _, id := range ids {
			if err := w.AddIdentifier(deviceID, id); err != nil {
				return err
			}
		}
		return nil
	}
	q := identInsert[len(ids)]
	args := make([]any, 0, 3*len(ids))
	for _, id := range ids {
		args = append(args, deviceID, string(id.Kind), id.Value)
	}
	_, err := w.exec(q, args...)
	if errors.Is(err, ErrConflict) {
		for _, id := range ids {
			if err := w.AddIdentifier(deviceID, id); err != nil {
				return err
			}
		}
		return err
	}
	return err
}

// identInsert holds the multi-row identifier inserts by row count.
var identInsert = func() [maxIdentBatch + 1]string {
	var qs [maxIdentBatch + 1]string
	for n := 1; n <= maxIdentBatch; n++ {
		qs[n] = "INSERT INTO identifiers (device_id, kind, value) VALUES (?, ?, ?)" +
			strings.Repeat(", (?, ?, ?)", n-1) + " ON CONFLICT (device_id, kind, value) DO NOTHING"
	}
	return qs
}()

// AddIdentifier records one more identifier for a device. Adding one the
// device already has is a no-op; one that another device holds (for a
// unique kind) is ErrConflict naming the kind and value.
func (w *Writer) AddIdentifier(deviceID int64, id Identifier) error {
	v := NormalizeIdent(id.Kind, id.Value)
	if v == "" {
		return nil
	}
	_, err := w.exec("INSERT INTO identifiers (device_id, kind, value) VALUES (?, ?, ?) ON CONFLICT (device_id, kind, value) DO NOTHING",
		deviceID, string(id.Kind), v)
	if errors.Is(err, ErrConflict) {
		ce := &IdentConflictError{Kind: id.Kind, Value: v}
		ce.Owner, _ = w.identifierOwner(id.Kind, v)
		return ce
	}
	return err
}

// IdentConflictError reports a unique identifier (MAC, serial, UDI) that
// another device already holds. It matches ErrConflict with errors.Is.
type IdentConflictError struct {
	Kind  IdentKind
	Value string
	// Owner is the asset tag of the device holding it, if known.
	Owner string
}

func (e *IdentConflictError) Error() string {
	owner := "another device"
	if e.Owner != "" {
		owner = "device " + inert.String(e.Owner)
	}
	// The value came from outside (a scan, a CMDB, a file): the message
	// reaches the terminal and logs, so it is made inert here.
	return fmt.Sprintf("%v: %s %s already belongs to %s", ErrConflict, inert.String(string(e.Kind)), inert.String(e.Value), owner)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *IdentConflictError) Is(target error) bool { return target == ErrConflict }

// identifierOwner returns the asset tag of the device holding a unique
// identifier, so that a conflict can name it.
func (w *Writer) identifierOwner(kind IdentKind, value string) (string, error) {
	st, err := w.stmt(`SELECT d.asset_tag FROM identifiers i JOIN devices d ON d.id = i.device_id
		WHERE i.kind = ? AND i.value = ? LIMIT 1`)
	if err != nil {
		return "", err
	}
	var tag string
	err = st.QueryRowContext(w.ctx, string(kind), value).Scan(&tag)
	return tag, translate(err)
}
