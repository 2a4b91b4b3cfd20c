package demo

import (
	"context"
	"fmt"

	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// Walk sweeps every room of the demo round that has no finished sweep
// yet, as the TUI would with a technician pressing enter in each room,
// and returns the round report. It takes no action on the findings:
// that is the technician's part.
func (d *Demo) Walk(ctx context.Context, progress func(room string, v round.Visit)) (report.Report, error) {
	e := d.Engine
	rooms, err := e.Rooms(ctx, d.Round.ID)
	if err != nil {
		return report.Report{}, err
	}
	for _, rr := range rooms {
		if rr.Visit.ID != 0 && rr.Visit.Status != "open" {
			continue
		}
		room, err := d.Store.Location(ctx, rr.Location.Key)
		if err != nil {
			return report.Report{}, err
		}
		v, err := SweepRoom(ctx, e, d.Round.ID, room, rr.Visit.ID)
		if err != nil {
			return report.Report{}, err
		}
		if progress != nil {
			progress(room.Key, v)
		}
	}
	return e.Report(ctx, d.Round.ID)
}

// SweepRoom runs one room's sweep to the end and stores the visit.
func SweepRoom(ctx context.Context, e *round.Engine, roundID int64, room store.Location, visitID int64) (round.Visit, error) {
	srcs, err := e.RoomSources(ctx, room)
	if err != nil {
		return round.Visit{}, err
	}
	if visitID == 0 {
		if visitID, err = e.Begin(ctx, roundID, room); err != nil {
			return round.Visit{}, err
		}
	}
	events := make(chan round.Event, 64)
	go round.Sweep(ctx, srcs, events)
	var obs []scan.Observation
	done := map[scan.Source]bool{scan.SourceIP: true, scan.SourceBLE: true}
	has := map[scan.Source]bool{}
	var errs []error
	for ev := range events {
		if !ev.Done {
			obs = append(obs, ev.Obs)
			continue
		}
		k := srcs[ev.Source].Kind
		has[k] = true
		if ev.Err != nil {
			done[k] = false
			errs = append(errs, fmt.Errorf("%s: %w", srcs[ev.Source].Name, ev.Err))
		}
	}
	if err := ctx.Err(); err != nil {
		return round.Visit{}, err
	}
	if len(errs) > 0 {
		return round.Visit{}, fmt.Errorf("sweep %s: %v", room.Key, errs)
	}
	return e.Finish(ctx, visitID, room, obs, round.Swept{IP: has[scan.SourceIP] && done[scan.SourceIP],
		BLE: has[scan.SourceBLE] && done[scan.SourceBLE]})
}
