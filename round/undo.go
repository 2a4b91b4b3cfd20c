package round

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// ErrSynced refuses to undo an action whose change has left the laptop:
// the CMDB has it, so it is corrected with a new action instead.
var ErrSynced = errors.New("round: already sent to the CMDB")

// ErrNothingToUndo reports a finding with no action left to undo.
var ErrNothingToUndo = errors.New("round: nothing to undo")

// Undo takes back the latest action on a finding that has not been sent
// to the CMDB: the device fields the action changed get their old values
// back through a compensating journal entry (the journal is append-only:
// a pending entry is never withdrawn, the CMDB receives both and ends
// where it started), the finding reads as it did before, and the action
// is marked undone, all in one transaction. A note is taken back by a
// compensating note ("withdrawn: …"): notes, like the journal, are only
// ever added to. Adoptions create a record and are not undone here.
func (e *Engine) Undo(ctx context.Context, v Visit, it Item) (Item, error) {
	// The notes are read first (they are append-only): a note's undo
	// names the note it withdraws.
	var notes []store.Note
	if it.Finding.Device != nil {
		var err error
		if notes, err = e.Store.Notes(ctx, it.Finding.Device.AssetTag); err != nil {
			return it, fmt.Errorf("undo: notes: %w", err)
		}
	}

	err := e.Store.Write(ctx, e.actor(), func(w *store.Writer) error {
		a, err := w.LastAction(it.ID)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(ErrNothingToUndo, "nothing to undo on this finding")
		}
		if err != nil {
			return err
		}

		sent, err := w.SentSince(a.SeqFrom, a.SeqTo)
		if err != nil {
			return err
		}
		if sent {
			return refuse(ErrSynced, "%s on %s was already sent to the CMDB; correct it with a new action", a.Word, a.AssetTag)
		}
		switch ActionKind(a.Kind) {
		case Adopt:
			return refuse(ErrNotApplicable, "%s cannot be undone: it created a record", a.Word)
		case Note:
			if err := w.AddNote(a.AssetTag, withdrawal(notes, a)); err != nil {
				return fmt.Errorf("undo %s: %w", a.Word, err)
			}
		case Dismiss:
			if len(it.Finding.Observations) > 0 {
				if err := w.Undismiss(it.Finding.Observations[0].Key()); err != nil {
					return err
				}
			}
		default:
			var before store.Device
			if err := json.Unmarshal([]byte(a.DeviceBefore), &before); err != nil {
				return fmt.Errorf("undo %s: device before: %w", a.Word, err)
			}
			_, err := w.UpdateDevice(a.AssetTag, store.OpUpdate, func(d *store.Device) error {
				switch ActionKind(a.Kind) {
				case Confirm, MoveHere:
					d.LastAudited, d.NextAuditDue, d.LastSeen = before.LastAudited, before.NextAuditDue, before.LastSeen
					d.LocationKey, d.Status = before.LocationKey, before.Status
				case MarkMissing:
					d.Status = before.Status
				case Correct:
					d.FirmwareVersion, d.Serial = before.FirmwareVersion, before.Serial
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("undo %s: %w", a.Word, err)
			}
		}
		if err := w.RestoreFinding(it.ID, a.PrevAction, a.PrevActedAt, a.PrevData); err != nil {
			return err
		}
		return w.MarkUndone(a.ID)
	})
	if err != nil {
		return it, err
	}
	nv, err := e.Visit(ctx, v.ID)
	if err != nil {
		return it, err
	}
	for _, x := range nv.Items {
		if x.ID == it.ID {
			return x, nil
		}
	}
	return it, fmt.Errorf("undo: finding %d: %w", it.ID, store.ErrNotFound)
}

// withdrawal is the compensating note for note action a: the text of the
// note a added (the newest by its actor at its time), bounded.
func withdrawal(notes []store.Note, a store.ActionRecord) string {
	const maxQuote = 200
	for i := len(notes) - 1; i >= 0; i-- {
		n := notes[i]
		if n.Actor == a.Actor && n.At.Truncate(time.Second).Equal(a.At.Truncate(time.Second)) {
			text := n.Text
			if r := []rune(text); len(r) > maxQuote {
				text = string(r[:maxQuote]) + "…"
			}
			return "withdrawn: " + text
		}
	}
	return "withdrawn: the note added at " + a.At.UTC().Format("2006-01-02 15:04") + " UTC"
}

// History lists the actions of a round, newest first, undone ones
// included.
func (e *Engine) History(ctx context.Context, roundID int64) ([]store.ActionRecord, error) {
	return e.Store.RoundActions(ctx, roundID)
}

// UndoFinding is Undo for a finding named by id (from the round's
// history, where its visit is not at hand).
func (e *Engine) UndoFinding(ctx context.Context, findingID int64) (Item, error) {
	vid, err := e.Store.FindingVisit(ctx, findingID)
	if err != nil {
		return Item{}, err
	}
	v, err := e.Visit(ctx, vid)
	if err != nil {
		return Item{}, err
	}
	for _, it := range v.Items {
		if it.ID == findingID {
			return e.Undo(ctx, v, it)
		}
	}
	return Item{}, fmt.Errorf("finding %d: %w", findingID, store.ErrNotFound)
}
