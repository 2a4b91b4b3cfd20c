package ble

import (
	"bytes"
	"cmp"
	"slices"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/oui"
)

// Gate decides whether an advertiser is in the room or only heard from
// nearby (through a wall, down the corridor).
type Gate struct {
	// MinRSSI is the signal, in dBm, that a device in the room reaches:
	// its median RSSI must be at least this.
	MinRSSI int
	// Dwell is how long the device must be heard at or above MinRSSI,
	// from the first such advertisement to the last. It keeps a device
	// carried past the door from counting as in the room.
	Dwell time.Duration
}

// DefaultGate suits a patient room swept from its middle: a device in
// the room is typically heard at -40 to -70 dBm, one behind a wall at
// -80 dBm or weaker.
var DefaultGate = Gate{MinRSSI: -75, Dwell: 4 * time.Second}

// Place applies the gate to a median RSSI and a strong-signal dwell.
func (g Gate) Place(median int, dwell time.Duration) scan.Placement {
	if median >= g.MinRSSI && dwell >= g.Dwell {
		return scan.InRoom
	}
	return scan.Nearby
}

// RoomConfig configures the aggregation of advertisements into
// observations.
type RoomConfig struct {
	Gate Gate
	// Window drops advertisers not heard for this long from snapshots;
	// zero keeps everything heard during the sweep.
	Window time.Duration
	// MaxAdvertisers caps the distinct addresses tracked (memory is
	// bounded by it); advertisements from further addresses are counted
	// and ignored. Zero means DefaultMaxAdvertisers.
	MaxAdvertisers int
}

// Room aggregates advertisements heard during one sweep: one entry per
// address (deduplicated), RSSI statistics, the room gate, and the grouping
// of rotating private addresses that belong to one device. It is not safe
// for concurrent use.
type Room struct {
	cfg      RoomConfig
	addrs    map[addrKey]*tracked
	order    []*tracked
	layouts  map[layoutKey]*layout
	ad       AD
	badAD    int
	maskGen  uint64 // counts changes to any layout mask
	dis      map[[6]byte]disResult
	max      int
	overflow int
}

// BadAD returns the number of malformed AD structures and fields skipped
// in the advertisements added so far.
func (r *Room) BadAD() int { return r.badAD }

// Overflow returns how many advertisements from addresses beyond
// MaxAdvertisers were ignored.
func (r *Room) Overflow() int { return r.overflow }

// DefaultMaxAdvertisers is the cap on distinct addresses one sweep
// tracks when RoomConfig.MaxAdvertisers is zero: a busy ward hears a few
// hundred; 20,000 take about 30 MB.
const DefaultMaxAdvertisers = 20000

// NewRoom returns an empty aggregation.
func NewRoom(cfg RoomConfig) *Room {
	if cfg.Gate == (Gate{}) {
		cfg.Gate = DefaultGate
	}
	if cfg.MaxAdvertisers <= 0 {
		cfg.MaxAdvertisers = DefaultMaxAdvertisers
	}
	return &Room{
		cfg:     cfg,
		max:     cfg.MaxAdvertisers,
		addrs:   make(map[addrKey]*tracked),
		layouts: make(map[layoutKey]*layout),
	}
}

// Len returns the number of distinct addresses heard.
func (r *Room) Len() int { return len(r.order) }

type addrKey struct {
	a      [6]byte
	random bool
}

// tracked is everything kept about one address.
type tracked struct {
	addr    [6]byte
	typ     scan.AddrType
	first   time.Time
	last    time.Time
	count   int
	hist    [256]uint32 // RSSI histogram, index rssi+128
	rssiN   int
	rssi    int8
	strong  bool
	strong0 time.Time // first advertisement at or above the gate
	strong1 time.Time // last one

	adv, rsp    []byte // latest advertising data and scan response
	connectable bool
	txExt       int8
	txExtValid  bool

	feats  []feature // stable-payload features (rotating addresses only)
	sig    uint64    // cached signature, valid when sigOK and sigGen is current
	sigGen uint64
	sigOK  bool
}

