package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/store"
)

// queryer is what both *sql.DB and *sql.Tx offer for reads.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// state is the sync state of one device for one target.
type state struct {
	AssetTag string
	RemoteID string
	Version  string
	// Base holds the values both sides last agreed on; Server the latest
	// server values seen.
	Base, Server map[string]string
	stored       bool
}

func newState(tag string) *state {
	return &state{AssetTag: tag, Base: map[string]string{}, Server: map[string]string{}}
}

// chunks calls fn with slices of at most n strings, for IN lists.
func chunks(xs []string, n int, fn func([]string) error) error {
	for len(xs) > 0 {
		k := min(n, len(xs))
		if err := fn(xs[:k]); err != nil {
			return err
		}
		xs = xs[k:]
	}
	return nil
}

func placeholders(n int) string { return "?" + strings.Repeat(", ?", n-1) }

func args(prefix []any, xs []string) []any {
	out := append([]any(nil), prefix...)
	for _, x := range xs {
		out = append(out, x)
	}
	return out
}

// loadStates reads the sync state of the given devices.
func loadStates(ctx context.Context, q queryer, target string, tags []string) (map[string]*state, error) {
	out := map[string]*state{}
	err := chunks(tags, 500, func(part []string) error {
		rows, err := q.QueryContext(ctx, `SELECT asset_tag, remote_id, version, base, server FROM sync_records
			WHERE target = ? AND asset_tag IN (`+placeholders(len(part))+`)`, args([]any{target}, part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanState(rows)
			if err != nil {
				return err
			}
			out[s.AssetTag] = s
		}
		return rows.Err()
	})
	return out, err
}

// tagsByRemote maps remote ids to the asset tags they are recorded for.
func tagsByRemote(ctx context.Context, q queryer, target string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := chunks(ids, 500, func(part []string) error {
		// remote_id <> '' lets SQLite use the partial index.
		rows, err := q.QueryContext(ctx, `SELECT remote_id, asset_tag FROM sync_records
			WHERE target = ? AND remote_id <> '' AND remote_id IN (`+placeholders(len(part))+`)`, args([]any{target}, part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, tag string
			if err := rows.Scan(&id, &tag); err != nil {
				return err
			}
			out[id] = tag
		}
		return rows.Err()
	})
	return out, err
}

func scanState(r interface{ Scan(...any) error }) (*state, error) {
	s := &state{stored: true}
	var base, server string
	if err := r.Scan(&s.AssetTag, &s.RemoteID, &s.Version, &base, &server); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(base), &s.Base); err != nil {
		return nil, fmt.Errorf("sync state of %s: base: %w", s.AssetTag, err)
	}
	if server == "" {
		s.Server = make(map[string]string, len(s.Base))
		for k, v := range s.Base {
			s.Server[k] = v
		}
	} else if err := json.Unmarshal([]byte(server), &s.Server); err != nil {
		return nil, fmt.Errorf("sync state of %s: server: %w", s.AssetTag, err)
	}
	if s.Base == nil {
		s.Base = map[string]string{}
	}
	if s.Server == nil {
		s.Server = map[string]string{}
	}
	return s, nil
}

func saveState(ctx context.Context, tx *sql.Tx, target string, s *state) error {
	base := encodeMap(s.Base)
	server := "" // the same as base
	if !sameMap(s.Base, s.Server) {
		server = encodeMap(s.Server)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_records (target, asset_tag, remote_id, version, base, server)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, asset_tag) DO UPDATE SET remote_id = excluded.remote_id,
			version = excluded.version, base = excluded.base, server = excluded.server`,
		target, s.AssetTag, s.RemoteID, s.Version, base, server)
	if err != nil {
		return fmt.Errorf("sync state of %s: %w", s.AssetTag, err)
	}
	s.stored = true
	return nil
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// encodeMap writes a string map as a JSON object with sorted keys, without
// reflection: it runs once per record of every pull.
func encodeMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := make([]byte, 0, 32*len(m)+2)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

func loadMark(ctx context.Context, q queryer, target string) (Mark, error) {
	var m string
	err := q.QueryRowContext(ctx, "SELECT mark FROM sync_watermarks WHERE target = ?", target).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return Mark(m), err
}

func saveMark(ctx context.Context, tx *sql.Tx, target string, m Mark, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_watermarks (target, mark, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at`,
		target, string(m), at.UTC().Format(time.RFC3339))
	return err
}

