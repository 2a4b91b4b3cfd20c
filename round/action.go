package round

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// ActionKind is something a technician can do about a finding.
type ActionKind string

// The actions.
const (
	// Confirm records an audit: the device is here and the record is
	// right. It also brings a device marked missing back into service.
	Confirm ActionKind = "confirm"
	// MoveHere records the device in this room (and audits it).
	MoveHere ActionKind = "move_here"
	// MarkMissing sets the device's status to missing.
	MarkMissing ActionKind = "mark_missing"
	// Adopt creates a record for an unknown device under a new asset tag.
	Adopt ActionKind = "adopt"
	// Correct fixes the firmware version or the serial of the record.
	Correct ActionKind = "correct"
	// Note attaches a note to the device.
	Note ActionKind = "note"
	// Dismiss settles an unknown unit that is not inventory (a patient's
	// own meter, a visitor's phone), remembered by its identity.
	Dismiss ActionKind = "dismiss"
)

// DismissReasons are the reasons offered for dismissing an unknown unit.
var DismissReasons = []string{"patient-owned", "staff or visitor device", "not medical equipment", "belongs to another site"}

// Words names an action for people ("mark missing").
func (k ActionKind) Words() string { return strings.ReplaceAll(string(k), "_", " ") }

// Correctable fields.
const (
	FieldFirmware = "firmware"
	FieldSerial   = "serial"
)

// Action is one technician action with its inputs.
type Action struct {
	Kind ActionKind
	// AssetTag, Manufacturer, Model and DeviceClass describe an adopted
	// device.
	AssetTag     string
	Manufacturer string
	Model        string
	DeviceClass  string
	// Field (FieldFirmware or FieldSerial) and Value describe a
	// correction.
	Field string
	Value string
	// Text is a note, or the reason of a dismissal.
	Text string
}

// Applies reports whether action kind k makes sense for the item; the
// TUI greys out the others.
func Applies(k ActionKind, it Item) bool {
	hasDev := it.Finding.Device != nil && it.Finding.Device.AssetTag != ""
	switch k {
	case Confirm:
		return hasDev && (kindOf(it) == reconcile.Verified || kindOf(it) == reconcile.Unverified || kindOf(it) == reconcile.Missing)
	case MoveHere:
		return hasDev && (kindOf(it) == reconcile.MovedHere || kindOf(it) == reconcile.HeardNearby)
	case MarkMissing:
		return hasDev && (kindOf(it) == reconcile.Missing || kindOf(it) == reconcile.Unverified)
	case Adopt:
		return !hasDev && (kindOf(it) == reconcile.Unknown || kindOf(it) == reconcile.HeardNearby)
	case Correct, Note:
		return hasDev
	case Dismiss:
		return !hasDev && kindOf(it) == reconcile.Unknown && it.Dismissed == ""
	}
	return false
}

// done words of the actions that must not be repeated on one finding.
var doneWord = map[ActionKind]string{Confirm: "confirmed", MoveHere: "moved here", MarkMissing: "marked missing"}

// refusal is an error that reads as its message alone but matches its
// sentinel with errors.Is: the TUI shows it to the technician as is.
type refusal struct {
	sentinel error
	msg      string
}

func (r refusal) Error() string { return r.msg }
func (r refusal) Unwrap() error { return r.sentinel }

