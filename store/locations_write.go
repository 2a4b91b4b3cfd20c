package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/biomed-rounds/rounds/inventory"
)

// PutLocation inserts or updates a room by key, replacing its segments.
// It reports whether anything changed.
func (w *Writer) PutLocation(l Location) (bool, error) {
	if l.Key == "" {
		l.Key = LocationKey(l.Building, l.Floor, l.Room)
	}
	if l.Building == "" || l.Floor == "" || l.Room == "" {
		return false, fmt.Errorf("%w: location %q needs building, floor and room", ErrConstraint, l.Key)
	}
	res, err := w.exec(`INSERT INTO locations (key, site, building, floor, room, name, rf_shielded, barcode)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET site = excluded.site, building = excluded.building,
			floor = excluded.floor, room = excluded.room, name = excluded.name,
			rf_shielded = excluded.rf_shielded, barcode = excluded.barcode
		WHERE (site, building, floor, room, name, rf_shielded, barcode) IS NOT
			(excluded.site, excluded.building, excluded.floor, excluded.room, excluded.name, excluded.rf_shielded, excluded.barcode)`,
		l.Key, l.Site, l.Building, l.Floor, l.Room, l.Name, l.RFShielded, l.Barcode)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	changed := n > 0
	id, err := w.locationID(l.Key)
	if err != nil {
		return false, err
	}
	segChanged, err := w.putSegments(id, l.Segments)
	return changed || segChanged, err
}

func (w *Writer) putSegments(locID int64, segs []Segment) (bool, error) {
	want := map[string]string{}
	for _, sg := range segs {
		tags := append([]string(nil), sg.Tags...)
		sort.Strings(tags)
		want[sg.CIDR.Masked().String()] = strings.Join(tags, ",")
	}
	st, err := w.stmt("SELECT cidr, tags FROM segments WHERE location_id = ?")
	if err != nil {
		return false, err
	}
	rows, err := st.QueryContext(w.ctx, locID)
	if err != nil {
		return false, translate(err)
	}
	have := map[string]string{}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			rows.Close()
			return false, translate(err)
		}
		have[c] = t
	}
	rows.Close()
	changed := false
	for c, t := range have {
		if wt, ok := want[c]; !ok || wt != t {
			if _, err := w.exec("DELETE FROM segments WHERE location_id = ? AND cidr = ?", locID, c); err != nil {
				return false, err
			}
			changed = true
		}
	}
	for c, t := range want {
		if ht, ok := have[c]; ok && ht == t {
			continue
		}
		if _, err := w.exec("INSERT INTO segments (location_id, cidr, tags) VALUES (?, ?, ?)", locID, c, t); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

func (w *Writer) locationID(key string) (int64, error) {
	if id, ok := w.locations[key]; ok {
		return id, nil
	}
	st, err := w.stmt("SELECT id FROM locations WHERE key = ?")
	if err != nil {
		return 0, err
	}
	var id int64
	if err := st.QueryRowContext(w.ctx, key).Scan(&id); err != nil {
		return 0, translate(err)
	}
	w.locations[key] = id
	return id, nil
}

// ensureLocation returns the id of the room with the key, creating a bare
// room when the key is new (device files name rooms the location file may
// not have listed).
func (w *Writer) ensureLocation(key string) (int64, error) {
	id, err := w.locationID(key)
	if !errors.Is(err, ErrNotFound) {
		return id, err
	}
	b, f, r, err := inventory.ParseLocationKey(key)
	if err != nil || inventory.LocationKey(b, f, r) != key {
		return 0, fmt.Errorf("%w: location %q is not BUILDING/FLOOR/ROOM", ErrConstraint, key)
	}
	if b == "" || f == "" || r == "" {
		return 0, fmt.Errorf("%w: location %q needs building, floor and room", ErrConstraint, key)
	}
	// The key is known to be new: one INSERT, where PutLocation's upsert,
	// its look-up of the id and of the (empty) segments took four
	// statements, 5.9 s of a million-device import creating 120k rooms.
	res, err := w.exec("INSERT INTO locations (key, building, floor, room) VALUES (?, ?, ?, ?)", key, b, f, r)
	if err != nil {
		return 0, err
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, translate(err)
	}
	w.locations[key] = id
	return id, nil
}
