package gen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/biomed-rounds/rounds/store"
)

// roomKind is what a room is used for; it decides what sits in it.
type roomKind uint8

const (
	kindWard roomKind = iota
	kindICU
	kindOR
	kindPACU
	kindED
	kindNurseStation
	kindUtility // clean utility / equipment storage: parked pumps
	kindMRI
	kindMRIControl
	kindCT
	kindXRay
	kindUltrasound
	kindReading
	kindLab
	kindDialysis
)

// slot is a line of a room's equipment list: n units (lo..hi) of a class,
// present with probability p, optionally restricted to some models.
type slot struct {
	class  string
	lo, hi int
	p      float64
	models []string
}

// rooms' equipment lists. Patient-care rooms hold 8 to 20 units, as the
// field reports.
var equipment = map[roomKind][]slot{
	kindWard: {
		{classMonitor, 1, 1, 0.7, nil}, {classVitals, 1, 1, 0.6, nil}, {classInfusion, 2, 6, 0.95, nil},
		{classBed, 1, 1, 0.95, nil}, {classTelemetry, 1, 1, 0.35, nil}, {classPulseOx, 1, 1, 0.5, nil},
		{classThermo, 1, 1, 0.6, nil}, {classBP, 1, 1, 0.3, nil}, {classGlucose, 1, 1, 0.3, nil},
		{classInsulin, 1, 1, 0.06, nil}, {classECG, 1, 1, 0.05, nil},
	},
	kindICU: {
		{classMonitor, 1, 1, 1, nil}, {classInfusion, 4, 10, 1, nil}, {classVentilator, 1, 1, 0.8, nil},
		{classBed, 1, 1, 1, nil}, {classPulseOx, 1, 1, 0.7, nil}, {classThermo, 1, 1, 0.6, nil},
		{classGlucose, 1, 1, 0.4, nil}, {classDialysis, 1, 1, 0.08, nil}, {classDefib, 1, 1, 0.15, nil},
		{classInsulin, 1, 1, 0.05, nil}, {classUltrasound, 1, 1, 0.05, nil},
	},
	kindOR: {
		{classAnesthesia, 1, 1, 1, nil}, {classMonitor, 1, 2, 1, nil}, {classInfusion, 3, 8, 1, nil},
		{classDefib, 1, 1, 0.5, nil}, {classCArm, 1, 1, 0.3, nil}, {classUltrasound, 1, 1, 0.3, nil},
		{classPulseOx, 1, 1, 0.4, nil}, {classThermo, 1, 1, 0.5, nil}, {classBed, 1, 1, 0.3, nil},
	},
	kindPACU: {
		{classMonitor, 1, 1, 1, nil}, {classInfusion, 1, 4, 1, nil}, {classPulseOx, 1, 1, 0.6, nil},
		{classThermo, 1, 1, 0.7, nil}, {classBed, 1, 1, 0.6, nil},
	},
	kindED: {
		{classMonitor, 1, 1, 0.8, nil}, {classVitals, 1, 1, 0.6, nil}, {classInfusion, 1, 3, 0.8, nil},
		{classBed, 1, 1, 0.8, nil}, {classThermo, 1, 1, 0.6, nil}, {classPulseOx, 1, 1, 0.5, nil},
		{classECG, 1, 1, 0.2, nil}, {classDefib, 1, 1, 0.1, nil}, {classGlucose, 1, 1, 0.3, nil},
	},
	kindNurseStation: {
		{classCentral, 1, 1, 1, nil}, {classGlucose, 1, 3, 0.8, nil}, {classDefib, 1, 1, 0.7, nil},
		{classECG, 1, 1, 0.4, nil}, {classVitals, 1, 2, 0.5, nil},
	},
	kindUtility: {
		{classInfusion, 6, 24, 1, nil}, {classVitals, 1, 3, 0.6, nil}, {classPulseOx, 1, 3, 0.5, nil},
		{classThermo, 1, 4, 0.5, nil}, {classBP, 1, 2, 0.3, nil},
	},
	kindMRI: {
		{classMRI, 1, 1, 1, nil}, {classMonitor, 1, 1, 1, []string{"Expression MR400"}},
		{classInfusion, 1, 2, 0.8, []string{"MRidium 3860+"}}, {classInjector, 1, 1, 0.9, []string{"MEDRAD MRXperion"}},
	},
	kindMRIControl: {{classWorkstn, 1, 2, 1, nil}},
	kindCT: {
		{classCT, 1, 1, 1, nil}, {classInjector, 1, 1, 0.9, []string{"MEDRAD Stellant FLEX"}},
		{classMonitor, 1, 1, 0.5, nil}, {classInfusion, 1, 2, 0.3, nil},
	},
	kindXRay:       {{classXRay, 1, 2, 1, nil}},
	kindUltrasound: {{classUltrasound, 1, 2, 1, nil}, {classMonitor, 1, 1, 0.2, nil}},
	kindReading:    {{classWorkstn, 2, 6, 1, nil}},
	kindLab:        {{classLab, 4, 12, 1, nil}, {classGlucose, 2, 8, 0.5, nil}},
	kindDialysis:   {{classDialysis, 1, 1, 1, nil}, {classMonitor, 1, 1, 0.3, nil}, {classBed, 1, 1, 0.5, nil}},
}

