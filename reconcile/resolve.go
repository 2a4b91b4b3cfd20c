package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/scan"
)

// offer is one identifier an observation offers, with its strength tier
// (0 strongest) and confidence.
type offer struct {
	tier  int
	kind  inventory.IdentKind
	raw   string
	value string
	conf  float64
}

// offers lists what an observation can be matched by, strongest first:
// MAC, serial (DIS serial counts highest), UDI and CMDB id; then a public
// or static BLE address (never a rotating one); hostname; IP; BLE name.
func offers(o *scan.Observation) []offer {
	out := make([]offer, 0, 6)
	add := func(tier int, kind inventory.IdentKind, raw string, conf float64) {
		if v := NormalizeIdent(kind, raw); v != "" {
			out = append(out, offer{tier, kind, raw, v, conf})
		}
	}
	add(0, inventory.IdentMAC, o.MAC, confMAC)
	if o.Hints.Serial != "" {
		c := confSerial
		if o.Hints.SerialSource == "ble-dis" {
			c = confSerialDIS
		}
		add(0, inventory.IdentSerial, o.Hints.Serial, c)
	}
	add(0, inventory.IdentUDI, o.Hints.UDI, confUDI)
	for _, f := range o.Fingerprints {
		if v := f.Fields["cmdb_id"]; v != "" {
			add(0, inventory.IdentCMDBID, v, confCMDB)
			break
		}
	}
	if o.BLE != nil {
		switch o.BLE.AddressType {
		case scan.AddrPublic:
			add(1, inventory.IdentBLEAddress, o.BLE.Address, confBLEPublic)
		case scan.AddrRandomStatic:
			add(1, inventory.IdentBLEAddress, o.BLE.Address, confBLEStatic)
		}
	}
	add(2, inventory.IdentHostname, o.Hostname, confHostname)
	if o.IP.IsValid() {
		add(3, inventory.IdentIP, o.IP.String(), confIP)
	}
	if o.BLE != nil && o.BLE.Name != "" {
		add(4, inventory.IdentBLEName, o.BLE.Name, confBLEName)
	}
	return out
}

// resolution is what the identifiers of one observation say.
type resolution struct {
	dev   *inventory.Device
	match *Match
	// claimants are set when the strongest tier that matched points at
	// more than one device: a duplicate identity.
	claimants []*inventory.Device
	dupBy     offer
	// note explains why a weak match was refused.
	note string
}

type resolver struct {
	in  *Input
	buf []int64
}

func (r *resolver) device(id int64) *inventory.Device {
	if d, ok := r.in.Devices[id]; ok {
		return d
	}
	for i := range r.in.Expected {
		if r.in.Expected[i].ID == id {
			return &r.in.Expected[i]
		}
	}
	return nil
}

