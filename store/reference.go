package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// RefKind is a kind of reference document.
type RefKind string

// The reference document kinds, one table each.
const (
	RefAdvisory RefKind = "advisory"
	RefRecall   RefKind = "recall"
)

func (k RefKind) table() (string, error) {
	switch k {
	case RefAdvisory:
		return "advisories", nil
	case RefRecall:
		return "recalls", nil
	}
	return "", fmt.Errorf("%w: unknown reference kind %q", ErrConstraint, k)
}

// RefDoc is one stored advisory or recall: a few columns to list and
// order by, and the parsed document as JSON.
type RefDoc struct {
	Kind     RefKind   `json:"kind"`
	ID       string    `json:"id"`
	Revision string    `json:"revision,omitempty"`
	Released time.Time `json:"released,omitzero"`
	Title    string    `json:"title,omitempty"`
	// Publisher is the CSAF publisher or the recalling firm.
	Publisher string `json:"publisher,omitempty"`
	URL       string `json:"url,omitempty"`
	// Score is the highest CVSS base score of an advisory.
	Score float64 `json:"score,omitempty"`
	// Event, Class and Status describe a recall.
	Event  string `json:"event,omitempty"`
	Class  string `json:"class,omitempty"`
	Status string `json:"status,omitempty"`
	// Source is the file the document came from.
	Source     string          `json:"source,omitempty"`
	SHA256     string          `json:"sha256,omitempty"`
	ImportedAt time.Time       `json:"imported_at,omitzero"`
	Data       json.RawMessage `json:"data"`
}

// RefOutcome says what PutRef did.
type RefOutcome string

// The outcomes of PutRef.
const (
	RefAdded     RefOutcome = "added"
	RefUpdated   RefOutcome = "updated"
	RefUnchanged RefOutcome = "unchanged"
	// RefKeptNewer: the stored revision was released later than the one
	// offered, which is ignored.
	RefKeptNewer RefOutcome = "kept newer"
)

// PutRef stores an advisory or recall idempotently: the same content
// (by SHA-256 of Data) changes nothing, a document released earlier than
// the stored one is ignored, anything else replaces it.
func (w *Writer) PutRef(d RefDoc) (RefOutcome, error) {
	table, err := d.Kind.table()
	if err != nil {
		return "", err
	}
	if d.ID == "" {
		return "", fmt.Errorf("%w: %s without an id", ErrConstraint, d.Kind)
	}
	if !json.Valid(d.Data) {
		return "", fmt.Errorf("%w: %s %s: data is not JSON", ErrConstraint, d.Kind, d.ID)
	}
	sum := sha256.Sum256(d.Data)
	d.SHA256 = hex.EncodeToString(sum[:])
	st, err := w.stmt("SELECT sha256, released FROM " + table + " WHERE id = ?")
	if err != nil {
		return "", err
	}
	var oldSum, oldReleased string
	err = translate(st.QueryRowContext(w.ctx, d.ID).Scan(&oldSum, &oldReleased))
	exists := err == nil
	if err != nil && err != ErrNotFound {
		return "", err
	}
	released := FormatInstant(d.Released)
	switch {
	case exists && oldSum == d.SHA256:
		return RefUnchanged, nil
	case exists && oldReleased != "" && released != "" && released < oldReleased:
		return RefKeptNewer, nil
	}
	now := FormatInstant(w.now)
	switch d.Kind {
	case RefAdvisory:
		_, err = w.exec(`INSERT INTO advisories (id, revision, released, title, publisher, url, score, source, sha256, imported_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, released = excluded.released, title = excluded.title,
				publisher = excluded.publisher, url = excluded.url, score = excluded.score, source = excluded.source,
				sha256 = excluded.sha256, imported_at = excluded.imported_at, data = excluded.data`,
			d.ID, d.Revision, released, d.Title, d.Publisher, d.URL, d.Score, d.Source, d.SHA256, now, string(d.Data))
	default:
		_, err = w.exec(`INSERT INTO recalls (id, event, firm, title, class, status, released, url, source, sha256, imported_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET event = excluded.event, firm = excluded.firm, title = excluded.title,
				class = excluded.class, status = excluded.status, released = excluded.released, url = excluded.url,
				source = excluded.source, sha256 = excluded.sha256, imported_at = excluded.imported_at, data = excluded.data`,
			d.ID, d.Event, d.Publisher, d.Title, d.Class, d.Status, released, d.URL, d.Source, d.SHA256, now, string(d.Data))
	}
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", d.Kind, d.ID, err)
	}
	if exists {
		return RefUpdated, nil
	}
	return RefAdded, nil
}

// Refs returns the stored documents of a kind, newest first, with their
// data.
func (s *Store) Refs(ctx context.Context, kind RefKind) ([]RefDoc, error) {
	var q string
	switch kind {
	case RefAdvisory:
		q = `SELECT id, revision, released, title, publisher, url, score, '', '', '', source, sha256, imported_at, data
			FROM advisories ORDER BY released DESC, id`
	case RefRecall:
		q = `SELECT id, '', released, title, firm, url, 0, event, class, status, source, sha256, imported_at, data
			FROM recalls ORDER BY released DESC, id`
	default:
		_, err := kind.table()
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []RefDoc
	for rows.Next() {
		d := RefDoc{Kind: kind}
		var released, imported, data string
		if err := rows.Scan(&d.ID, &d.Revision, &released, &d.Title, &d.Publisher, &d.URL, &d.Score, &d.Event,
			&d.Class, &d.Status, &d.Source, &d.SHA256, &imported, &data); err != nil {
			return nil, translate(err)
		}
		d.Released, d.ImportedAt, d.Data = parseInstant(released), parseInstant(imported), json.RawMessage(data)
		out = append(out, d)
	}
	return out, translate(rows.Err())
}
