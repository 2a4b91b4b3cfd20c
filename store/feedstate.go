package store

import (
	"context"
	"errors"
	"time"
)

// FeedItem is one document a feed update has handled: imported, skipped
// (not medical, not TLP:CLEAR) or refused (hash or signature), with the
// feed's timestamp for it so that an unchanged document is not fetched
// again.
type FeedItem struct {
	Feed    string
	Item    string
	Stamp   string
	Outcome string
	Reason  string
	DocID   string
	At      time.Time
}

// FeedItems returns the ledger of one feed, keyed by item.
func (s *Store) FeedItems(ctx context.Context, feed string) (map[string]FeedItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT item, stamp, outcome, reason, doc_id, at FROM feed_items WHERE feed = ?`, feed)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[string]FeedItem{}
	for rows.Next() {
		it := FeedItem{Feed: feed}
		var at string
		if err := rows.Scan(&it.Item, &it.Stamp, &it.Outcome, &it.Reason, &it.DocID, &at); err != nil {
			return nil, translate(err)
		}
		it.At, _ = time.Parse(time.RFC3339, at)
		out[it.Item] = it
	}
	return out, translate(rows.Err())
}

// PutFeedItem records (or replaces) one ledger entry in the writer's
// transaction, so that it commits together with the document imported.
func (w *Writer) PutFeedItem(it FeedItem) error {
	_, err := w.exec(`INSERT INTO feed_items (feed, item, stamp, outcome, reason, doc_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (feed, item) DO UPDATE SET stamp = excluded.stamp, outcome = excluded.outcome,
		reason = excluded.reason, doc_id = excluded.doc_id, at = excluded.at`,
		it.Feed, it.Item, it.Stamp, it.Outcome, it.Reason, it.DocID, w.now.Format(time.RFC3339))
	return err
}

// FeedMark returns a stored watermark or cursor and whether it exists.
func (s *Store) FeedMark(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM feed_marks WHERE key = ?`, key).Scan(&v)
	if err != nil {
		err = translate(err)
		if errors.Is(err, ErrNotFound) {
			return "", false, nil
		}
		return "", false, err
	}
	return v, true, nil
}

// SetFeedMark stores a watermark or cursor in the writer's transaction.
func (w *Writer) SetFeedMark(key, value string) error {
	_, err := w.exec(`INSERT INTO feed_marks (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, w.now.Format(time.RFC3339))
	return err
}

// DeleteFeedMark removes a cursor that is no longer needed.
func (w *Writer) DeleteFeedMark(key string) error {
	_, err := w.exec(`DELETE FROM feed_marks WHERE key = ?`, key)
	return err
}

// FeedPins returns the OpenPGP fingerprints pinned for a provider, sorted.
func (s *Store) FeedPins(ctx context.Context, provider string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint FROM feed_keys WHERE provider = ? ORDER BY fingerprint`, provider)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			return nil, translate(err)
		}
		out = append(out, fp)
	}
	return out, translate(rows.Err())
}

// PinFeedKeys replaces the fingerprints pinned for a provider.
func (w *Writer) PinFeedKeys(provider string, fingerprints []string) error {
	if _, err := w.exec(`DELETE FROM feed_keys WHERE provider = ?`, provider); err != nil {
		return err
	}
	for _, fp := range fingerprints {
		if _, err := w.exec(`INSERT INTO feed_keys (provider, fingerprint, pinned_at) VALUES (?, ?, ?)`,
			provider, fp, w.now.Format(time.RFC3339)); err != nil {
			return err
		}
	}
	return nil
}