func refuse(sentinel error, format string, args ...any) error {
	return refusal{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// Check says why action k cannot be done on the item, or nil: the TUI
// shows the reason, and Apply refuses with it.
func Check(k ActionKind, it Item) error {
	tag := "this unit"
	if d := it.Finding.Device; d != nil && d.AssetTag != "" {
		tag = d.AssetTag
	}
	if k == MarkMissing && it.SeenIn != "" {
		return refuse(ErrSeenElsewhere, "%s was %s; it is not missing", tag, it.Resolution())
	}
	if !Applies(k, it) {
		kind := strings.ToLower(strings.ReplaceAll(string(it.Finding.Kind), "_", " "))
		if it.Finding.Kind == reconcile.HeardNearby {
			kind = "heard-nearby"
		}
		article := "a"
		if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
			article = "an"
		}
		return refuse(ErrNotApplicable, "%s does not apply to %s %s finding", k.Words(), article, kind)
	}
	if w, ok := doneWord[k]; ok {
		for _, p := range strings.Split(it.Action, "; ") {
			if p == w {
				return refuse(ErrAlreadyDone, "%s was already %s", tag, w)
			}
		}
	}
	return nil
}

// ValidTag checks an asset tag typed or scanned by the technician.
func ValidTag(tag string) error {
	switch {
	case tag == "":
		return errors.New("round: an asset tag is needed")
	case len(tag) > 64:
		return errors.New("round: asset tag longer than 64 characters")
	case !inert.Clean(tag) || strings.ContainsAny(tag, " /\\"):
		return fmt.Errorf("round: asset tag %q holds spaces, slashes or control characters", inert.String(tag))
	}
	return nil
}

// Apply performs an action on a finding of visit v: the device change, its
// journal entry and the finding's action are written in one transaction.
// It returns the item as it now stands.
func (e *Engine) Apply(ctx context.Context, v Visit, it Item, a Action) (Item, error) {
	if err := Check(a.Kind, it); err != nil {
		return it, err
	}
	now := e.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	interval := e.AuditInterval
	if interval == 0 {
		interval = 365 * 24 * time.Hour
	}
	seen := lastSeen(it.Finding.Observations)
	audit := func(d *store.Device) {
		d.LastAudited = today
		d.NextAuditDue = today.Add(interval)
		if !seen.IsZero() && seen.After(d.LastSeen) {
			d.LastSeen = seen
		}
	}
	// The flags are recomputed in the action's transaction: what the
	// reconcile reads is read first, and the pure rest runs on the device
	// as the transaction holds it, so the action and the finding's new
	// flags commit together or not at all.
	var reflag func(...store.Device) ([]reconcile.Finding, error)
	if p, ok := e.Reconcile.(Preparer); ok && a.Kind != Dismiss {
		var err error
		if reflag, err = e.prepareReflag(ctx, p, v); err != nil {
			return it, fmt.Errorf("flags of the finding: %w; nothing saved", err)
		}
	}
	var word, dismissed string
	var dev store.Device
	inTx := false
	var final reconcile.Finding
	err := e.Store.Write(ctx, e.actor(), func(w *store.Writer) error {
		var tag string
		if it.Finding.Device != nil {
			tag = it.Finding.Device.AssetTag
		}
		// What the undo needs: the journal head, the device and the
		// finding as they stand before the action.
		head, err := w.JournalHead()
		if err != nil {
			return err
		}
		rec := store.ActionRecord{FindingID: it.ID, Kind: string(a.Kind), AssetTag: tag, PrevAction: it.Action, PrevActedAt: it.ActedAt}
		prev, err := json.Marshal(it.Finding)
		if err != nil {
			return err
		}
		rec.PrevData = string(prev)
		if tag != "" {
			if d, err := w.Device(tag); err == nil {
				b, err := json.Marshal(d)
				if err != nil {
					return err
				}
				rec.DeviceBefore = string(b)
			}
		}
		logged := func(word string) error {
			after, err := w.JournalHead()
			if err != nil {
				return err
			}
			if after > head {
				rec.SeqFrom, rec.SeqTo = head+1, after
			}
			rec.Word = word
			_, err = w.LogAction(rec)
			return err
		}
		switch a.Kind {
		case Confirm:
			word = "confirmed"
			_, err = w.UpdateDevice(tag, store.OpAudit, func(d *store.Device) error {
				audit(d)
				if d.Status == store.StatusMissing {
					d.Status = store.StatusInService
				}
				return nil
			})
		case MoveHere:
			word = "moved here"
			_, err = w.UpdateDevice(tag, store.OpAudit, func(d *store.Device) error {
				d.LocationKey = v.Room.Key
				audit(d)
				if d.Status == store.StatusMissing {
					d.Status = store.StatusInService
				}
				return nil
			})
		case MarkMissing:
			word = "marked missing"
			_, err = w.UpdateDevice(tag, store.OpUpdate, func(d *store.Device) error {
				d.Status = store.StatusMissing
				return nil
			})
		case Correct:
			val := strings.TrimSpace(a.Value)
			if val == "" || !inert.Clean(val) || len(val) > 128 {
				return fmt.Errorf("round: %s %q: empty, too long or holds control characters", a.Field, inert.String(val))
			}
			switch a.Field {
			case FieldFirmware:
				word = "firmware corrected to " + val
				_, err = w.UpdateDevice(tag, store.OpUpdate, func(d *store.Device) error {
					d.FirmwareVersion = val
					return nil
				})
			case FieldSerial:
				word = "serial corrected to " + val
				_, err = w.UpdateDevice(tag, store.OpUpdate, func(d *store.Device) error {
					d.Serial = val
					return nil
				})
			default:
				return fmt.Errorf("%w: cannot correct field %q", ErrNotApplicable, a.Field)
			}
		case Note:
			text := strings.TrimSpace(a.Text)
			if text == "" {
				return errors.New("round: empty note")
			}
			word = "note added"
			err = w.AddNote(tag, inert.String(text))
		case Dismiss:
			reason := strings.TrimSpace(a.Text)
			if reason == "" || !inert.Clean(reason) || len(reason) > 200 {
				return errors.New("round: a dismissal needs a short reason")
			}
			if len(it.Finding.Observations) == 0 {
				return fmt.Errorf("%w: nothing was seen to dismiss", ErrNotApplicable)
			}
			word = "dismissed: " + reason
			dismissed = reason
			if err := w.Dismiss(it.Finding.Observations[0].Key(), reason, v.Room.Key); err != nil {
				return err
			}
			if err := logged(word); err != nil {
				return err
			}
			return setAction(w, it.ID, combine(it.Action, word), it.Finding)
		case Adopt:
			tag = strings.TrimSpace(a.AssetTag)
			rec.AssetTag = tag
			if err := ValidTag(tag); err != nil {
				return err
			}
			if a.Manufacturer == "" || a.Model == "" {
				return errors.New("round: pick a model for the adopted device")
			}
			if old, err := w.Device(tag); err == nil {
				return fmt.Errorf("%w: %s is %s %s in %s", ErrTagTaken, tag, old.Manufacturer, old.Model, old.LocationKey)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			word = "adopted as " + tag
			d := adopted(it.Finding.Observations, tag, a, v.Room.Key)
			audit(&d)
			if _, err = w.PutDevice(d); err != nil {
				return err
			}
			created, err := w.Device(tag)
			if err != nil {
				return err
			}
			if err := w.SetFindingDevice(it.ID, created.ID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unknown action %q", ErrNotApplicable, a.Kind)
		}
		if err != nil {
			return err
		}
		if dev, err = w.Device(tag); err != nil {
			return err
		}
		if err := logged(word); err != nil {
			return err
		}
		word = combine(it.Action, word)
		// The finding keeps the record as it now stands, so that the
		// visit reads the same after a restart.
		f := it.Finding
		f.Device = &dev
		if reflag != nil {
			fs, err := reflag(dev)
			if err != nil {
				return fmt.Errorf("%s: its flags could not be recomputed: %w; nothing saved", word, err)
			}
			f = refreshed(f, fs, dev)
			inTx = true
		}
		final = f
		return setAction(w, it.ID, word, f)
	})
	if err != nil {
		return it, err
	}
	if dismissed != "" {
		it.Action, it.ActedAt, it.Dismissed = combine(it.Action, word), now.Truncate(time.Second), dismissed
		return it, nil
	}
	it.Action, it.ActedAt = word, now.Truncate(time.Second)
	it.Finding.Device = &dev
	if a.Kind == Note {
		it.Notes = append(it.Notes, store.Note{At: now.Truncate(time.Second), Actor: e.actor(), Text: inert.String(strings.TrimSpace(a.Text))})
	}
	// The flags of the finding are those of the record as it now stands
	// (a corrected firmware is no longer old; a confirmed unit is no
	// longer due an audit; an adopted unit is no longer unknown). A
	// Reconciler that cannot prepare (a test's function) recomputes
	// them after the action, in a second transaction.
	if inTx {
		it.Finding = final
		return it, nil
	}
	if f, ok, err := e.reflag(ctx, v, dev); err != nil {
		return it, fmt.Errorf("%s saved, but its flags could not be recomputed: %w", word, err)
	} else if ok {
		it.Finding.Flags = f.Flags
		if it.Finding.Kind == reconcile.Unknown || it.Finding.Kind == reconcile.HeardNearby {
			it.Finding.Kind = f.Kind
		}
		if err := e.Store.Write(ctx, e.actor(), func(w *store.Writer) error {
			return setAction(w, it.ID, it.Action, it.Finding)
		}); err != nil {
			return it, err
		}
	}
	return it, nil
}

// refreshed is finding f with the flags (and, for an unknown or merely
// heard device, the kind) of dev's finding in fs.
func refreshed(f reconcile.Finding, fs []reconcile.Finding, dev store.Device) reconcile.Finding {
	for _, n := range fs {
		if n.Device != nil && n.Device.ID == dev.ID {
			f.Flags = n.Flags
			if f.Kind == reconcile.Unknown || f.Kind == reconcile.HeardNearby {
				f.Kind = n.Kind
			}
			break
		}
	}
	return f
}

// prepareReflag reads the visit's observations and what p's reconcile
// needs, before the action's transaction.
func (e *Engine) prepareReflag(ctx context.Context, p Preparer, v Visit) (func(...store.Device) ([]reconcile.Finding, error), error) {
	rec, err := e.Store.VisitRecord(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	obs, err := visitObservations(v.ID, rec)
	if err != nil {
		return nil, err
	}
	return p.Prepare(ctx, v.Room, obs, Swept{IP: rec.IPSwept, BLE: rec.BLESwept}, e.now())
}

func visitObservations(id int64, rec store.VisitRecord) ([]scan.Observation, error) {
	obs := make([]scan.Observation, 0, len(rec.Observations))
	for _, o := range rec.Observations {
		var ob scan.Observation
		if err := json.Unmarshal(o.Data, &ob); err != nil {
			return nil, fmt.Errorf("visit %d observation %s: %w", id, o.Key, err)
		}
		obs = append(obs, ob)
	}
	return obs, nil
}

// reflag reconciles the visit's stored observations again and returns
// the finding of device dev as the store now has it.
func (e *Engine) reflag(ctx context.Context, v Visit, dev store.Device) (reconcile.Finding, bool, error) {
	if e.Reconcile == nil {
		return reconcile.Finding{}, false, nil
	}
	rec, err := e.Store.VisitRecord(ctx, v.ID)
	if err != nil {
		return reconcile.Finding{}, false, err
	}
	obs, err := visitObservations(v.ID, rec)
	if err != nil {
		return reconcile.Finding{}, false, err
	}
	fs, err := e.Reconcile.Reconcile(ctx, v.Room, obs, Swept{IP: rec.IPSwept, BLE: rec.BLESwept}, e.now())
	if err != nil {
		return reconcile.Finding{}, false, err
	}
	for _, f := range fs {
		if f.Device != nil && f.Device.ID == dev.ID {
			return f, true, nil
		}
	}
	return reconcile.Finding{}, false, nil
}

// combine appends a new action word to what was done before, once.
func combine(prev, word string) string {
	if prev == "" {
		return word
	}
	for _, p := range strings.Split(prev, "; ") {
		if p == word {
			return prev
		}
	}
	return prev + "; " + word
}

func lastSeen(obs []scan.Observation) time.Time {
	var t time.Time
	for _, o := range obs {
		if o.Time.After(t) {
			t = o.Time
		}
	}
	return t
}

// adopted builds the record of an adopted device from what was observed:
// network identity, BLE address (unless it rotates), and the serial and
// firmware the device reported.
func adopted(obs []scan.Observation, tag string, a Action, room string) store.Device {
	d := store.Device{AssetTag: tag, Manufacturer: a.Manufacturer, Model: a.Model, DeviceClass: a.DeviceClass,
		LocationKey: room, Status: store.StatusInService}
	for _, o := range obs {
		switch o.Source {
		case scan.SourceIP:
			if d.IP == "" && o.IP.IsValid() {
				d.IP = o.IP.String()
			}
			if d.MAC == "" {
				d.MAC = o.MAC
			}
			if d.Hostname == "" {
				d.Hostname = inert.String(o.Hostname)
			}
		case scan.SourceBLE:
			if o.BLE != nil && d.BLEAddress == "" && !o.BLE.AddressType.Rotating() {
				d.BLEAddress = o.BLE.Address
			}
		}
		if d.Serial == "" {
			d.Serial = inert.String(o.Hints.Serial)
		}
		if d.FirmwareVersion == "" {
			d.FirmwareVersion = inert.String(o.Hints.Firmware)
		}
	}
	return d
}