// owners name the department that owns the units of a room.
var owners = map[roomKind]string{
	kindWard: "Nursing", kindICU: "Critical Care", kindOR: "Perioperative", kindPACU: "Perioperative",
	kindED: "Emergency", kindNurseStation: "Nursing", kindUtility: "Biomedical Engineering",
	kindMRI: "Radiology", kindMRIControl: "Radiology", kindCT: "Radiology", kindXRay: "Radiology",
	kindUltrasound: "Radiology", kindReading: "Radiology", kindLab: "Laboratory", kindDialysis: "Nephrology",
}

// room is a planned room: its record, its segments' indexes and the
// catalog entries of the units placed in it.
type room struct {
	loc      store.Location
	kind     roomKind
	clinical int // segment index, -1 when none
	imaging  int
	guest    int
	plan     []uint8 // catalog indexes, one per device
}

// floorRoom is a room of a floor template before numbering.
type floorRoom struct {
	name string
	desc string
	kind roomKind
}

// floorPlan returns the rooms of floor f (1-based) of a building. Floors
// follow a typical acute-care tower: emergency on 1, imaging and the lab
// on 2, theatres on 3, intensive care on 4 and wards above.
func floorPlan(f int) (string, []floorRoom) {
	var rs []floorRoom
	add := func(kind roomKind, name, desc string) { rs = append(rs, floorRoom{name, desc, kind}) }
	switch f {
	case 1:
		for i := 1; i <= 24; i++ {
			add(kindED, fmt.Sprintf("ED-%02d", i), fmt.Sprintf("Emergency bay %d", i))
		}
		add(kindED, "TRAUMA-1", "Trauma room 1")
		add(kindED, "TRAUMA-2", "Trauma room 2")
		add(kindNurseStation, "ED-NS", "Emergency nurse station")
		add(kindUtility, "ED-CU", "Emergency clean utility")
		return "Emergency", rs
	case 2:
		add(kindMRI, "MRI-1", "MRI suite 1 (RF-shielded)")
		add(kindMRIControl, "MRI-1C", "MRI 1 control room")
		add(kindMRI, "MRI-2", "MRI suite 2 (RF-shielded)")
		add(kindMRIControl, "MRI-2C", "MRI 2 control room")
		add(kindCT, "CT-1", "CT room 1")
		add(kindCT, "CT-2", "CT room 2")
		for i := 1; i <= 3; i++ {
			add(kindXRay, fmt.Sprintf("XR-%d", i), fmt.Sprintf("X-ray room %d", i))
		}
		for i := 1; i <= 4; i++ {
			add(kindUltrasound, fmt.Sprintf("US-%d", i), fmt.Sprintf("Ultrasound room %d", i))
		}
		add(kindReading, "READ-1", "Radiology reading room")
		add(kindLab, "LAB-CORE", "Core laboratory")
		add(kindLab, "LAB-POCT", "Point-of-care testing office")
		for i := 1; i <= 6; i++ {
			add(kindDialysis, fmt.Sprintf("DIA-%d", i), fmt.Sprintf("Dialysis station %d", i))
		}
		return "Imaging and laboratory", rs
	case 3:
		for i := 1; i <= 10; i++ {
			add(kindOR, fmt.Sprintf("OR-%02d", i), fmt.Sprintf("Operating room %d", i))
		}
		for i := 1; i <= 12; i++ {
			add(kindPACU, fmt.Sprintf("PACU-%02d", i), fmt.Sprintf("Recovery bay %d", i))
		}
		add(kindUtility, "OR-CU", "Theatre equipment store")
		return "Theatres", rs
	case 4:
		for i := 1; i <= 20; i++ {
			add(kindICU, fmt.Sprintf("ICU-%02d", i), fmt.Sprintf("ICU bed %d", i))
		}
		add(kindNurseStation, "ICU-NS", "ICU nurse station")
		add(kindUtility, "ICU-CU", "ICU clean utility")
		return "Intensive care", rs
	}
	for _, wing := range []string{"W", "E"} {
		wingName := map[string]string{"W": "West", "E": "East"}[wing]
		for i := 1; i <= 24; i++ {
			add(kindWard, fmt.Sprintf("%d%s-%02d", f, wing, i), fmt.Sprintf("Ward %d %s, room %d", f, wingName, i))
		}
		add(kindNurseStation, fmt.Sprintf("%d%s-NS", f, wing), fmt.Sprintf("Ward %d %s nurse station", f, wingName))
		add(kindUtility, fmt.Sprintf("%d%s-CU", f, wing), fmt.Sprintf("Ward %d %s clean utility", f, wingName))
	}
	return "Ward", rs
}

