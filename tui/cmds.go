package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"

	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/atomicfile"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// This file holds every command: the only place the TUI does I/O.

func (c *common) loadRound() tea.Cmd {
	ctx, eng, id := c.ctx, c.eng, c.opts.RoundID
	return func() tea.Msg {
		rd, err := eng.Load(ctx, id)
		if errors.Is(err, store.ErrNotFound) && id == 0 {
			fl, err := eng.Store.Floors(ctx)
			return noRoundMsg{floors: fl, err: err}
		}
		if err != nil {
			return roundMsg{err: err}
		}
		rooms, err := eng.Rooms(ctx, rd.ID)
		if err != nil {
			return roundMsg{err: err}
		}
		var rs resumeState
		if _, err := eng.LoadResume(ctx, rd.ID, &rs); err != nil {
			// A damaged resume state must not lock the technician out.
			rs = resumeState{}
		}
		return roundMsg{round: rd, rooms: rooms, resume: rs}
	}
}

func (c *common) reloadRooms() tea.Cmd {
	if !c.hasRound {
		return nil
	}
	ctx, eng, id := c.ctx, c.eng, c.round.ID
	return func() tea.Msg {
		rooms, err := eng.Rooms(ctx, id)
		return roomsMsg{rooms: rooms, err: err}
	}
}

// createRound plans a round over every room of one floor.
func (c *common) createRound(building, floor string) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	return func() tea.Msg {
		rd, err := eng.StartFloor(ctx, building, floor)
		if err != nil {
			return roundMsg{err: err}
		}
		rooms, err := eng.Rooms(ctx, rd.ID)
		return roundMsg{round: rd, rooms: rooms, err: err}
	}
}

func (c *common) loadRoomIndex() tea.Cmd {
	ctx, st := c.ctx, c.eng.Store
	return func() tea.Msg {
		rs, err := st.RoomIndex(ctx)
		return roomIndexMsg{rooms: rs, err: err}
	}
}

// openRoom loads a room (by key or barcode), adding it to the round when
// it is not on the plan, with its latest visit in this round and the
// sources a sweep would use.
func (c *common) openRoom(key string, rs *resumeState) tea.Cmd { return c.openRoomFor(key, rs, false) }

// openRoomFor is openRoom; resweep asks for the sweep screen even when the
// room has been swept.
func (c *common) openRoomFor(key string, rs *resumeState, resweep bool) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	roundID := c.round.ID
	if !c.hasRound {
		roundID = 0
	}
	inRound := c.roomIndex(key) >= 0
	return func() tea.Msg {
		room, err := eng.Store.Location(ctx, key)
		if err != nil {
			return roomMsg{err: fmt.Errorf("room %s: %w", key, err)}
		}
		rid, err := eng.EnterRoom(ctx, roundID, room, inRound)
		if err != nil {
			return roomMsg{err: err}
		}
		msg := roomMsg{room: room, resume: rs, resweep: resweep}
		v, err := eng.LatestVisit(ctx, rid, room.Key)
		switch {
		case err == nil:
			msg.visit = v
		case !errors.Is(err, store.ErrNotFound):
			return roomMsg{err: err}
		}
		msg.sources, msg.err = eng.RoomSources(ctx, room)
		return msg
	}
}

// sweepStartedMsg hands the sweep screen its event stream.
type sweepStartedMsg struct {
	gen     int
	visitID int64
	events  <-chan round.Event
	cancel  context.CancelFunc
	err     error
}

// sweepEventsMsg carries the events read since the last one; closed
// means every source has finished.
type sweepEventsMsg struct {
	gen    int
	events []round.Event
	closed bool
}

func (c *common) startSweep(gen int, room store.Location, sources []round.Source, visitID int64) tea.Cmd {
	ctx, eng, roundID := c.ctx, c.eng, c.round.ID
	return func() tea.Msg {
		var err error
		if visitID == 0 {
			if visitID, err = eng.Begin(ctx, roundID, room); err != nil {
				return sweepStartedMsg{gen: gen, err: err}
			}
		}
		sctx, cancel := context.WithCancel(ctx)
		ch := make(chan round.Event, 64)
		go round.Sweep(sctx, sources, ch)
		return sweepStartedMsg{gen: gen, visitID: visitID, events: ch, cancel: cancel}
	}
}

// segmentsMsg says which segments of a room need the technician's yes
// before they are swept; confirmed means they just gave it.
type segmentsMsg struct {
	gen       int
	need      []netip.Prefix
	confirmed bool
	err       error
}

// checkSegments asks the store which of nets need a yes (a generated or
// demo database sweeping a segment that is not loopback).
func (c *common) checkSegments(gen int, nets []netip.Prefix) tea.Cmd {
	ctx, st := c.ctx, c.eng.Store
	return func() tea.Msg {
		need, err := st.NeedsConfirm(ctx, nets)
		if err != nil {
			return segmentsMsg{gen: gen, err: fmt.Errorf("segments to confirm: %w", err)}
		}
		return segmentsMsg{gen: gen, need: need}
	}
}