// Add accounts one advertising report heard at t. It copies what it keeps.
func (r *Room) Add(t time.Time, rep *Report) {
	k := addrKey{rep.Addr, rep.HCIAddrType&1 == 1}
	tr := r.addrs[k]
	if tr == nil {
		if len(r.order) >= r.max {
			// Each tracked address costs about 1.5 KB; beyond the cap a
			// capture or a flood of random addresses would take the
			// laptop's memory. The sweep reports itself incomplete.
			r.overflow++
			return
		}
		tr = &tracked{addr: rep.Addr, typ: rep.AddrType, first: t}
		r.addrs[k] = tr
		r.order = append(r.order, tr)
	}
	if t.After(tr.last) {
		tr.last = t
	}
	tr.count++
	if rep.RSSIValid {
		tr.hist[int(rep.RSSI)+128]++
		tr.rssiN++
		tr.rssi = rep.RSSI
		if int(rep.RSSI) >= r.cfg.Gate.MinRSSI {
			if !tr.strong {
				tr.strong, tr.strong0 = true, t
			}
			tr.strong1 = t
		}
	}
	if rep.ScanResponse {
		tr.rsp = append(tr.rsp[:0], rep.Data...)
	} else {
		tr.adv = append(tr.adv[:0], rep.Data...)
		tr.connectable = rep.Connectable
	}
	if rep.TxPowerValid {
		tr.txExt, tr.txExtValid = rep.TxPower, true
	}
	r.ad.Parse(rep.Data)
	r.badAD += r.ad.Bad
	if tr.typ.Rotating() {
		r.learn(tr, &r.ad)
	}
}

// Snapshot returns one observation per advertiser heard within the window
// before now: per address for public and static addresses, per group for
// rotating ones. The order is by first sighting, then key.
func (r *Room) Snapshot(now time.Time) []scan.Observation {
	var live []*tracked
	for _, tr := range r.order {
		if r.cfg.Window > 0 && now.Sub(tr.last) > r.cfg.Window {
			continue
		}
		live = append(live, tr)
	}
	groups := r.group(live)
	out := make([]scan.Observation, 0, len(groups))
	for _, g := range groups {
		out = append(out, r.observe(g))
	}
	slices.SortStableFunc(out, func(a, b scan.Observation) int {
		if c := a.BLE.FirstSeen.Compare(b.BLE.FirstSeen); c != 0 {
			return c
		}
		return cmp.Compare(a.Key(), b.Key())
	})
	return out
}

// group is one advertiser: one address, or the chain of rotating
// addresses of one device.
type group struct {
	key   string
	addrs []*tracked // by first sighting
}

// observe builds the observation of a group.
func (r *Room) observe(g group) scan.Observation {
	latest := g.addrs[0]
	for _, tr := range g.addrs {
		if tr.last.After(latest.last) {
			latest = tr
		}
	}
	b := &scan.BLE{
		Address:     FormatAddr(latest.addr),
		AddressType: latest.typ,
		GroupKey:    g.key,
		Connectable: latest.connectable,
		RSSI:        int(latest.rssi),
		FirstSeen:   g.addrs[0].first,
	}
	if g.key != "" {
		for _, tr := range g.addrs {
			b.Addresses = append(b.Addresses, FormatAddr(tr.addr))
		}
	}
	// A single address's histogram is used as is; a group's are summed.
	hist := &g.addrs[0].hist
	if len(g.addrs) > 1 {
		hist = new([256]uint32)
	}
	var n int
	var s0, s1 time.Time
	for _, tr := range g.addrs {
		b.Count += tr.count
		if tr.first.Before(b.FirstSeen) {
			b.FirstSeen = tr.first
		}
		if len(g.addrs) > 1 {
			for i, c := range tr.hist {
				hist[i] += c
			}
		}
		n += tr.rssiN
		if tr.strong {
			if s0.IsZero() || tr.strong0.Before(s0) {
				s0 = tr.strong0
			}
			if tr.strong1.After(s1) {
				s1 = tr.strong1
			}
		}
	}
	b.RSSIMax, b.RSSIMedian = histStats(hist, n)
	if n == 0 {
		b.RSSI = 0
	}
	var dwell time.Duration
	if !s0.IsZero() {
		dwell = s1.Sub(s0)
	}
	b.Placement = r.cfg.Gate.Place(b.RSSIMedian, dwell)
	if n == 0 {
		b.Placement = scan.Nearby
	}

	// Payload facts: the latest address first, the others fill gaps in
	// the name and services; manufacturer and service data, which carry
	// counters and readings, come from the latest address only.
	var f facts
	for i := -1; i < len(g.addrs); i++ {
		tr := latest
		if i >= 0 {
			if tr = g.addrs[i]; tr == latest {
				continue
			}
		}
		f.add(&r.ad, tr.adv, i < 0)
		f.add(&r.ad, tr.rsp, i < 0)
		if !f.hasTx && tr.txExtValid {
			t := int(tr.txExt)
			f.tx, f.hasTx = &t, true
		}
	}
	f.fill(b)

	ob := scan.Observation{Time: latest.last, Source: scan.SourceBLE, BLE: b}
	b.CompanyVendor = companyVendor(b.ManufacturerData)
	if b.AddressType == scan.AddrPublic {
		b.OUIVendor = oui.Lookup(b.Address)
	}
	// The registrant of a public address is who made the radio; the
	// company ID is who the payload says. Both are kept on b; Vendor
	// shows both when they differ.
	ob.Vendor = vendorLabel(b.CompanyVendor, b.OUIVendor)
	for _, tr := range g.addrs {
		if d, ok := r.dis[tr.addr]; ok {
			ob.Hints = d.hints
			ob.Fingerprints = append(ob.Fingerprints, d.fp)
			break
		}
	}
	return ob
}

