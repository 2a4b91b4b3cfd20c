package gen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// Options say what to generate.
type Options struct {
	// Seed selects one of many inventories of the same size.
	Seed int64
	// Devices is the number of devices; rooms and buildings are added
	// until every device has a room.
	Devices int
	// Now anchors the dates (PM due, audits); zero means today, UTC.
	// Fix it for output that must not change from day to day.
	Now time.Time
	// Site names the hospital; empty means "General Hospital".
	Site string
}

// Generator produces one inventory. Create it with New.
type Generator struct {
	o        Options
	now      time.Time
	rooms    []room
	segments int
}

// New plans the inventory: rooms and what each holds. Devices are only
// made when asked for, one at a time.
func New(o Options) *Generator {
	if o.Devices < 0 {
		o.Devices = 0
	}
	if o.Site == "" {
		o.Site = "General Hospital"
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	y, m, d := now.UTC().Date()
	g := &Generator{o: o, now: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
	g.layout()
	return g
}

// Inventory is a whole generated inventory in memory; use it for small
// sizes (tests, the demo).
type Inventory struct {
	Locations []store.Location
	Models    []store.Model
	Devices   []store.Device
}

// Generate returns the inventory of the given seed and size, dated today.
func Generate(seed int64, devices int) Inventory {
	g := New(Options{Seed: seed, Devices: devices})
	inv := Inventory{Locations: g.Locations(), Models: g.Models()}
	inv.Devices = make([]store.Device, 0, devices)
	_ = g.EachDevice(func(d store.Device) error {
		inv.Devices = append(inv.Devices, d)
		return nil
	})
	return inv
}

// Locations returns every planned room, with its segments, in key order.
func (g *Generator) Locations() []store.Location {
	out := make([]store.Location, len(g.rooms))
	for i, r := range g.rooms {
		out[i] = r.loc
		out[i].Segments = slices.Clone(r.loc.Segments)
	}
	slices.SortFunc(out, func(a, b store.Location) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Models returns the catalog (the same as Catalog).
func (g *Generator) Models() []store.Model { return Catalog() }

func sortModels(ms []store.Model) {
	slices.SortFunc(ms, func(a, b store.Model) int {
		if c := strings.Compare(a.Manufacturer, b.Manufacturer); c != 0 {
			return c
		}
		return strings.Compare(a.Model, b.Model)
	})
}

// Rooms returns the number of planned rooms.
func (g *Generator) Rooms() int { return len(g.rooms) }

// RoomKeys returns the keys of the rooms that hold devices, in layout
// order, for benchmarks that pick rooms to load.
func (g *Generator) RoomKeys() []string {
	var out []string
	for _, r := range g.rooms {
		if len(r.plan) > 0 {
			out = append(out, r.loc.Key)
		}
	}
	return out
}

// EachDevice calls fn for every device in asset-tag order, stopping at
// the first error fn returns.
func (g *Generator) EachDevice(fn func(store.Device) error) error {
	hosts := make([]uint16, g.segments)
	i := 0
	for ri := range g.rooms {
		r := &g.rooms[ri]
		for _, ci := range r.plan {
			d := g.device(i, r, &catalog[ci], hosts)
			if err := fn(d); err != nil {
				return err
			}
			i++
		}
	}
	return nil
}

// Load writes the inventory into st in one transaction without journal
// entries: generated data stands for the CMDB's own state, not for local
// changes to push. Rooms and models are upserted; the devices must be new
// to st (a conflict aborts the load and writes nothing).
func (g *Generator) Load(ctx context.Context, st *store.Store) error {
	return st.BulkWrite(ctx, "gen", func(w *store.Writer) error {
		w.NoJournal = true
		if err := w.MarkGenerated("rounds generate"); err != nil {
			return err
		}
		for _, m := range g.Models() {
			if _, err := w.PutModel(m); err != nil {
				return err
			}
		}
		for _, l := range g.Locations() {
			if _, err := w.PutLocation(l); err != nil {
				return err
			}
		}
		// Generated devices are new and their identifiers unique, so they
		// take the store's bulk path, a batch at a time.
		batch := make([]store.Device, 0, 256)
		flush := func() error {
			err := w.CreateDevices(batch)
			batch = batch[:0]
			return err
		}
		err := g.EachDevice(func(d store.Device) error {
			batch = append(batch, d)
			if len(batch) < cap(batch) {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			return flush()
		})
		if err != nil {
			return err
		}
		return flush()
	})
}

// Multipliers of the bijections that turn a device number into unique
// identifiers: odd for powers of two, coprime to 10 for decimal serials.
const (
	macMul    = 0x9E3779       // odd: a bijection modulo 2^24
	bleMul    = 0x2545F4914F6D // odd: a bijection modulo 2^46
	serialMul = 54435761       // coprime to 10^8
)

// device makes device i of room r.
func (g *Generator) device(i int, r *room, e *entry, hosts []uint16) store.Device {
	rng := rand.New(rand.NewPCG(uint64(g.o.Seed), uint64(i)<<1))
	seed := uint64(g.o.Seed)
	d := store.Device{
		AssetTag:     fmt.Sprintf("BME-%07d", i+1),
		Serial:       fmt.Sprintf("%s%08d", e.prefix, (uint64(i)*serialMul+seed)%100000000),
		Manufacturer: e.Manufacturer,
		Model:        e.Model.Model,
		DeviceClass:  e.DeviceClass,
		LocationKey:  r.loc.Key,
		Status:       status(rng),
		OS:           e.OS,
		Owner:        owners[r.kind],
	}
	if n := len(e.firmware); n > 0 {
		switch x := rng.IntN(100); {
		case x < 8 && e.minIdx > 0: // below the supported baseline
			d.FirmwareVersion = e.firmware[rng.IntN(e.minIdx)]
		case x < 25:
			d.FirmwareVersion = e.firmware[e.minIdx]
		default:
			d.FirmwareVersion = e.firmware[e.minIdx+rng.IntN(n-e.minIdx)]
			if rng.IntN(2) == 0 {
				d.FirmwareVersion = e.firmware[n-1]
			}
		}
	}
	if len(e.osVersions) > 0 {
		d.OSVersion = e.osVersions[rng.IntN(len(e.osVersions))]
	}
	if e.link.ip() {
		m := (uint64(i)*macMul + seed) & 0xFFFFFF
		d.MAC = fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", e.oui[0], e.oui[1], e.oui[2], byte(m>>16), byte(m>>8), byte(m))
		seg := r.clinical
		if isImaging(e.DeviceClass) && r.imaging >= 0 || seg < 0 {
			seg = r.imaging
		}
		// A few units sit on the guest Wi-Fi where they must not be.
		if r.guest >= 0 && e.link == linkWiFi && rng.IntN(100) < 2 {
			seg = r.guest
		}
		if seg >= 0 {
			h := hosts[seg]
			hosts[seg]++
			a := segmentPrefix(seg).Addr().As4()
			a[3] = byte(10 + int(h)%244)
			d.IP = netip.AddrFrom4(a).String()
		}
		d.Hostname = fmt.Sprintf("%s-%s-%07d", abbrev(e.DeviceClass), strings.ToLower(r.loc.Building), i+1)
	}
	if e.link.ble() {
		b := 0xC00000000000 | (uint64(i)*bleMul+seed)&0x3FFFFFFFFFFF
		d.BLEAddress = fmt.Sprintf("%02X:%02X:%02X:%02X:%02X:%02X", byte(b>>40), byte(b>>32), byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
	}
	// Annual preventive maintenance: about one unit in ten is overdue.
	d.LastPM = g.now.AddDate(0, 0, -rng.IntN(400))
	d.NextPMDue = d.LastPM.AddDate(1, 0, 0)
	d.LastAudited = g.now.AddDate(0, 0, -30-rng.IntN(700))
	d.NextAuditDue = d.LastAudited.AddDate(1, 0, 0)
	if rng.IntN(10) != 0 {
		d.CMDBID = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	}
	return d
}

func isImaging(class string) bool { return allowedTags(class)[0] == "imaging" }

// status draws a lifecycle state: most units are in service.
func status(rng *rand.Rand) store.Status {
	switch x := rng.IntN(1000); {
	case x < 930:
		return store.StatusInService
	case x < 950:
		return store.StatusInRepair
	case x < 970:
		return store.StatusMissing
	case x < 980:
		return store.StatusLoaned
	case x < 995:
		return store.StatusRetired
	default:
		return store.StatusDisposed
	}
}

// abbrev makes a hostname prefix from a device class.
func abbrev(class string) string {
	var b strings.Builder
	for _, w := range strings.Fields(strings.ToLower(class)) {
		for _, c := range w {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				b.WriteRune(c)
				break
			}
		}
	}
	if b.Len() < 2 {
		s := strings.ToLower(strings.ReplaceAll(class, "-", ""))
		if len(s) > 3 {
			s = s[:3]
		}
		return s
	}
	return b.String()
}
