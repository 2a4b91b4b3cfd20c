package store

// The sync state tables (migration 0002): per target, the last values both
// sides agreed on for each device, the pull watermark, conflicts and
// ownership decisions, pull issues and the last runs. Package sync owns
// the decisions; these are the queries it needs, so that SQL stays here.

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
)

// syncQueryer is what both *sql.DB and *sql.Tx offer.
type syncQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// SyncRecord is the sync state of one device for one target.
type SyncRecord struct {
	AssetTag string
	RemoteID string
	Version  string
	// Base holds the values both sides last agreed on; Server the latest
	// server values seen.
	Base, Server map[string]string
	// Stored says the record is in the database.
	Stored bool
}

// NewSyncRecord returns an empty record for a device.
func NewSyncRecord(tag string) *SyncRecord {
	return &SyncRecord{AssetTag: tag, Base: map[string]string{}, Server: map[string]string{}}
}

// SyncResolution is the state of a conflict.
type SyncResolution string

// SyncConflict is a field changed on both sides since the last value they
// agreed on (Base), or an ownership decision.
type SyncConflict struct {
	ID         int64          `json:"id"`
	Target     string         `json:"target"`
	AssetTag   string         `json:"asset_tag"`
	Field      string         `json:"field"`
	Base       string         `json:"base"`
	Local      string         `json:"local"`
	Server     string         `json:"server"`
	EntrySeq   int64          `json:"entry_seq,omitempty"`
	DetectedAt time.Time      `json:"detected_at"`
	Resolution SyncResolution `json:"resolution"`
	ResolvedAt time.Time      `json:"resolved_at,omitzero"`
	ResolvedBy string         `json:"resolved_by,omitempty"`
	// Delivered says a "local" resolution has reached the server.
	Delivered bool `json:"delivered,omitempty"`
}

// SyncIssue is a server value a pull could not apply locally.
type SyncIssue struct {
	AssetTag string    `json:"asset_tag"`
	Field    string    `json:"field"`
	Message  string    `json:"message"`
	At       time.Time `json:"at"`
}

// SyncRun is the outcome of the last run of a kind ("pull", "push").
type SyncRun struct {
	At    time.Time `json:"at,omitzero"`
	Error string    `json:"error,omitempty"`
}

// ConflictFilter selects conflicts of a target.
type ConflictFilter int

// The conflict filters.
const (
	// ConflictsOpen: waiting for a person.
	ConflictsOpen ConflictFilter = iota
	// ConflictsAll: every conflict and ownership decision.
	ConflictsAll
	// ConflictsUndelivered: "keep local" choices not yet sent.
	ConflictsUndelivered
)

// --- reads, on the store or inside a write ---

// SyncRecords reads the sync state of the given devices.
func (s *Store) SyncRecords(ctx context.Context, target string, tags []string) (map[string]*SyncRecord, error) {
	return syncRecords(ctx, s.db, target, tags)
}

// SyncRecords reads the sync state of the given devices in the write.
func (w *Writer) SyncRecords(target string, tags []string) (map[string]*SyncRecord, error) {
	return syncRecords(w.ctx, w.tx, target, tags)
}

// SyncMark reads the pull watermark of target ("" when none).
func (s *Store) SyncMark(ctx context.Context, target string) (string, error) {
	var m string
	err := s.db.QueryRowContext(ctx, "SELECT mark FROM sync_watermarks WHERE target = ?", target).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return m, err
}

// SyncConflicts reads conflicts of target, oldest first.
func (s *Store) SyncConflicts(ctx context.Context, target string, f ConflictFilter) ([]SyncConflict, error) {
	return syncConflictsOf(ctx, s.db, target, f)
}

// OpenSyncConflicts returns the open conflicts of the given devices by tag
// and field.
func (s *Store) OpenSyncConflicts(ctx context.Context, target string, tags []string) (map[string]map[string]SyncConflict, error) {
	out := map[string]map[string]SyncConflict{}
	err := syncChunks(tags, 500, func(part []string) error {
		cs, err := querySyncConflicts(ctx, s.db, "target = ? AND resolution = 'open' AND asset_tag IN ("+syncPlaceholders(len(part))+")",
			syncArgs([]any{target}, part)...)
		syncAddByTag(out, cs)
		return err
	})
	return out, err
}