// histStats returns the maximum and the (lower) median of an RSSI
// histogram holding n samples.
func histStats(h *[256]uint32, n int) (maxRSSI, median int) {
	if n == 0 {
		return 0, 0
	}
	for i := 255; i >= 0; i-- {
		if h[i] > 0 {
			maxRSSI = i - 128
			break
		}
	}
	rank := uint32((n - 1) / 2)
	var seen uint32
	for i, c := range h {
		seen += c
		if seen > rank {
			return maxRSSI, i - 128
		}
	}
	return maxRSSI, maxRSSI
}

// facts accumulates the decoded payload of a group.
type facts struct {
	name         string
	nameComplete bool
	mfr          []scan.ManufacturerData
	svc          []scan.ServiceData
	services     []string
	tx           *int
	hasTx        bool
	appearance   uint16
}

func (f *facts) add(ad *AD, data []byte, payload bool) {
	if len(data) == 0 {
		return
	}
	ad.Parse(data)
	if ad.Name != nil && (f.name == "" || (ad.NameComplete && !f.nameComplete)) {
		f.name, f.nameComplete = string(ad.Name), ad.NameComplete
	}
	if !payload {
		ad.NManufacturer, ad.NServiceData = 0, 0
	}
	for _, e := range ad.Manufacturer[:ad.NManufacturer] {
		id := CompanyID(e)
		d := clip(e[manufacturerIDLen:])
		if !slices.ContainsFunc(f.mfr, func(m scan.ManufacturerData) bool {
			return m.CompanyID == id && bytes.Equal(m.Data, d)
		}) {
			f.mfr = append(f.mfr, scan.ManufacturerData{CompanyID: id, Company: CompanyName(id), Data: bytes.Clone(d)})
		}
	}
	for _, s := range ad.ServiceData[:ad.NServiceData] {
		u, d := UUIDString(s.UUID()), clip(s.Data())
		if !slices.ContainsFunc(f.svc, func(x scan.ServiceData) bool { return x.UUID == u && bytes.Equal(x.Data, d) }) {
			f.svc = append(f.svc, scan.ServiceData{UUID: u, Data: bytes.Clone(d)})
		}
	}
	for _, l := range ad.UUIDs[:ad.NUUIDs] {
		for i := 0; i+l.Width <= len(l.B); i += l.Width {
			if u := UUIDString(l.B[i : i+l.Width]); !slices.Contains(f.services, u) {
				f.services = append(f.services, u)
			}
		}
	}
	if ad.HasTxPower && !f.hasTx {
		t := int(ad.TxPower)
		f.tx, f.hasTx = &t, true
	}
	if ad.HasAppearance && f.appearance == 0 {
		f.appearance = ad.Appearance
	}
}

func (f *facts) fill(b *scan.BLE) {
	b.Name = f.name
	b.ManufacturerData = f.mfr
	b.ServiceData = f.svc
	b.Services = f.services
	b.TxPower = f.tx
	b.Appearance = f.appearance
}

// clip bounds raw payload kept in an observation.
func clip(b []byte) []byte {
	if len(b) > scan.MaxRaw {
		return b[:scan.MaxRaw]
	}
	return b
}
