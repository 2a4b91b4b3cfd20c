package store

import (
	"context"
	"database/sql"
	"net/netip"
	"strings"
)

// Locations returns every room with its segments, ordered by key.
func (s *Store) Locations(ctx context.Context) ([]Location, error) {
	return queryLocations(ctx, s.rows(), "")
}

// Location returns the room with the given key or barcode.
func (s *Store) Location(ctx context.Context, keyOrBarcode string) (Location, error) {
	ls, err := queryLocations(ctx, s.rows(), keyOrBarcode)
	if err != nil {
		return Location{}, err
	}
	if len(ls) == 0 {
		return Location{}, ErrNotFound
	}
	return ls[0], nil
}

// queryer is what *sql.DB and *sql.Tx share for reads, so that readers
// work both outside and inside a Writer's transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryLocations(ctx context.Context, db rowSource, key string) ([]Location, error) {
	const cols = `SELECT id, key, site, building, floor, room, name, rf_shielded, barcode FROM locations`
	var out []Location
	idx := map[int64]int{}
	scan := func(q string, args ...any) error {
		return db.eachRow(ctx, q, args, func(scan func(...any) error) error {
			var l Location
			if err := scan(&l.ID, &l.Key, &l.Site, &l.Building, &l.Floor, &l.Room, &l.Name, &l.RFShielded, &l.Barcode); err != nil {
				return err
			}
			idx[l.ID] = len(out)
			out = append(out, l)
			return nil
		})
	}
	if key == "" {
		if err := scan(cols + " ORDER BY key"); err != nil {
			return nil, err
		}
	} else {
		// The key first, then the barcode: two indexed lookups. One query
		// with "key = ? OR barcode = ?" read the whole table per call,
		// which made a locations import quadratic.
		if err := scan(cols+" WHERE key = ?", key); err != nil {
			return nil, err
		}
		if len(out) == 0 {
			if err := scan(cols+" WHERE barcode <> '' AND barcode = ? ORDER BY key LIMIT 1", key); err != nil {
				return nil, err
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
	}
	sq := "SELECT location_id, cidr, tags FROM segments ORDER BY location_id, cidr"
	var sargs []any
	if key != "" && len(out) == 1 {
		sq = "SELECT location_id, cidr, tags FROM segments WHERE location_id = ? ORDER BY cidr"
		sargs = append(sargs, out[0].ID)
	}
	err := db.eachRow(ctx, sq, sargs, func(scan func(...any) error) error {
		var id int64
		var cidr, tags string
		if err := scan(&id, &cidr, &tags); err != nil {
			return err
		}
		i, ok := idx[id]
		if !ok {
			return nil
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil
		}
		sg := Segment{CIDR: p}
		if tags != "" {
			sg.Tags = strings.Split(tags, ",")
		}
		out[i].Segments = append(out[i].Segments, sg)
		return nil
	})
	return out, err
}

// Models returns the catalog, ordered by manufacturer and model.
func (s *Store) Models(ctx context.Context) ([]Model, error) {
	return queryModels(ctx, s.db, "", "")
}

// queryModels returns the whole catalog, or the one entry named by
// manufacturer and model.
func queryModels(ctx context.Context, db queryer, manufacturer, model string) ([]Model, error) {
	q := `SELECT id, manufacturer, model, device_class, fda_class,
		min_firmware, latest_firmware, os, os_eol, support_end, allowed_tags,
		advisory_aliases FROM models`
	var args []any
	if manufacturer != "" || model != "" {
		q += " WHERE manufacturer = ? AND model = ?"
		args = append(args, manufacturer, model)
	}
	rows, err := db.QueryContext(ctx, q+" ORDER BY manufacturer, model", args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Model
	for rows.Next() {
		var m Model
		var eol, support, tags, aliases string
		if err := rows.Scan(&m.ID, &m.Manufacturer, &m.Model, &m.DeviceClass, &m.FDAClass, &m.MinFirmware,
			&m.LatestFirmware, &m.OS, &eol, &support, &tags, &aliases); err != nil {
			return nil, translate(err)
		}
		m.OSEOL, m.SupportEnd = parseDate(eol), parseDate(support)
		if tags != "" {
			m.AllowedTags = strings.Split(tags, ",")
		}
		if aliases != "" {
			m.AdvisoryAliases = strings.Split(aliases, aliasSep)
		}
		out = append(out, m)
	}
	return out, translate(rows.Err())
}
