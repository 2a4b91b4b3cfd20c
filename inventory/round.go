package inventory

import "time"

// Round is a planned walk through a list of rooms.
type Round struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Technician string    `json:"technician,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	// FinishedAt is zero while the round is in progress.
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// The visit statuses: a visit is open while its room is being swept,
// swept once the sweep is stored, and done when the technician closes
// the room.
const (
	VisitOpen  = "open"
	VisitSwept = "swept"
	VisitDone  = "done"
)
