package store

import (
	"context"
	"strings"
)

// ClassAddress is an IP or MAC the inventory records for a device of a
// given class; the IP sweep never touches it when the class is excluded.
type ClassAddress struct {
	AssetTag string
	Class    string
	// Kind is IdentIP or IdentMAC.
	Kind  IdentKind
	Value string
}

// AddressesOfClasses returns every IP and MAC recorded for devices whose
// catalog class is one of classes (compared case-insensitively, ignoring
// surrounding spaces), from the device record and its extra identifiers,
// whatever the device's status: excluding too much is safe, too little is
// not.
func (s *Store) AddressesOfClasses(ctx context.Context, classes []string) ([]ClassAddress, error) {
	var want []any
	for _, c := range classes {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
			want = append(want, c)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(want)), ",")
	q := `WITH classed AS (
		SELECT d.id, d.asset_tag, m.device_class AS class, d.ip, d.mac
		FROM devices d JOIN models m ON m.id = d.model_id
		WHERE lower(trim(m.device_class)) IN (` + in + `))
	SELECT asset_tag, class, 'ip', ip FROM classed WHERE ip <> ''
	UNION SELECT asset_tag, class, 'mac', mac FROM classed WHERE mac <> ''
	UNION SELECT c.asset_tag, c.class, i.kind, i.value FROM classed c
		JOIN identifiers i ON i.device_id = c.id AND i.kind IN ('ip', 'mac')
	ORDER BY 1, 3, 4`
	rows, err := s.db.QueryContext(ctx, q, want...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []ClassAddress
	for rows.Next() {
		var a ClassAddress
		if err := rows.Scan(&a.AssetTag, &a.Class, &a.Kind, &a.Value); err != nil {
			return nil, translate(err)
		}
		out = append(out, a)
	}
	return out, translate(rows.Err())
}