// HeldSyncConflicts returns the conflicts that freeze a field against
// pulls: open ones, and a person's "keep local" not yet delivered.
func (w *Writer) HeldSyncConflicts(target string, tags []string) (map[string]map[string]SyncConflict, error) {
	out := map[string]map[string]SyncConflict{}
	err := syncChunks(tags, 500, func(part []string) error {
		// Two index searches rather than an OR that would scan every
		// conflict of the target.
		in := "asset_tag IN (" + syncPlaceholders(len(part)) + ")"
		a := syncArgs([]any{target}, part)
		cs, err := querySyncConflicts(w.ctx, w.tx, "id IN (SELECT id FROM sync_conflicts WHERE target = ? AND resolution = 'open' AND "+in+
			" UNION ALL SELECT id FROM sync_conflicts WHERE target = ? AND resolution = 'local' AND delivered = 0 AND "+in+")",
			append(a, a...)...)
		syncAddByTag(out, cs)
		return err
	})
	return out, err
}

// SyncTagsByRemote maps remote ids to the asset tags they are recorded
// for.
func (w *Writer) SyncTagsByRemote(target string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := syncChunks(ids, 500, func(part []string) error {
		// remote_id <> '' lets SQLite use the partial index.
		rows, err := w.query(`SELECT remote_id, asset_tag FROM sync_records
			WHERE target = ? AND remote_id <> '' AND remote_id IN (`+syncPlaceholders(len(part))+`)`, syncArgs([]any{target}, part)...)
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

// UndeliveredFields returns, per asset tag, the fields that local changes
// not yet delivered (pending or in flight) touch; a pending create
// touches every field of all.
func (w *Writer) UndeliveredFields(tags []string, all []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	err := syncChunks(tags, 500, func(part []string) error {
		rows, err := w.query(`SELECT asset_tag, op, changes FROM journal INDEXED BY journal_undelivered
			WHERE state IN ('pending', 'inflight') AND asset_tag IN (`+syncPlaceholders(len(part))+`)`, syncArgs(nil, part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tag, op, changes string
			if err := rows.Scan(&tag, &op, &changes); err != nil {
				return err
			}
			cs, err := decodeChanges(changes)
			if err != nil {
				return fmt.Errorf("journal changes of %s: %w", tag, err)
			}
			m := out[tag]
			if m == nil {
				m = map[string]bool{}
				out[tag] = m
			}
			if Op(op) == OpCreate {
				for _, f := range all {
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

// SyncIssues returns the pull issues of target, newest first.
func (s *Store) SyncIssues(ctx context.Context, target string) ([]SyncIssue, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT asset_tag, field, message, at FROM sync_issues WHERE target = ? ORDER BY at DESC, id DESC", target)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncIssue
	for rows.Next() {
		var i SyncIssue
		var at string
		if err := rows.Scan(&i.AssetTag, &i.Field, &i.Message, &at); err != nil {
			return nil, err
		}
		i.At, _ = time.Parse(time.RFC3339, at)
		out = append(out, i)
	}
	return out, rows.Err()
}

// SyncCounts returns the open conflicts, undelivered resolutions and
// issues of target.
func (s *Store) SyncCounts(ctx context.Context, target string) (open, undelivered, issues int, err error) {
	if err = s.db.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(resolution = 'open'), 0),
			COALESCE(SUM(resolution = 'local' AND delivered = 0), 0)
		FROM sync_conflicts WHERE target = ?`, target).Scan(&open, &undelivered); err != nil {
		return
	}
	err = s.db.QueryRowContext(ctx, "SELECT count(*) FROM sync_issues WHERE target = ?", target).Scan(&issues)
	return
}

// SyncRuns returns the last run of each kind of target.
func (s *Store) SyncRuns(ctx context.Context, target string) (map[string]SyncRun, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT kind, at, error FROM sync_runs WHERE target = ?", target)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]SyncRun{}
	for rows.Next() {
		var kind, at, msg string
		if err := rows.Scan(&kind, &at, &msg); err != nil {
			return nil, err
		}
		t, _ := time.Parse(time.RFC3339, at)
		out[kind] = SyncRun{At: t, Error: msg}
	}
	return out, rows.Err()
}

// RecordSyncRun records the outcome of a run, outside any transaction
// (it must survive the run's own failure).
func (s *Store) RecordSyncRun(ctx context.Context, target, kind string, at time.Time, msg string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sync_runs (target, kind, at, error) VALUES (?, ?, ?, ?)
		ON CONFLICT (target, kind) DO UPDATE SET at = excluded.at, error = excluded.error`,
		target, kind, at.UTC().Format(time.RFC3339), msg)
	return translate(err)
}

// --- writes ---

// SaveSyncRecord writes the sync state of one device.
func (w *Writer) SaveSyncRecord(target string, r *SyncRecord) error {
	base := syncEncodeMap(r.Base)
	server := "" // the same as base
	if !syncSameMap(r.Base, r.Server) {
		server = syncEncodeMap(r.Server)
	}
	_, err := w.exec(`INSERT INTO sync_records (target, asset_tag, remote_id, version, base, server)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, asset_tag) DO UPDATE SET remote_id = excluded.remote_id,
			version = excluded.version, base = excluded.base, server = excluded.server`,
		target, r.AssetTag, r.RemoteID, r.Version, base, server)
	if err != nil {
		return fmt.Errorf("sync state of %s: %w", r.AssetTag, err)
	}
	r.Stored = true
	return nil
}

// SaveSyncMark writes the pull watermark of target.
func (w *Writer) SaveSyncMark(target, mark string, at time.Time) error {
	_, err := w.exec(`INSERT INTO sync_watermarks (target, mark, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at`,
		target, mark, at.UTC().Format(time.RFC3339))
	return err
}

// AddSyncIssue records (or refreshes) a pull issue.
func (w *Writer) AddSyncIssue(target, tag, field, msg string, at time.Time) error {
	_, err := w.exec(`INSERT INTO sync_issues (target, asset_tag, field, message, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (target, asset_tag, field, message) DO UPDATE SET at = excluded.at`,
		target, tag, field, msg, at.UTC().Format(time.RFC3339))
	return err
}

// RecordSyncConflict inserts a conflict or ownership decision unless the
// same one is already on record (a retried push decides the same way).
func (w *Writer) RecordSyncConflict(c SyncConflict) error {
	var n int
	if err := w.queryRow(`SELECT count(*) FROM sync_conflicts WHERE target = ? AND asset_tag = ?
		AND field = ? AND local = ? AND server = ? AND (resolution = ? OR resolution = 'open')`,
		c.Target, c.AssetTag, c.Field, c.Local, c.Server, string(c.Resolution)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return w.InsertSyncConflict(c)
}

// InsertSyncConflict inserts a conflict or ownership decision.
func (w *Writer) InsertSyncConflict(c SyncConflict) error {
	resolved := ""
	if c.Resolution != "open" {
		resolved = c.DetectedAt.UTC().Format(time.RFC3339)
	}
	_, err := w.exec(`INSERT INTO sync_conflicts (target, asset_tag, field, base, local, server,
		entry_seq, detected_at, resolution, resolved_at, resolved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Target, c.AssetTag, c.Field, c.Base, c.Local, c.Server, c.EntrySeq,
		c.DetectedAt.UTC().Format(time.RFC3339), string(c.Resolution), resolved, c.ResolvedBy)
	if err != nil {
		return fmt.Errorf("conflict on %s %s: %w", c.AssetTag, c.Field, err)
	}
	return nil
}

// SetSyncConflictServer updates the server value of an open conflict.
func (w *Writer) SetSyncConflictServer(id int64, server string) error {
	_, err := w.exec("UPDATE sync_conflicts SET server = ? WHERE id = ?", server, id)
	return err
}

// UndoSyncResolution opens a conflict again whose chosen value the server
// refused.
func (w *Writer) UndoSyncResolution(id int64) error {
	_, err := w.exec(`UPDATE sync_conflicts SET resolution = 'open', resolved_at = '',
		resolved_by = '' WHERE id = ?`, id)
	return err
}

// ReviseSyncConflict rewrites the values and resolution of a conflict; an
// open one loses its resolution time.
func (w *Writer) ReviseSyncConflict(c SyncConflict) error {
	_, err := w.exec(`UPDATE sync_conflicts SET local = ?, server = ?, resolution = ?,
		resolved_at = CASE WHEN ? = 'open' THEN '' ELSE resolved_at END WHERE id = ?`,
		c.Local, c.Server, string(c.Resolution), string(c.Resolution), c.ID)
	return err
}

// SetJournalStates moves journal entries in the write (SetStatesTx for
// the sync engine, which writes its decisions in the same transaction).
func (w *Writer) SetJournalStates(ts []Transition) error { return SetStatesTx(w.ctx, w.tx, ts) }

// MarkSyncConflictDelivered records that a "keep local" reached the
// server.
func (w *Writer) MarkSyncConflictDelivered(id int64) error {
	_, err := w.exec("UPDATE sync_conflicts SET delivered = 1 WHERE id = ?", id)
	return err
}

// OpenSyncConflict reads one open conflict of target, or nil.
func (w *Writer) OpenSyncConflict(target string, id int64) (*SyncConflict, error) {
	cs, err := querySyncConflicts(w.ctx, w.tx, "id = ? AND target = ? AND resolution = 'open'", id, target)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

// QueuedChangesTo counts undelivered journal entries changing a field of
// a device.
func (w *Writer) QueuedChangesTo(tag, field string) (int, error) {
	var n int
	err := w.queryRow(`SELECT count(*) FROM journal INDEXED BY journal_undelivered
		WHERE state IN ('pending', 'inflight') AND asset_tag = ?
		AND EXISTS (SELECT 1 FROM json_each(journal.changes) WHERE (CASE json_type(journal.changes)
			WHEN 'object' THEN key ELSE json_extract(value, '$.field') END) = ?)`,
		tag, field).Scan(&n)
	return n, err
}

// ResolveSyncConflict records a person's choice.
func (w *Writer) ResolveSyncConflict(id int64, choice SyncResolution, at time.Time, who string) error {
	_, err := w.exec(`UPDATE sync_conflicts SET resolution = ?, resolved_at = ?, resolved_by = ?,
		delivered = 0 WHERE id = ?`, string(choice), at.UTC().Format(time.RFC3339), who, id)
	return err
}

// --- helpers ---

func syncRecords(ctx context.Context, q syncQueryer, target string, tags []string) (map[string]*SyncRecord, error) {
	out := map[string]*SyncRecord{}
	err := syncChunks(tags, 500, func(part []string) error {
		rows, err := q.QueryContext(ctx, `SELECT asset_tag, remote_id, version, base, server FROM sync_records
			WHERE target = ? AND asset_tag IN (`+syncPlaceholders(len(part))+`)`, syncArgs([]any{target}, part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanSyncRecord(rows)
			if err != nil {
				return err
			}
			out[r.AssetTag] = r
		}
		return rows.Err()
	})
	return out, err
}

func scanSyncRecord(r interface{ Scan(...any) error }) (*SyncRecord, error) {
	s := &SyncRecord{Stored: true}
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

func syncConflictsOf(ctx context.Context, q syncQueryer, target string, f ConflictFilter) ([]SyncConflict, error) {
	where := "target = ? AND resolution = 'open'"
	switch f {
	case ConflictsAll:
		where = "target = ?"
	case ConflictsUndelivered:
		where = "target = ? AND resolution = 'local' AND delivered = 0"
	}
	return querySyncConflicts(ctx, q, where, target)
}

const syncConflictColumns = `id, target, asset_tag, field, base, local, server, entry_seq, detected_at,
	resolution, resolved_at, resolved_by, delivered`

func querySyncConflicts(ctx context.Context, q syncQueryer, where string, a ...any) ([]SyncConflict, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+syncConflictColumns+" FROM sync_conflicts WHERE "+where+" ORDER BY id", a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncConflict
	for rows.Next() {
		var c SyncConflict
		var detected, resolved, res string
		if err := rows.Scan(&c.ID, &c.Target, &c.AssetTag, &c.Field, &c.Base, &c.Local, &c.Server, &c.EntrySeq,
			&detected, &res, &resolved, &c.ResolvedBy, &c.Delivered); err != nil {
			return nil, err
		}
		c.Resolution = SyncResolution(res)
		c.DetectedAt, _ = time.Parse(time.RFC3339, detected)
		c.ResolvedAt, _ = time.Parse(time.RFC3339, resolved)
		out = append(out, c)
	}
	return out, rows.Err()
}

func syncAddByTag(out map[string]map[string]SyncConflict, cs []SyncConflict) {
	for _, c := range cs {
		if out[c.AssetTag] == nil {
			out[c.AssetTag] = map[string]SyncConflict{}
		}
		out[c.AssetTag][c.Field] = c
	}
}

// chunks calls fn with slices of at most n strings, for IN lists.
func syncChunks(xs []string, n int, fn func([]string) error) error {
	for len(xs) > 0 {
		k := min(n, len(xs))
		if err := fn(xs[:k]); err != nil {
			return err
		}
		xs = xs[k:]
	}
	return nil
}

func syncPlaceholders(n int) string { return "?" + strings.Repeat(", ?", n-1) }

func syncArgs(prefix []any, xs []string) []any {
	out := append([]any(nil), prefix...)
	for _, x := range xs {
		out = append(out, x)
	}
	return out
}

func syncSameMap(a, b map[string]string) bool {
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
func syncEncodeMap(m map[string]string) string {
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
		b = syncAppendJSON(b, k)
		b = append(b, ':')
		b = syncAppendJSON(b, m[k])
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func syncAppendJSON(b []byte, s string) []byte {
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