// floorsPerBuilding is the height of every generated building.
const floorsPerBuilding = 8

// buildingNames are used in order; larger inventories get numbered
// buildings after them.
var buildingNames = []string{"MAIN", "EAST", "WEST", "NORTH", "SOUTH", "CANCER", "CHILD", "HEART"}

func buildingName(b int) string {
	if b < len(buildingNames) {
		return buildingNames[b]
	}
	return fmt.Sprintf("B%03d", b+1)
}

// segmentPrefix returns the k-th /24 of the address plan, inside
// 127.0.0.0/8 from 127.1.0.0/24 on: generated inventories never name a
// private range, so that a newcomer who opens one and sweeps a room
// reaches only this machine's loopback, never a real network (issue 11).
// Plans larger than the 65,024 /24s wrap around; IPs are not unique
// identifiers, so that only makes addresses repeat.
func segmentPrefix(k int) netip.Prefix {
	k %= 254 * 256
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(1 + k>>8), byte(k), 0}), 24)
}

// roomsPerClinicalSegment is how many neighbouring rooms share a clinical
// /24.
const roomsPerClinicalSegment = 6

// layout plans rooms floor by floor until every device has a room.
func (g *Generator) layout() {
	placed := 0
	seg := 0
	newSeg := func() int { seg++; return seg - 1 }
	for b := 0; placed < g.o.Devices || b == 0; b++ {
		for f := 1; f <= floorsPerBuilding && (placed < g.o.Devices || (b == 0 && f == 1)); f++ {
			_, plan := floorPlan(f)
			guest, imaging, clinical := -1, -1, -1
			n := 0
			for _, fr := range plan {
				r := room{kind: fr.kind, clinical: -1, imaging: -1, guest: -1}
				building, floor := buildingName(b), fmt.Sprint(f)
				r.loc = store.Location{Key: store.LocationKey(building, floor, fr.name), Site: g.o.Site,
					Building: building, Floor: floor, Room: fr.name, Name: fr.desc,
					Barcode: "LOC-" + building + "-" + floor + "-" + fr.name}
				switch fr.kind {
				case kindMRI:
					r.loc.RFShielded = true
					if imaging < 0 {
						imaging = newSeg()
					}
					r.imaging = imaging
				case kindMRIControl, kindCT, kindXRay, kindUltrasound, kindReading:
					if imaging < 0 {
						imaging = newSeg()
					}
					r.imaging = imaging
					fallthrough
				default:
					if n%roomsPerClinicalSegment == 0 || clinical < 0 {
						clinical = newSeg()
					}
					n++
					r.clinical = clinical
				}
				switch fr.kind {
				case kindWard, kindED, kindPACU, kindDialysis:
					if guest < 0 {
						guest = newSeg()
					}
					r.guest = guest
				}
				for _, sg := range []struct {
					idx int
					tag string
				}{{r.clinical, "clinical"}, {r.imaging, "imaging"}, {r.guest, "guest"}} {
					if sg.idx >= 0 {
						r.loc.Segments = append(r.loc.Segments, store.Segment{CIDR: segmentPrefix(sg.idx), Tags: []string{sg.tag}})
					}
				}
				// The store lists segments in CIDR text order; so do we.
				slices.SortFunc(r.loc.Segments, func(a, b store.Segment) int {
					return strings.Compare(a.CIDR.String(), b.CIDR.String())
				})
				if placed < g.o.Devices {
					r.plan = g.equip(len(g.rooms), fr.kind)
					if rest := g.o.Devices - placed; len(r.plan) > rest {
						r.plan = r.plan[:rest]
					}
					placed += len(r.plan)
				}
				g.rooms = append(g.rooms, r)
			}
		}
	}
	g.segments = seg
}

// equip draws the units of room i.
func (g *Generator) equip(i int, kind roomKind) []uint8 {
	rng := rand.New(rand.NewPCG(uint64(g.o.Seed), uint64(i)<<1|1))
	var plan []uint8
	for _, s := range equipment[kind] {
		if rng.Float64() >= s.p {
			continue
		}
		n := s.lo + rng.IntN(s.hi-s.lo+1)
		for range n {
			plan = append(plan, uint8(pickModel(rng, s)))
		}
	}
	return plan
}

// pickModel chooses a catalog entry for a slot, by popularity.
func pickModel(rng *rand.Rand, s slot) int {
	idx := byClass[s.class]
	if len(s.models) > 0 {
		var only []int
		for _, i := range idx {
			for _, m := range s.models {
				if catalog[i].Model.Model == m {
					only = append(only, i)
				}
			}
		}
		return only[rng.IntN(len(only))]
	}
	total := 0
	for _, i := range idx {
		total += catalog[i].weight
	}
	x := rng.IntN(total)
	for _, i := range idx {
		if x < catalog[i].weight {
			return i
		}
		x -= catalog[i].weight
	}
	return idx[len(idx)-1]
}
