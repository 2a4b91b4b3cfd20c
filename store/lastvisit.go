package store

import (
	"context"
	"database/sql"
	"errors"
)

// LatestRoomVisitID returns the id of the newest visit of a room (by key),
// within any round or none, or ErrNotFound when the room was never swept.
// Scriptable actions (`rounds confirm TAG`) act on its findings, as the TUI
// acts on the visit on screen.
func (s *Store) LatestRoomVisitID(ctx context.Context, roomKey string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT v.id FROM visits v JOIN locations l ON l.id = v.location_id
		WHERE l.key = ? ORDER BY v.id DESC LIMIT 1`, roomKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, translate(err)
	}
	return id, nil
}
