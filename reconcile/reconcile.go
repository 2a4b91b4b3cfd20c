package reconcile

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/scan"
)

// Sweeps says which sweeps ran to completion in the room. A device that
// only a sweep that did not run could have seen is unverified, not
// missing.
type Sweeps struct {
	IP  bool `json:"ip"`
	BLE bool `json:"ble"`
	// Nets are the segments the IP sweep covered. A device recorded at an
	// address outside them could not have been seen. Empty means the
	// coverage is not known and is not checked.
	Nets []netip.Prefix `json:"nets,omitempty"`
}

// SegmentRule says which segment tags devices of a class may sit on, for
// models whose catalog entry names none.
type SegmentRule struct {
	// Class is a device class as in the catalog ("infusion pump"),
	// compared without case.
	Class   string   `json:"class"`
	Allowed []string `json:"allowed"`
}

// Policy holds the site's rules.
type Policy struct {
	// PMGrace and AuditGrace delay the overdue flags past the due date.
	PMGrace    time.Duration
	AuditGrace time.Duration
	// PMInterval and AuditInterval derive a due date from the last one
	// when the record has no due date; zero means one year.
	PMInterval    time.Duration
	AuditInterval time.Duration
	// Segments are class rules for models without AllowedTags.
	Segments []SegmentRule
}

// Input is everything one reconciliation needs. Index, Catalog and
// Advisories are built once and shared; the rest is per room visit.
type Input struct {
	// Room is the room swept, with its segments and RF shielding.
	Room inventory.Location
	// Expected are the devices recorded in the room.
	Expected []inventory.Device
	// Index resolves identifiers over the inventory (all of it, or the
	// rows the observations' Needles found).
	Index *Index
	// Devices holds the records of every device Index can return for
	// these observations (Index.Candidates lists them); expected devices
	// need not be repeated. A device the index returns without a record
	// is ignored.
	Devices map[int64]*inventory.Device
	// Observations are what the sweeps saw; a later observation with the
	// same Key supersedes an earlier one.
	Observations []scan.Observation
	Catalog      *Catalog
	// Advisories matches devices against advisories and recalls; nil
	// means none are loaded.
	Advisories *advisory.Matcher
	Policy     Policy
	Sweeps     Sweeps
	Now        time.Time
}

// Confidence of a match by each identifier.
const (
	confMAC        = 0.99
	confUDI        = 0.99
	confSerialDIS  = 0.98
	confSerial     = 0.97
	confCMDB       = 0.97
	confBLEPublic  = 0.90
	confBLEStatic  = 0.85
	confHostname   = 0.70
	confIP         = 0.50
	confBLEName    = 0.40
	confBLEPattern = 0.30
)

// latest is scan.Latest, the one de-duplication of observations.
func latest(obs []scan.Observation) []scan.Observation { return scan.Latest(obs) }

// nearbyOnly reports whether every observation is a BLE advertiser heard
// only faintly.
func nearbyOnly(obs []scan.Observation) bool {
	for _, o := range obs {
		if o.Source != scan.SourceBLE || o.BLE == nil || o.BLE.Placement != scan.Nearby {
			return false
		}
	}
	return len(obs) > 0
}

