package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

// The scriptable actions mirror the TUI's: each acts on a finding of the
// newest sweep of a room, through round.Engine.Apply, so the rules, the
// refusals and the journal entry are the TUI's own, and each is one
// transaction.

// actionOptions are the flags every action takes.
type actionOptions struct {
	room    string
	jsonOut bool
}

// actionResult is what an action prints with --json: one object.
type actionResult struct {
	Action  round.ActionKind `json:"action"`
	Tag     string           `json:"asset_tag"`
	Room    string           `json:"room"`
	Visit   int64            `json:"visit"`
	Finding int64            `json:"finding"`
	Kind    reconcile.Kind   `json:"finding_kind"`
	Done    string           `json:"done"`
	Device  *store.Device    `json:"device,omitempty"`
}

func newConfirmCmd(a *app) *cobra.Command {
	return newActionCmd(a, round.Confirm, cobra.Command{
		Use:   "confirm TAG",
		Short: "Confirm a device where the last sweep expected it (records an audit)",
		Long: `Confirm that device TAG is where the newest sweep of its room expected it:
records an audit (last audited today, next audit due in a year) and brings a
device marked missing back into service. The room is the device's recorded
room unless --room is given. Refused, as in the terminal UI, when the sweep's
finding for the device is not verified, unverified or missing.`,
		Example: `  rounds confirm BME-00042
  rounds confirm BME-00042 --room MAIN/3/3W-12 --json`,
	}, nil)
}

func newMoveCmd(a *app) *cobra.Command {
	return newActionCmd(a, round.MoveHere, cobra.Command{
		Use:   "move TAG --room ROOM",
		Short: "Record a device in the room where the last sweep saw it",
		Long: `Record device TAG in ROOM, where the newest sweep of ROOM saw it although the
inventory put it elsewhere ("moved here" or "heard nearby"), and audit it.
Refused when the sweep of ROOM did not see the device.`,
		Example: `  rounds move BME-00042 --room MAIN/3/3W-14`,
	}, nil)
}

func newMissingCmd(a *app) *cobra.Command {
	return newActionCmd(a, round.MarkMissing, cobra.Command{
		Use:   "missing TAG",
		Short: "Mark a device missing after a sweep that did not find it",
		Long: `Set device TAG's status to missing. Refused unless the newest sweep of its
room (or of --room) expected the device and did not see it.`,
		Example: `  rounds missing BME-00042`,
	}, nil)
}

func newNoteCmd(a *app) *cobra.Command {
	return newActionCmd(a, round.Note, cobra.Command{
		Use:   "note TAG TEXT...",
		Short: "Attach a note to a device of the last sweep",
		Long: `Attach a note to device TAG, which must be among the findings of the newest
sweep of its room (or of --room), as in the terminal UI. The words of TEXT are
joined with spaces.`,
		Example: `  rounds note BME-00042 battery door cracked, tagged for PM`,
	}, nil)
}

// adoptFlags are adopt's own inputs.
type adoptFlags struct {
	seen, manufacturer, model, class string
	finding                          int64
}

func newAdoptCmd(a *app) *cobra.Command {
	var af adoptFlags
	cmd := newActionCmd(a, round.Adopt, cobra.Command{
		Use:   "adopt TAG --room ROOM --seen ADDRESS --model MODEL",
		Short: "Create a record for an unknown device the last sweep saw",
		Long: `Create an inventory record under the new asset tag TAG for a device the newest
sweep of ROOM saw but the inventory does not know (an "unknown" or unmatched
"heard nearby" finding), picked by an address it was seen with (--seen: IP, MAC
or BLE address) or by its finding id (--finding). The model comes from the
catalog (--model, with --manufacturer when two makers share a model name). The
record takes the addresses, serial and firmware the sweep observed. Refused
when TAG is already in use or the finding is not unknown.`,
		Example: `  rounds adopt BME-09001 --room MAIN/3/3W-12 --seen 10.3.12.57 --model "Alaris 8015"`,
	}, &af)
	f := cmd.Flags()
	f.StringVar(&af.seen, "seen", "", "pick the unknown device seen with this IP, MAC or BLE `ADDRESS`")
	f.Int64Var(&af.finding, "finding", 0, "pick the unknown device by finding `ID`")
	f.StringVar(&af.model, "model", "", "catalog `MODEL` of the device")
	f.StringVar(&af.manufacturer, "manufacturer", "", "catalog `MANUFACTURER` (when the model name is ambiguous)")
	f.StringVar(&af.class, "class", "", "device `CLASS` (default: the catalog's)")
	return cmd
}

func newActionCmd(a *app, kind round.ActionKind, base cobra.Command, af *adoptFlags) *cobra.Command {
	var o actionOptions
	cmd := base
	cmd.Args = exactArgs(1)
	if kind == round.Note {
		cmd.Args = minArgs(2)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runAction(cmd.Context(), a, kind, args, o, af)
	}
	cmd.Flags().StringVar(&o.room, "room", "", "room `KEY` or barcode whose newest sweep to act on")
	cmd.Flags().BoolVar(&o.jsonOut, "json", false, "print the result as one JSON object")
	return &cmd
}

