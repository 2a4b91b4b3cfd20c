package store

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
)

// appendJournal writes one journal entry in the current transaction.
func (w *Writer) appendJournal(deviceID int64, assetTag string, op Op, changes []Change) (Entry, error) {
	if changes == nil {
		changes = []Change{}
	}
	b := appendChanges(nil, changes)
	u, err := uuid.NewV7FromReader(w.random())
	if err != nil {
		return Entry{}, fmt.Errorf("store: journal entry id: %w", err)
	}
	e := Entry{IdempotencyID: u.String(), DeviceID: deviceID, AssetTag: assetTag,
		Op: op, Changes: changes, At: w.now, Actor: w.actor, State: StatePending}
	res, err := w.exec(`INSERT INTO journal (idempotency_id, device_id, asset_tag, op, changes, at, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.IdempotencyID, deviceID, assetTag, string(op), string(b),
		w.now.Format(time.RFC3339Nano), w.actor)
	if err != nil {
		return e, err
	}
	e.Seq, err = res.LastInsertId()
	return e, err
}

// AddNote attaches a note to a device and journals it.
func (w *Writer) AddNote(assetTag, text string) error {
	if err := inventory.CheckLen("note", text, inventory.MaxNote); err != nil {
		return fmt.Errorf("%w: device %s: %v", ErrConstraint, inert.String(truncate(assetTag)), err)
	}
	d, err := w.Device(assetTag)
	if err != nil {
		return fmt.Errorf("device %s: %w", assetTag, err)
	}
	if _, err := w.exec("INSERT INTO notes (device_id, at, actor, text) VALUES (?, ?, ?, ?)",
		d.ID, FormatInstant(w.now), w.actor, text); err != nil {
		return err
	}
	if w.NoJournal {
		return nil
	}
	_, err = w.appendJournal(d.ID, assetTag, OpNote, []Change{{Field: "note", New: text}})
	return err
}

// Note is a technician's note on a device.
type Note struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Text  string    `json:"text"`
}

// Notes returns a device's notes, oldest first.
func (s *Store) Notes(ctx context.Context, assetTag string) ([]Note, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n.at, n.actor, n.text FROM notes n
		JOIN devices d ON d.id = n.device_id WHERE d.asset_tag = ? ORDER BY n.id`, assetTag)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		var at string
		if err := rows.Scan(&at, &n.Actor, &n.Text); err != nil {
			return nil, translate(err)
		}
		n.At = parseInstant(at)
		out = append(out, n)
	}
	return out, translate(rows.Err())
}

// truncate shortens a value quoted in an error message: a refused value
// may be megabytes long.
func truncate(s string) string {
	const max = inventory.MaxAssetTag
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
