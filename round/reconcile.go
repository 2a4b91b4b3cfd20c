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

// Reconcile implements Reconciler.
func (r *StoreReconciler) Reconcile(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) ([]reconcile.Finding, error) {
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
	b := reconcile.NewIndexBuilder(8 * (len(expected) + len(seen)))
	devs := map[int64]*store.Device{}
	for _, list := range [][]store.Device{expected, seen} {
		for i := range list {
			if _, ok := devs[list[i].ID]; ok {
				continue
			}
			d := list[i]
			devs[d.ID] = &d
			b.AddDevice(&d)
		}
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
	in := reconcile.Input{
		Room:         room,
		Expected:     expected,
		Index:        b.Build(),
		Devices:      devs,
		Observations: obs,
		Catalog:      reconcile.NewCatalog(models),
		Advisories:   adv,
		Policy:       r.Policy,
		Sweeps:       reconcile.Sweeps{IP: swept.IP, BLE: swept.BLE, Nets: nets},
		Now:          now,
	}
	return reconcile.Reconcile(in), nil
}