func runAction(ctx context.Context, a *app, kind round.ActionKind, args []string, o actionOptions, af *adoptFlags) error {
	tag := strings.TrimSpace(args[0])
	if err := round.ValidTag(tag); err != nil {
		return usageError{err}
	}
	if (kind == round.MoveHere || kind == round.Adopt) && o.room == "" {
		return usagef("%s needs --room: the room whose sweep saw the device", kind)
	}
	if kind == round.Adopt && (af.seen == "") == (af.finding == 0) {
		return usagef("adopt needs one of --seen ADDRESS or --finding ID")
	}
	if kind == round.Adopt && af.model == "" {
		return usagef("adopt needs --model (a model of the catalog)")
	}
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	act := round.Action{Kind: kind}
	roomKey := ""
	if o.room != "" {
		room, err := findRoom(ctx, st, o.room)
		if err != nil {
			return err
		}
		roomKey = room.Key
	}
	if kind == round.Adopt {
		act.AssetTag = tag
		if act.Manufacturer, act.Model, act.DeviceClass, err = catalogModel(ctx, st, af); err != nil {
			return err
		}
	} else {
		d, err := st.Device(ctx, tag)
		if errors.Is(err, store.ErrNotFound) {
			return usagef("no device with asset tag %q", inert(tag))
		}
		if err != nil {
			return err
		}
		tag = d.AssetTag
		if roomKey == "" {
			roomKey = d.LocationKey
		}
	}
	if kind == round.Note {
		act.Text = strings.Join(args[1:], " ")
		if strings.TrimSpace(act.Text) == "" {
			return usagef("empty note")
		}
	}
	eng := &round.Engine{Store: st, Actor: a.technician()}
	vid, err := st.LatestRoomVisitID(ctx, roomKey)
	if errors.Is(err, store.ErrNotFound) {
		return refusal{fmt.Errorf("room %s was never swept: sweep it first (rounds scan --room %s)", inert(roomKey), inert(roomKey))}
	}
	if err != nil {
		return err
	}
	v, err := eng.Visit(ctx, vid)
	if err != nil {
		return err
	}
	it, err := pickItem(v, kind, tag, af)
	if err != nil {
		return err
	}
	done, err := eng.Apply(ctx, v, it, act)
	if errors.Is(err, round.ErrNotApplicable) || errors.Is(err, round.ErrTagTaken) {
		return refusal{err}
	}
	if err != nil {
		return err
	}
	a.log.Info("action", "action", string(kind), "tag", tag, "room", roomKey, "visit", v.ID, "finding", it.ID, "done", done.Action)
	res := actionResult{Action: kind, Tag: tag, Room: roomKey, Visit: v.ID, Finding: it.ID, Kind: it.Finding.Kind,
		Done: done.Action, Device: done.Finding.Device}
	if o.jsonOut {
		return writeJSON(a, res)
	}
	fmt.Fprintf(a.stdout, "%s in %s (visit %d, %s): %s\n", inert(tag), inert(roomKey), v.ID,
		v.StartedAt.Local().Format(time.DateTime), inert(done.Action))
	return nil
}

// refusal is an action the round's rules refuse (it does not apply to the
// finding, the tag is taken): nothing was written. It exits 3, like a
// change the CMDB rejects, so that a script can tell it from a failure.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

// pickItem finds the finding of visit v the action is about: the one of
// device tag, or for adopt the unknown device seen with an address or
// named by id.
func pickItem(v round.Visit, kind round.ActionKind, tag string, af *adoptFlags) (round.Item, error) {
	when := v.StartedAt.Local().Format(time.DateTime)
	if kind == round.Adopt {
		for _, it := range v.Items {
			if af.finding != 0 && it.ID == af.finding {
				return it, nil
			}
			if af.seen != "" && seenWith(it.Finding, af.seen) {
				return it, nil
			}
		}
		what := fmt.Sprintf("address %q", inert(af.seen))
		if af.finding != 0 {
			what = fmt.Sprintf("finding %d", af.finding)
		}
		return round.Item{}, refusal{fmt.Errorf("the newest sweep of %s (visit %d, %s) has no device with %s", inert(v.Room.Key), v.ID, when, what)}
	}
	for _, it := range v.Items {
		if d := it.Finding.Device; d != nil && strings.EqualFold(d.AssetTag, tag) {
			return it, nil
		}
	}
	return round.Item{}, refusal{fmt.Errorf("%s is not among the findings of the newest sweep of %s (visit %d, %s); sweep the room again or give --room",
		inert(tag), inert(v.Room.Key), v.ID, when)}
}

// seenWith reports whether a finding's observations carry address s.
func seenWith(f reconcile.Finding, s string) bool {
	s = strings.TrimSpace(s)
	for _, o := range f.Observations {
		if o.IP.IsValid() && o.IP.String() == s {
			return true
		}
		if o.MAC != "" && strings.EqualFold(o.MAC, s) {
			return true
		}
		if o.BLE != nil && strings.EqualFold(o.BLE.Address, s) {
			return true
		}
	}
	return false
}

// catalogModel finds the adopted device's model in the catalog, as the
// TUI's model picker does; an unknown model is a usage error naming the
// closest ones.
func catalogModel(ctx context.Context, st *store.Store, af *adoptFlags) (manufacturer, model, class string, err error) {
	ms, err := st.Models(ctx)
	if err != nil {
		return "", "", "", err
	}
	var hits []store.Model
	var names []string
	for _, m := range ms {
		names = append(names, m.Manufacturer+" "+m.Model)
		full := m.Manufacturer + " " + m.Model
		switch {
		case af.manufacturer != "" && !strings.EqualFold(m.Manufacturer, af.manufacturer):
		case strings.EqualFold(m.Model, af.model), strings.EqualFold(full, af.model):
			hits = append(hits, m)
		}
	}
	switch len(hits) {
	case 0:
		return "", "", "", usageError{fmt.Errorf("no model %q in the catalog%s", inert(af.model), choices(names, af.model))}
	case 1:
		class = hits[0].DeviceClass
		if af.class != "" {
			class = af.class
		}
		return hits[0].Manufacturer, hits[0].Model, class, nil
	}
	var makers []string
	for _, h := range hits {
		makers = append(makers, h.Manufacturer)
	}
	return "", "", "", usagef("model %q is made by %s: give --manufacturer", inert(af.model), inert(strings.Join(makers, ", ")))
}