// Reconcile derives the findings of a room visit: one per device seen or
// expected, one per unknown thing seen, each with the flags that apply.
// A device seen by both BLE and IP is one finding with both
// observations. Findings come in review order (Kinds), then by asset tag
// or label.
func Reconcile(in Input) []Finding {
	r := &resolver{in: &in}
	obs := latest(in.Observations)
	expected := make(map[int64]*inventory.Device, len(in.Expected))
	for i := range in.Expected {
		expected[in.Expected[i].ID] = &in.Expected[i]
	}
	type seen struct {
		dev   *inventory.Device
		obs   []scan.Observation
		match *Match
	}
	byDev := map[int64]*seen{}
	var devOrder []int64
	unknown := make([]Finding, 0, len(obs)/4)
	unknownBy := map[string]int{} // strong hint -> index in unknown
	dupSuspects := map[int64]string{}
	for i := range obs {
		o := &obs[i]
		res := r.resolve(o)
		switch {
		case res.dev != nil:
			s := byDev[res.dev.ID]
			if s == nil {
				s = &seen{dev: res.dev, match: res.match}
				byDev[res.dev.ID] = s
				devOrder = append(devOrder, res.dev.ID)
			} else if res.match.Confidence > s.match.Confidence {
				s.match = res.match
			}
			s.obs = append(s.obs, *o)
		case len(res.claimants) > 0:
			f := Finding{Kind: Unknown, Observations: []scan.Observation{*o}}
			var tags []string
			for _, c := range res.claimants {
				f.Claimants = append(f.Claimants, *c)
				tags = append(tags, c.AssetTag)
				dupSuspects[c.ID] = identLabel(res.dupBy.kind) + " " + res.dupBy.value
			}
			if nearbyOnly(f.Observations) {
				f.Kind = HeardNearby
			}
			f.Reason = fmt.Sprintf("%s %s is claimed by %d inventory records (%s): not guessing which; resolve the duplicate",
				identLabel(res.dupBy.kind), res.dupBy.value, len(res.claimants), strings.Join(tags, ", "))
			f.Flags = append(f.Flags, Flag{Kind: DuplicateIdentity, Severity: Warning, Rule: "one identifier, several records",
				Evidence: map[string]string{"identifier": string(res.dupBy.kind), "value": res.dupBy.value, "records": strings.Join(tags, ", ")}})
			unknown = append(unknown, f)
		default:
			key := unknownKey(o)
			if j, ok := unknownBy[key]; ok && key != "" {
				unknown[j].Observations = append(unknown[j].Observations, *o)
				if unknown[j].Kind == HeardNearby && !nearbyOnly(unknown[j].Observations) {
					unknown[j].Kind = Unknown
				}
				continue
			}
			f := Finding{Kind: Unknown, Observations: []scan.Observation{*o}, Reason: res.note}
			if nearbyOnly(f.Observations) {
				f.Kind = HeardNearby
			}
			if key != "" {
				unknownBy[key] = len(unknown)
			}
			unknown = append(unknown, f)
		}
	}
	fl := newFlagger(&in)
	out := make([]Finding, 0, len(devOrder)+len(in.Expected)+len(unknown))
	for _, id := range devOrder {
		s := byDev[id]
		f := Finding{Device: s.dev, Observations: s.obs, Match: s.match}
		_, isExpected := expected[id]
		switch {
		case nearbyOnly(s.obs) && isExpected:
			f.Kind = HeardNearby
			f.Reason = "expected here but heard only faintly: it may be next door"
		case nearbyOnly(s.obs):
			f.Kind = HeardNearby
			f.Reason = "heard faintly: probably next door; " + recordedIn(s.dev)
		case isExpected:
			f.Kind = Verified
		default:
			f.Kind = MovedHere
			f.Reason = recordedIn(s.dev)
		}
		if st := s.dev.Status; st != inventory.StatusInService && st != "" && f.Kind != HeardNearby {
			f.Reason = joinReason(f.Reason, "recorded as "+strings.ReplaceAll(string(st), "_", " "))
		}
		f.Flags = fl.flags(s.dev, s.obs)
		out = append(out, f)
	}
	for i := range in.Expected {
		d := &in.Expected[i]
		if _, ok := byDev[d.ID]; ok {
			continue
		}
		if d.Status == inventory.StatusRetired || d.Status == inventory.StatusDisposed {
			continue
		}
		f := Finding{Device: d}
		if why, ok := dupSuspects[d.ID]; ok {
			f.Kind, f.Reason = Unverified, "may be the unit whose "+why+" is claimed by several records"
		} else if d.Status == inventory.StatusInRepair || d.Status == inventory.StatusLoaned {
			f.Kind, f.Reason = Unverified, "recorded as "+strings.ReplaceAll(string(d.Status), "_", " ")+": not expected on the floor"
		} else if ok, why := couldSee(d, &in); ok {
			f.Kind, f.Reason = Missing, why
		} else {
			f.Kind, f.Reason = Unverified, why
		}
		f.Flags = fl.flags(d, nil)
		out = append(out, f)
	}
	cands := map[string][]Candidate{}
	for i := range unknown {
		f := &unknown[i]
		if len(f.Claimants) == 0 {
			f.Reason = joinReason(unknownReason(f.Kind, f.Observations), f.Reason)
			sig := signature(&f.Observations[0])
			cs, ok := cands[sig]
			if !ok {
				cs = in.Catalog.Candidates(&f.Observations[0], 3)
				cands[sig] = cs
			}
			f.Candidates = cs
			for i := range cs {
				if cs[i].ReportedModel {
					c := cs[i]
					f.Suggested = &c
					break
				}
			}
		}
	}
	out = append(out, unknown...)
	rank := map[Kind]int{}
	for i, k := range Kinds {
		rank[k] = i
	}
	type sortKey struct {
		rank  int
		label string
	}
	keys := make([]sortKey, len(out))
	order := make([]int, len(out))
	for i := range out {
		keys[i] = sortKey{rank[out[i].Kind], sortLabel(&out[i])}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ka, kb := keys[order[a]], keys[order[b]]
		if ka.rank != kb.rank {
			return ka.rank < kb.rank
		}
		return ka.label < kb.label
	})
	sorted := make([]Finding, len(out))
	for i, j := range order {
		sorted[i] = out[j]
	}
	return sorted
}

