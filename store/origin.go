package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

const originGenerated = "generated"

// MarkGenerated records in w's transaction that the inventory was
// generated (test or demo data), so that sweeps of segments that are not
// loopback ask first (see NeedsConfirm).
func (w *Writer) MarkGenerated(by string) error {
	_, err := w.exec(`INSERT INTO origin (key, value, set_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, set_at = excluded.set_at`,
		originGenerated, by, w.now.UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("store: mark generated: %w", err)
	}
	return nil
}

// Generated reports whether the inventory was marked generated.
func (s *Store) Generated(ctx context.Context) (bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM origin WHERE key = ?`, originGenerated).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: origin: %w", err)
	}
	return true, nil
}

// ConfirmSegment records that the user agreed to sweep p.
func (s *Store) ConfirmSegment(ctx context.Context, p netip.Prefix) error {
	return s.Write(ctx, "", func(w *Writer) error {
		_, err := w.exec(`INSERT OR IGNORE INTO origin (key, value, set_at) VALUES (?, 'yes', ?)`,
			"confirmed-segment:"+p.Masked().String(), w.now.UTC().Format(time.RFC3339))
		return err
	})
}

// NeedsConfirm returns the segments of nets the user must confirm before
// they are swept: in a database marked generated, those that are not
// inside 127.0.0.0/8 (or ::1) and were not confirmed before. Elsewhere it
// returns none.
func (s *Store) NeedsConfirm(ctx context.Context, nets []netip.Prefix) ([]netip.Prefix, error) {
	gen, err := s.Generated(ctx)
	if err != nil || !gen {
		return nil, err
	}
	var out []netip.Prefix
	for _, p := range nets {
		p = p.Masked()
		if p.Addr().IsLoopback() && p.Bits() >= 8 {
			continue
		}
		var v string
		err := s.db.QueryRowContext(ctx, `SELECT value FROM origin WHERE key = ?`, "confirmed-segment:"+p.String()).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			out = append(out, p)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: origin: %w", err)
		}
	}
	return out, nil
}