// undelivered returns, per asset tag, the fields that local changes not
// yet delivered (pending or in flight) touch. A pending create freezes
// every field.
func undelivered(ctx context.Context, q queryer, tags []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	err := chunks(tags, 500, func(part []string) error {
		rows, err := q.QueryContext(ctx, `SELECT asset_tag, op, changes FROM journal INDEXED BY journal_undelivered
			WHERE state IN ('pending', 'inflight') AND asset_tag IN (`+placeholders(len(part))+`)`, args(nil, part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tag, op, changes string
			if err := rows.Scan(&tag, &op, &changes); err != nil {
				return err
			}
			var cs []store.Change
			if err := json.Unmarshal([]byte(changes), &cs); err != nil {
				return fmt.Errorf("journal changes of %s: %w", tag, err)
			}
			m := out[tag]
			if m == nil {
				m = map[string]bool{}
				out[tag] = m
			}
			if store.Op(op) == store.OpCreate {
				for _, f := range Fields {
					m[f] = true
				}
			}
			for _, c := range cs {
				m[c.Field] = true
			}
		}
		return rows.Err()
	})
	return out, err
}

// Resolution is the state of a conflict.
type Resolution string

// The conflict resolutions.
const (
	Open       Resolution = "open"
	KeepLocal  Resolution = "local"
	KeepServer Resolution = "server"
	AutoLocal  Resolution = "auto_local"
	AutoServer Resolution = "auto_server"
)

// Conflict is a field changed on both sides since the last value they
// agreed on (Base).
type Conflict struct {
	ID         int64      `json:"id"`
	Target     string     `json:"target"`
	AssetTag   string     `json:"asset_tag"`
	Field      string     `json:"field"`
	Base       string     `json:"base"`
	Local      string     `json:"local"`
	Server     string     `json:"server"`
	EntrySeq   int64      `json:"entry_seq,omitempty"`
	DetectedAt time.Time  `json:"detected_at"`
	Resolution Resolution `json:"resolution"`
	ResolvedAt time.Time  `json:"resolved_at,omitzero"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	// Delivered says a "local" resolution has reached the server.
	Delivered bool `json:"delivered,omitempty"`
}

const conflictColumns = `id, target, asset_tag, field, base, local, server, entry_seq, detected_at,
	resolution, resolved_at, resolved_by, delivered`

func scanConflict(r interface{ Scan(...any) error }) (Conflict, error) {
	var c Conflict
	var detected, resolved, res string
	err := r.Scan(&c.ID, &c.Target, &c.AssetTag, &c.Field, &c.Base, &c.Local, &c.Server, &c.EntrySeq,
		&detected, &res, &resolved, &c.ResolvedBy, &c.Delivered)
	c.Resolution = Resolution(res)
	c.DetectedAt, _ = time.Parse(time.RFC3339, detected)
	c.ResolvedAt, _ = time.Parse(time.RFC3339, resolved)
	return c, err
}

func queryConflicts(ctx context.Context, q queryer, where string, a ...any) ([]Conflict, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+conflictColumns+" FROM sync_conflicts WHERE "+where+" ORDER BY id", a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// openConflicts returns the open conflicts of the given devices by tag and
// field.
func openConflicts(ctx context.Context, q queryer, target string, tags []string) (map[string]map[string]Conflict, error) {
	out := map[string]map[string]Conflict{}
	err := chunks(tags, 500, func(part []string) error {
		cs, err := queryConflicts(ctx, q, "target = ? AND resolution = 'open' AND asset_tag IN ("+placeholders(len(part))+")",
			args([]any{target}, part)...)
		for _, c := range cs {
			if out[c.AssetTag] == nil {
				out[c.AssetTag] = map[string]Conflict{}
			}
			out[c.AssetTag][c.Field] = c
		}
		return err
	})
	return out, err
}

func insertConflict(ctx context.Context, tx *sql.Tx, c Conflict) error {
	resolved := ""
	if c.Resolution != Open {
		resolved = c.DetectedAt.UTC().Format(time.RFC3339)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_conflicts (target, asset_tag, field, base, local, server,
		entry_seq, detected_at, resolution, resolved_at, resolved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Target, c.AssetTag, c.Field, c.Base, c.Local, c.Server, c.EntrySeq,
		c.DetectedAt.UTC().Format(time.RFC3339), string(c.Resolution), resolved, c.ResolvedBy)
	if err != nil {
		return fmt.Errorf("conflict on %s %s: %w", c.AssetTag, c.Field, err)
	}
	return nil
}

// recordConflict inserts a conflict or ownership decision unless the same
// one is already on record (a retried push decides the same way again).
func recordConflict(ctx context.Context, tx *sql.Tx, c Conflict) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sync_conflicts WHERE target = ? AND asset_tag = ?
		AND field = ? AND local = ? AND server = ? AND (resolution = ? OR resolution = 'open')`,
		c.Target, c.AssetTag, c.Field, c.Local, c.Server, string(c.Resolution)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return insertConflict(ctx, tx, c)
}

func addIssue(ctx context.Context, tx *sql.Tx, target, tag, field, msg string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_issues (target, asset_tag, field, message, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (target, asset_tag, field, message) DO UPDATE SET at = excluded.at`,
		target, tag, field, msg, at.UTC().Format(time.RFC3339))
	return err
}

func recordRun(ctx context.Context, db *sql.DB, target, kind string, at time.Time, runErr error) error {
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	_, err := db.ExecContext(ctx, `INSERT INTO sync_runs (target, kind, at, error) VALUES (?, ?, ?, ?)
		ON CONFLICT (target, kind) DO UPDATE SET at = excluded.at, error = excluded.error`,
		target, kind, at.UTC().Format(time.RFC3339), msg)
	return err
}