func sortLabel(f *Finding) string {
	if f.Device != nil {
		return f.Device.AssetTag
	}
	if len(f.Observations) > 0 {
		return "~" + f.Observations[0].Key()
	}
	return "~"
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func recordedIn(d *inventory.Device) string {
	if d.LocationKey == "" {
		return "no room recorded"
	}
	return "recorded in " + d.LocationKey
}

// unknownKey groups unmatched observations that share a strong hint (a
// BLE advertiser and an IP host reporting the same serial are one unit).
func unknownKey(o *scan.Observation) string {
	if s := NormalizeIdent(inventory.IdentSerial, o.Hints.Serial); s != "" {
		return "serial:" + advisory.NormalizeVendor(o.Hints.Manufacturer) + ":" + s
	}
	if u := NormalizeIdent(inventory.IdentUDI, o.Hints.UDI); u != "" {
		return "udi:" + u
	}
	return ""
}

// unknownReason summarises what is known of an unknown thing: vendor,
// reported identity, services and ports.
func unknownReason(k Kind, obs []scan.Observation) string {
	var parts []string
	if k == HeardNearby {
		parts = append(parts, "heard faintly: probably next door")
	} else {
		parts = append(parts, "not in the inventory")
	}
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	for _, o := range obs {
		if o.Hints.Manufacturer != "" || o.Hints.Model != "" {
			add("reports " + strings.TrimSpace(o.Hints.Manufacturer+" "+o.Hints.Model))
		}
		if o.Hints.Serial != "" {
			add("serial " + o.Hints.Serial)
		}
		if o.Vendor != "" {
			if o.Source == scan.SourceBLE {
				add("BLE company " + o.Vendor)
			} else {
				add("MAC vendor " + o.Vendor)
			}
		}
		if o.BLE != nil && o.BLE.AddressType.Rotating() {
			add("rotating BLE address")
		}
		if o.BLE != nil && len(o.BLE.Services) > 0 {
			add("services " + strings.Join(o.BLE.Services, ","))
		}
		if len(o.Ports) > 0 {
			ps := make([]string, len(o.Ports))
			for i, p := range o.Ports {
				ps[i] = fmt.Sprint(p)
			}
			add("ports " + strings.Join(ps, ","))
		}
		for _, fp := range o.Fingerprints {
			add(fp.Kind)
		}
	}
	return strings.Join(parts, "; ")
}

// couldSee reports whether the sweeps that ran could have seen d here,
// and says why (or why not).
func couldSee(d *inventory.Device, in *Input) (bool, string) {
	if in.Room.RFShielded {
		return false, "RF-shielded room: a sweep from outside cannot see in; check by eye"
	}
	ipCapable := d.IP != "" || d.MAC != "" || d.Hostname != ""
	bleCapable := d.BLEAddress != ""
	for _, id := range d.Identifiers {
		switch id.Kind {
		case inventory.IdentBLEAddress, inventory.IdentBLEName:
			bleCapable = true
		case inventory.IdentMAC, inventory.IdentIP, inventory.IdentHostname:
			ipCapable = true
		}
	}
	if !ipCapable && !bleCapable {
		return false, "no network or BLE identifier recorded: check by eye or barcode"
	}
	var why []string
	if ipCapable {
		switch {
		case !in.Sweeps.IP:
			why = append(why, "no IP sweep ran")
		case d.IP != "" && d.MAC == "" && len(in.Sweeps.Nets) > 0 && !inNets(d.IP, in.Sweeps.Nets):
			why = append(why, "recorded IP "+d.IP+" is outside the swept segments")
		default:
			return true, "not seen by the IP sweep"
		}
	}
	if bleCapable {
		if in.Sweeps.BLE {
			return true, "not heard by the BLE sweep"
		}
		why = append(why, "no BLE sweep ran")
	}
	switch {
	case ipCapable && !bleCapable:
		return false, "IP-only device: " + strings.Join(why, "; ")
	case bleCapable && !ipCapable:
		return false, "BLE-only device: " + strings.Join(why, "; ")
	}
	return false, strings.Join(why, "; ")
}

func inNets(ip string, nets []netip.Prefix) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
