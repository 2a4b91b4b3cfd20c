package round

import (
	"context"
	"fmt"
	"time"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// StoreReconciler feeds package reconcile from the store for one visit:
// the room's expected devices with their identifiers, an identifier index
// built from only the rows the observations' identifiers find (a
// store-backed index equivalent, for these observations, to one over the
// whole inventory), the catalog, and the advisories and recalls.
type StoreReconciler struct {
	Store *store.Store
	// Advisories returns the advisory and recall matcher; nil means none
	// are loaded.
	Advisories func(ctx context.Context) (*advisory.Matcher, error)
	Policy     reconcile.Policy
}

// Preparer is a Reconciler that can do its reads first and its pure
// reconcile later: Engine.Apply reads before the action's transaction
// and recomputes the acted device's flags inside it, so that the action
// and its flags commit (or roll back) together.
type Preparer interface {
	// Prepare reads what a reconcile of the room needs and returns the
	// rest of it: given the devices an action changed, as the action's
	// transaction holds them, it returns the findings the room would
	// have once the action commits.
	Prepare(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) (func(changed ...store.Device) ([]reconcile.Finding, error), error)
}

// Reconcile implements Reconciler.
func (r *StoreReconciler) Reconcile(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) ([]reconcile.Finding, error) {
	run, err := r.Prepare(ctx, room, obs, swept, now)
	if err != nil {
		return nil, err
	}
	return run()
}

// Prepare implements Preparer.
func (r *StoreReconciler) Prepare(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) (func(changed ...store.Device) ([]reconcile.Finding, error), error) {
	st := r.Store
	inRoom, err := st.DevicesInRoom(ctx, room.Key)
	if err != nil {
		return nil, fmt.Errorf("expected devices: %w", err)
	}
	// Expected devices with their extra identifiers (BLE name patterns,
	// UDIs), which decide whether a sweep could have seen them.
	expected := make([]store.Device, 0, len(inRoom))
	for _, d := range inRoom {
		if d.Status != store.StatusRetired && d.Status != store.StatusDisposed {
			expected = append(expected, d)
		}
	}
	if err := st.LoadIdentifiers(ctx, expected); err != nil {
		return nil, fmt.Errorf("expected devices: %w", err)
	}
	// Look up what was seen, and the unique identifiers of the expected
	// devices too, so that a record elsewhere claiming one of them shows
	// as a duplicate identity.
	needles := reconcile.Needles(obs)
	for i := range expected {
		for _, id := range reconcile.DeviceIdents(&expected[i]) {
			switch id.Kind {
			case store.IdentMAC, store.IdentSerial, store.IdentUDI, store.IdentCMDBID:
				needles = append(needles, id)
			}
		}
	}
	seen, err := st.DevicesByIdentifiers(ctx, needles)
	if err != nil {
		return nil, fmt.Errorf("look up what was seen: %w", err)
	}
	models, err := st.Models(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var adv *advisory.Matcher
	if r.Advisories != nil {
		if adv, err = r.Advisories(ctx); err != nil {
			return nil, fmt.Errorf("advisories: %w", err)
		}
	}
	nets := swept.Nets
	if len(nets) == 0 && swept.IP {
		for _, sg := range room.Segments {
			nets = append(nets, sg.CIDR)
		}
	}
	catalog := reconcile.NewCatalog(models)
	return func(changed ...store.Device) ([]reconcile.Finding, error) {
		exp, found := overlay(room.Key, expected, seen, changed)
		b := reconcile.NewIndexBuilder(8 * (len(exp) + len(found)))
		devs := map[int64]*store.Device{}
		for _, list := range [][]store.Device{exp, found} {
			for i := range list {
				if _, ok := devs[list[i].ID]; ok {
					continue
				}
				d := list[i]
				devs[d.ID] = &d
				b.AddDevice(&d)
			}
		}
		in := reconcile.Input{
			Room:         room,
			Expected:     exp,
			Index:        b.Build(),
			Devices:      devs,
			Observations: obs,
			Catalog:      catalog,
			Advisories:   adv,
			Policy:       r.Policy,
			Sweeps:       reconcile.Sweeps{IP: swept.IP, BLE: swept.BLE, Nets: nets},
			Now:          now,
		}
		return reconcile.Reconcile(in), nil
	}, nil
}

// overlay puts the changed devices over what was read before the
// action: a changed device replaces its earlier copy (keeping the extra
// identifiers read then, which an action does not change), joins the
// room's expected devices when it now belongs there and is not retired,
// and leaves them when it no longer does. A device new to the store
// (adopted) joins the devices seen, so its identifiers match.
func overlay(roomKey string, expected, seen, changed []store.Device) ([]store.Device, []store.Device) {
	if len(changed) == 0 {
		return expected, seen
	}
	idents := map[int64][]store.Identifier{}
	for _, list := range [][]store.Device{expected, seen} {
		for _, d := range list {
			if len(d.Identifiers) > 0 {
				idents[d.ID] = d.Identifiers
			}
		}
	}
	byID := map[int64]store.Device{}
	for _, d := range changed {
		if len(d.Identifiers) == 0 {
			d.Identifiers = idents[d.ID]
		}
		byID[d.ID] = d
	}
	var exp, found []store.Device
	placed := map[int64]bool{}
	for _, d := range expected {
		if c, ok := byID[d.ID]; ok {
			d = c
			placed[d.ID] = true
			if d.LocationKey != roomKey || d.Status == store.StatusRetired || d.Status == store.StatusDisposed {
				continue
			}
		}
		exp = append(exp, d)
	}
	for _, d := range changed {
		if !placed[d.ID] && d.LocationKey == roomKey && d.Status != store.StatusRetired && d.Status != store.StatusDisposed {
			exp = append(exp, byID[d.ID])
			placed[d.ID] = true
		}
	}
	inSeen := map[int64]bool{}
	for _, d := range seen {
		if c, ok := byID[d.ID]; ok {
			d = c
		}
		inSeen[d.ID] = true
		found = append(found, d)
	}
	for _, d := range changed {
		if !inSeen[d.ID] {
			found = append(found, byID[d.ID])
		}
	}
	return exp, found
}