// resolve ties an observation to at most one device, tier by tier. The
// first tier with any match decides; two devices in that tier are a
// duplicate identity and no device is chosen.
func (r *resolver) resolve(o *scan.Observation) resolution {
	ofs := offers(o)
	type claim struct {
		dev *inventory.Device
		by  []offer
	}
	for tier := 0; tier <= 4; tier++ {
		var claims []claim
		var first offer
		for _, of := range ofs {
			if of.tier != tier {
				continue
			}
			r.buf = r.in.Index.lookup(of.kind, of.value, r.buf[:0])
			ids := r.buf
			if of.kind == inventory.IdentSerial && len(ids) > 1 {
				ids = r.sameVendor(ids, o)
			}
			for _, id := range ids {
				d := r.device(id)
				if d == nil {
					continue
				}
				found := false
				for i := range claims {
					if claims[i].dev.ID == d.ID {
						claims[i].by = append(claims[i].by, of)
						found = true
					}
				}
				if !found {
					if len(claims) == 0 {
						first = of
					}
					claims = append(claims, claim{d, []offer{of}})
				}
			}
		}
		switch {
		case len(claims) == 0:
			continue
		case len(claims) > 1:
			res := resolution{dupBy: first}
			for _, c := range claims {
				res.claimants = append(res.claimants, c.dev)
			}
			sort.Slice(res.claimants, func(i, j int) bool { return res.claimants[i].AssetTag < res.claimants[j].AssetTag })
			return res
		}
		d := claims[0].dev
		by := claims[0].by
		if c := contradiction(d, ofs, tier); c != "" {
			// A weak identifier points at a record whose MAC or serial
			// differs from the one seen: another unit reusing an address
			// or a name. Not a match.
			return resolution{note: fmt.Sprintf("%s %s is recorded for %s, but %s", identLabel(by[0].kind), by[0].value, d.AssetTag, c)}
		}
		m := &Match{By: by[0].kind, Value: by[0].value, Confidence: by[0].conf}
		var notes, conflicts []string
		// Weaker identifiers agreeing raise the confidence (noisy-or);
		// ones pointing at other devices are recorded, not followed.
		miss := 1 - m.Confidence
		for _, of := range ofs {
			if of.tier < tier || (of.kind == by[0].kind && of.value == by[0].value) {
				continue
			}
			if ownValue(d, of) && !r.in.Index.weakSharedBy(d.ID) {
				// The device's own recorded hostname or IP, which no other
				// record shares: it agrees, and cannot conflict.
				miss *= 1 - of.conf
				notes = append(notes, identLabel(of.kind)+" "+of.value)
				continue
			}
			r.buf = r.in.Index.lookup(of.kind, of.value, r.buf[:0])
			agrees := false
			var others []string
			for _, id := range r.buf {
				if id == d.ID {
					agrees = true
				} else if od := r.device(id); od != nil {
					others = append(others, od.AssetTag)
				}
			}
			if agrees {
				miss *= 1 - of.conf
				notes = append(notes, identLabel(of.kind)+" "+of.value)
			}
			if len(others) > 0 {
				conflicts = append(conflicts, fmt.Sprintf("%s %s is also recorded for %s", identLabel(of.kind), of.value, strings.Join(others, ", ")))
			}
		}
		m.Confidence = min(0.99, round2(1-miss))
		if o.Hints.Manufacturer != "" && d.Manufacturer != "" && m.By == inventory.IdentSerial {
			if ok, _ := advisory.MatchVendor(o.Hints.Manufacturer, d.Manufacturer); !ok {
				m.Confidence = min(m.Confidence, 0.8)
				conflicts = append(conflicts, "reported manufacturer "+quote(o.Hints.Manufacturer)+" differs from the record's "+quote(d.Manufacturer))
			}
		}
		m.Reason = identLabel(m.By) + " " + m.Value
		if len(notes) > 0 {
			m.Reason += "; also " + strings.Join(notes, ", ")
		}
		m.Conflicts = conflicts
		return resolution{dev: d, match: m}
	}
	return resolution{}
}

// contradiction returns why a device found at a weak tier cannot be the
// observed unit: the observation offers a MAC or serial and the device
// records one of that kind, but not that one.
func contradiction(d *inventory.Device, ofs []offer, tier int) string {
	for _, of := range ofs {
		if of.tier >= tier || (of.kind != inventory.IdentMAC && of.kind != inventory.IdentSerial) {
			continue
		}
		recorded, has := "", false
		for _, id := range DeviceIdents(d) {
			if id.Kind != of.kind {
				continue
			}
			v := NormalizeIdent(id.Kind, id.Value)
			if v == of.value {
				return ""
			}
			if !has {
				recorded, has = v, true
			}
		}
		if has {
			return fmt.Sprintf("the %s seen is %s, the record's %s", identLabel(of.kind), of.value, recorded)
		}
	}
	return ""
}

// ownValue reports whether a hostname or IP offer is the device's own
// recorded column value.
func ownValue(d *inventory.Device, of offer) bool {
	switch of.kind {
	case inventory.IdentHostname:
		return d.Hostname != "" && NormalizeIdent(inventory.IdentHostname, d.Hostname) == of.value
	case inventory.IdentIP:
		return d.IP != "" && NormalizeIdent(inventory.IdentIP, d.IP) == of.value
	}
	return false
}

// sameVendor narrows devices sharing a serial to those whose manufacturer
// matches the observation's: serials are unique per manufacturer only.
func (r *resolver) sameVendor(ids []int64, o *scan.Observation) []int64 {
	vendor := o.Hints.Manufacturer
	if vendor == "" {
		vendor = o.Vendor
	}
	if vendor == "" {
		return ids
	}
	var keep []int64
	for _, id := range ids {
		if d := r.device(id); d != nil {
			if ok, _ := advisory.MatchVendor(vendor, d.Manufacturer); ok {
				keep = append(keep, id)
			}
		}
	}
	if len(keep) == 0 {
		return ids
	}
	return keep
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func identLabel(k inventory.IdentKind) string {
	switch k {
	case inventory.IdentMAC:
		return "MAC"
	case inventory.IdentBLEAddress:
		return "BLE address"
	case inventory.IdentBLEName:
		return "BLE name"
	case inventory.IdentSerial:
		return "serial"
	case inventory.IdentHostname:
		return "hostname"
	case inventory.IdentIP:
		return "IP"
	case inventory.IdentUDI:
		return "UDI"
	case inventory.IdentCMDBID:
		return "CMDB id"
	}
	return string(k)
}
