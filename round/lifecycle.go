package round

import (
	"context"
	"errors"
	"fmt"

	"github.com/biomed-rounds/rounds/store"
)

// This file is the round's life from start to finish: the TUI, the demo
// and the commands call these rather than the store, so that a round is
// created, named, extended and finished one way.

// RoundName is the name of a round started over a floor on the engine's
// day ("MAIN floor 3 · 2026-03-02").
func (e *Engine) RoundName(building, floor string) string {
	return fmt.Sprintf("%s floor %s · %s", building, floor, e.now().Format("2006-01-02"))
}

// StartFloor plans a round over every room of one floor, in room order,
// under the engine's technician.
func (e *Engine) StartFloor(ctx context.Context, building, floor string) (store.Round, error) {
	keys, err := e.Store.RoomKeys(ctx, building, floor)
	if err != nil {
		return store.Round{}, fmt.Errorf("rooms of %s floor %s: %w", building, floor, err)
	}
	rd, err := e.Store.CreateRound(ctx, e.RoundName(building, floor), e.actor(), e.now(), keys)
	if err != nil {
		return store.Round{}, fmt.Errorf("start round: %w", err)
	}
	return rd, nil
}

// Load returns round id, or the active round when id is zero
// (store.ErrNotFound when there is none).
func (e *Engine) Load(ctx context.Context, id int64) (store.Round, error) {
	if id != 0 {
		return e.Store.Round(ctx, id)
	}
	return e.Store.ActiveRound(ctx)
}

// Rooms lists the rooms of a round with their latest visits.
func (e *Engine) Rooms(ctx context.Context, roundID int64) ([]store.RoundRoom, error) {
	return e.Store.RoundRooms(ctx, roundID, e.now())
}

// EnterRoom makes sure a room is part of a round: without a round
// (roundID zero) it starts one over that room; a room not on the plan is
// added to it. It returns the round id.
func (e *Engine) EnterRoom(ctx context.Context, roundID int64, room store.Location, planned bool) (int64, error) {
	if roundID == 0 {
		rd, err := e.Store.CreateRound(ctx, e.RoundName(room.Building, room.Floor), e.actor(), e.now(), []string{room.Key})
		if err != nil {
			return 0, fmt.Errorf("start round at %s: %w", room.Key, err)
		}
		return rd.ID, nil
	}
	if !planned {
		if err := e.Store.AddRoundRoom(ctx, roundID, room.Key); err != nil {
			return 0, fmt.Errorf("add %s to round %d: %w", room.Key, roundID, err)
		}
	}
	return roundID, nil
}

// FinishRound closes a round.
func (e *Engine) FinishRound(ctx context.Context, roundID int64) error {
	if err := e.Store.FinishRound(ctx, roundID, e.now()); err != nil {
		return fmt.Errorf("finish round %d: %w", roundID, err)
	}
	return nil
}

// SaveResume stores where the technician is in a round (state is JSON
// owned by the caller).
func (e *Engine) SaveResume(ctx context.Context, roundID int64, state any) error {
	return e.Store.SaveResume(ctx, roundID, e.now(), state)
}

// LoadResume reads the resume state of a round into state; false when
// none was saved.
func (e *Engine) LoadResume(ctx context.Context, roundID int64, state any) (bool, error) {
	ok, err := e.Store.LoadResume(ctx, roundID, state)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	return ok, nil
}

// Start plans a round of the given rooms, in order, under a name.
func (e *Engine) Start(ctx context.Context, name string, roomKeys []string) (store.Round, error) {
	rd, err := e.Store.CreateRound(ctx, name, e.actor(), e.now(), roomKeys)
	if err != nil {
		return store.Round{}, fmt.Errorf("start round %q: %w", name, err)
	}
	return rd, nil
}
