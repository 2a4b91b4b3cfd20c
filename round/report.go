package round

import (
	"context"
	"errors"
	"fmt"

	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/store"
)

// Report gathers the report of a round: every room in order with its
// latest visit's findings and actions.
func (e *Engine) Report(ctx context.Context, roundID int64) (report.Report, error) {
	rd, err := e.Store.Round(ctx, roundID)
	if err != nil {
		return report.Report{}, fmt.Errorf("round %d: %w", roundID, err)
	}
	now := e.now()
	rooms, err := e.Store.RoundRooms(ctx, roundID, now)
	if err != nil {
		return report.Report{}, fmt.Errorf("round %d rooms: %w", roundID, err)
	}
	r := report.Report{Round: rd, GeneratedAt: now}
	hist, err := e.History(ctx, roundID)
	if err != nil {
		return report.Report{}, fmt.Errorf("round %d history: %w", roundID, err)
	}
	undone := map[int64][]string{}
	for i := len(hist) - 1; i >= 0; i-- {
		if a := hist[i]; !a.UndoneAt.IsZero() {
			undone[a.FindingID] = append(undone[a.FindingID], a.Word)
		}
	}
	for _, rr := range rooms {
		rm := report.Room{Key: rr.Location.Key, Name: rr.Location.Name, Status: rr.Visit.Status,
			VisitedAt: rr.Visit.StartedAt}
		if rr.Visit.ID != 0 {
			v, err := e.Visit(ctx, rr.Visit.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return report.Report{}, err
			}
			for _, it := range v.Items {
				f := report.Finding{Finding: it.Finding, Action: it.Action, ActedAt: it.ActedAt, Resolution: it.Resolution(),
					Undone: undone[it.ID]}
				if d := it.Finding.Device; d != nil && d.AssetTag != "" {
					ns, err := e.Store.Notes(ctx, d.AssetTag)
					if err != nil {
						return report.Report{}, fmt.Errorf("notes of %s: %w", d.AssetTag, err)
					}
					for _, n := range ns {
						f.Notes = append(f.Notes, report.Note{At: n.At, Actor: n.Actor, Text: n.Text})
					}
				}
				rm.Findings = append(rm.Findings, f)
			}
		}
		r.Rooms = append(r.Rooms, rm)
	}
	return r, nil
}