// confirmSegments records the technician's yes for each segment, so that
// it is asked once per segment, then lets the sweep start.
func (c *common) confirmSegments(gen int, need []netip.Prefix) tea.Cmd {
	ctx, st := c.ctx, c.eng.Store
	return func() tea.Msg {
		for _, p := range need {
			if err := st.ConfirmSegment(ctx, p); err != nil {
				return segmentsMsg{gen: gen, err: fmt.Errorf("confirm segment %s: %w", p, err)}
			}
		}
		return segmentsMsg{gen: gen, confirmed: true}
	}
}

// maxBatch bounds the events one message carries, so that a chatty ward
// redraws a few times a second rather than once per advertisement.
const maxBatch = 256

func readEvents(gen int, ch <-chan round.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return sweepEventsMsg{gen: gen, closed: true}
		}
		batch := []round.Event{ev}
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return sweepEventsMsg{gen: gen, events: batch, closed: true}
				}
				batch = append(batch, ev)
			default:
				return sweepEventsMsg{gen: gen, events: batch}
			}
		}
		return sweepEventsMsg{gen: gen, events: batch}
	}
}

func (c *common) finishVisit(visitID int64, room store.Location, obs []scan.Observation, swept round.Swept) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	return func() tea.Msg {
		v, err := eng.Finish(ctx, visitID, room, obs, swept)
		return visitMsg{visit: v, err: err}
	}
}

func (c *common) loadVisit(id int64, rs *resumeState) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	return func() tea.Msg {
		v, err := eng.Visit(ctx, id)
		return visitMsg{visit: v, err: err, resume: rs}
	}
}

func (c *common) apply(v round.Visit, it round.Item, a round.Action) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	return func() tea.Msg {
		got, err := eng.Apply(ctx, v, it, a)
		return actionMsg{id: it.ID, item: got, kind: a.Kind, err: err}
	}
}

func (c *common) markDone(visitID int64, next string) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	return func() tea.Msg {
		return doneMsg{next: next, err: eng.Done(ctx, visitID)}
	}
}

func (c *common) loadModels() tea.Cmd {
	ctx, st := c.ctx, c.eng.Store
	return func() tea.Msg {
		ms, err := st.Models(ctx)
		return modelsMsg{models: ms, err: err}
	}
}

func (c *common) loadReport() tea.Cmd {
	ctx, eng, id := c.ctx, c.eng, c.round.ID
	return func() tea.Msg {
		r, err := eng.Report(ctx, id)
		return reportMsg{report: r, err: err}
	}
}

// export writes the report in the given formats into the export
// directory, each file created 0600 (reports name devices and places).
func (c *common) export(r report.Report, formats ...report.Format) tea.Cmd {
	dir := c.opts.ExportDir
	return func() tea.Msg {
		var paths []string
		for _, f := range formats {
			name := fmt.Sprintf("round-%d-%s%s", r.Round.ID, r.GeneratedAt.UTC().Format("20060102-1504"), f.Ext())
			p := filepath.Join(dir, name)
			if err := writeFile(p, func(w io.Writer) error { return report.Write(w, f, r) }); err != nil {
				return exportMsg{paths: paths, err: err}
			}
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			paths = append(paths, p)
		}
		return exportMsg{paths: paths}
	}
}

// writeFile writes a report through atomicfile: a crash never leaves
// half a report, and a written one survives a power cut.
func writeFile(path string, fn func(io.Writer) error) error {
	if err := atomicfile.Write(path, fn); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func (c *common) finishRound() tea.Cmd {
	ctx, eng, id := c.ctx, c.eng, c.round.ID
	return func() tea.Msg {
		if err := eng.FinishRound(ctx, id); err != nil {
			return statusMsg{err: err}
		}
		return statusMsg{text: "round finished"}
	}
}

func (c *common) loadSync() tea.Cmd {
	ctx, st, fn := c.ctx, c.eng.Store, c.opts.Sync
	return func() tea.Msg {
		if fn != nil {
			info, err := fn(ctx)
			return syncMsg{info: info, err: err}
		}
		counts, err := st.JournalCounts(ctx)
		if err != nil {
			return syncMsg{err: err}
		}
		q, err := st.Outbox(ctx, 50)
		return syncMsg{info: SyncInfo{Counts: counts, Queue: q}, err: err}
	}
}

// finishVisitNew records a visit with nothing swept (a room without
// sources).
func (c *common) finishVisitNew(room store.Location, obs []scan.Observation) tea.Cmd {
	ctx, eng, roundID := c.ctx, c.eng, c.round.ID
	return func() tea.Msg {
		id, err := eng.Begin(ctx, roundID, room)
		if err != nil {
			return visitMsg{err: err}
		}
		v, err := eng.Finish(ctx, id, room, obs, round.Swept{})
		return visitMsg{visit: v, err: err}
	}
}

// notesMsg carries a device's notes for the detail.
type notesMsg struct {
	id    int64
	notes []store.Note
	err   error
}

// loadNotes reads the notes of the item's device: the technician's and
// those pulled from the CMDB.
func (c *common) loadNotes(it round.Item) tea.Cmd {
	d := it.Finding.Device
	if d == nil || d.AssetTag == "" {
		return nil
	}
	ctx, st, id, tag := c.ctx, c.eng.Store, it.ID, d.AssetTag
	return func() tea.Msg {
		ns, err := st.Notes(ctx, tag)
		return notesMsg{id: id, notes: ns, err: err}
	}
}
