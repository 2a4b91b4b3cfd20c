package reconcile

import (
	"hash/maphash"
	"math/bits"
	"net/netip"
	"path"
	"strings"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/scan"
)

// Index maps identifiers (kind and normalised value) to the devices that
// carry them. It is built once (for a round, from the whole inventory, or
// for one sweep, from only the identifiers the sweep saw) and then read
// without locks by any number of reconciliations.
//
// It is sized for a million devices: an open-addressing table (linear
// probing, load two thirds) of 64-bit keyed hashes and 32-bit device
// slots side by side, 24 bytes per identifier (five or six identifiers a
// device make some 130 MB for a million devices), with about one cache
// miss per lookup. Hashes are keyed with a random
// seed per index, so hostile names cannot be crafted to collide; a false
// match needs a 64-bit collision between two identifiers of the same
// index (about 1e-12 per lookup at a million devices).
type Index struct {
	seed  maphash.Seed
	cells []cell
	ids   []int64 // slot -> device id
	// patterns are BLE name identifiers with wildcards ("Nonin3230_*"),
	// matched with path.Match; exact names are in the table.
	patterns []namePattern
	n        int
	// shared marks devices that share a MAC, serial, UDI or CMDB id with
	// another device, found while building, so that the duplicate check
	// of a record costs nothing for the others.
	shared map[int64]bool
	// weakShared marks devices whose hostname or IP another device also
	// records, so that a match confirming its own recorded value needs
	// no look-up to rule out a conflict.
	weakShared map[int64]bool
}

// cell is one table entry; key and slot side by side so that a probe
// touches one cache line.
type cell struct {
	key  uint64 // 0 marks an empty cell
	slot uint32
}

type namePattern struct {
	pattern string
	id      int64
}

// IndexBuilder accumulates identifiers for an Index.
type IndexBuilder struct {
	ix     *Index
	hashes []uint64
	slots  []uint32
	unique []bool
	weak   []bool
	lastID int64
}

// NewIndexBuilder starts an index; sizeHint is the expected number of
// identifiers (zero is fine).
func NewIndexBuilder(sizeHint int) *IndexBuilder {
	return &IndexBuilder{ix: &Index{seed: maphash.MakeSeed()}, hashes: make([]uint64, 0, sizeHint),
		slots: make([]uint32, 0, sizeHint), unique: make([]bool, 0, sizeHint), weak: make([]bool, 0, sizeHint)}
}

// Add records that the device carries the identifier. Values are
// normalised here; empty ones are ignored.
func (b *IndexBuilder) Add(deviceID int64, kind inventory.IdentKind, value string) {
	v := NormalizeIdent(kind, value)
	if v == "" {
		return
	}
	if b.lastID != deviceID || len(b.ix.ids) == 0 {
		b.ix.ids = append(b.ix.ids, deviceID)
		b.lastID = deviceID
	}
	slot := uint32(len(b.ix.ids) - 1)
	if kind == inventory.IdentBLEName && strings.ContainsAny(v, "*?[") {
		if _, err := path.Match(v, ""); err == nil {
			b.ix.patterns = append(b.ix.patterns, namePattern{v, deviceID})
		}
		return
	}
	b.hashes = append(b.hashes, b.ix.hash(kind, v))
	b.slots = append(b.slots, slot)
	b.unique = append(b.unique, kind == inventory.IdentMAC || kind == inventory.IdentSerial || kind == inventory.IdentUDI || kind == inventory.IdentCMDBID)
	b.weak = append(b.weak, kind == inventory.IdentHostname || kind == inventory.IdentIP)
}

// AddDevice records every identifier of a device: the identifier columns
// and its extra Identifiers.
func (b *IndexBuilder) AddDevice(d *inventory.Device) {
	for _, id := range DeviceIdents(d) {
		b.Add(d.ID, id.Kind, id.Value)
	}
}

// DeviceIdents lists a device's identifiers: the columns (serial, MAC,
// BLE address, hostname, IP, CMDB id) and the extra ones.
func DeviceIdents(d *inventory.Device) []inventory.Identifier {
	out := make([]inventory.Identifier, 0, 6+len(d.Identifiers))
	for _, c := range [...]inventory.Identifier{
		{Kind: inventory.IdentSerial, Value: d.Serial}, {Kind: inventory.IdentMAC, Value: d.MAC},
		{Kind: inventory.IdentBLEAddress, Value: d.BLEAddress}, {Kind: inventory.IdentHostname, Value: d.Hostname},
		{Kind: inventory.IdentIP, Value: d.IP}, {Kind: inventory.IdentCMDBID, Value: d.CMDBID},
	} {
		if c.Value != "" {
			out = append(out, c)
		}
	}
	return append(out, d.Identifiers...)
}

// Build finishes the index. The builder must not be used afterwards.
func (b *IndexBuilder) Build() *Index {
	ix := b.ix
	ix.n = len(b.hashes)
	size := ix.n + ix.n/2 + 1 // load factor two thirds
	ix.cells = make([]cell, size)
	ix.shared, ix.weakShared = map[int64]bool{}, map[int64]bool{}
	for i, h := range b.hashes {
		p := ix.home(h)
		for ix.cells[p].key != 0 {
			if c := ix.cells[p]; c.key == h && ix.ids[c.slot] != ix.ids[b.slots[i]] {
				switch {
				case b.unique[i]:
					ix.shared[ix.ids[c.slot]] = true
					ix.shared[ix.ids[b.slots[i]]] = true
				case b.weak[i]:
					ix.weakShared[ix.ids[c.slot]] = true
					ix.weakShared[ix.ids[b.slots[i]]] = true
				}
			}
			if p++; p == len(ix.cells) {
				p = 0
			}
		}
		ix.cells[p] = cell{h, b.slots[i]}
	}
	b.hashes, b.slots, b.unique, b.weak, b.ix = nil, nil, nil, nil, nil
	return ix
}

// Shared reports whether the device shares a MAC, serial, UDI or CMDB id
// with another indexed device.
func (ix *Index) Shared(id int64) bool { return ix != nil && ix.shared[id] }

func (ix *Index) weakSharedBy(id int64) bool { return ix != nil && ix.weakShared[id] }

// Len returns the number of identifiers indexed.
func (ix *Index) Len() int { return ix.n + len(ix.patterns) }

// Devices returns the number of devices indexed.
func (ix *Index) Devices() int { return len(ix.ids) }

// kindSalt separates the kinds so that a serial never meets an equal
// hostname.
var kindSalt = map[inventory.IdentKind]uint64{
	inventory.IdentMAC: 1, inventory.IdentBLEAddress: 2, inventory.IdentBLEName: 3, inventory.IdentSerial: 4,
	inventory.IdentHostname: 5, inventory.IdentIP: 6, inventory.IdentUDI: 7, inventory.IdentCMDBID: 8,
}

func (ix *Index) hash(kind inventory.IdentKind, v string) uint64 {
	h := maphash.String(ix.seed, v) ^ (kindSalt[kind] * 0x9E3779B97F4A7C15)
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	if h == 0 {
		h = 1
	}
	return h
}

func (ix *Index) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(ix.cells)))
	return int(hi)
}

// Lookup returns the ids of the devices carrying the identifier, each
// once. value is normalised first.
func (ix *Index) Lookup(kind inventory.IdentKind, value string) []int64 {
	return ix.lookup(kind, NormalizeIdent(kind, value), nil)
}

func (ix *Index) lookup(kind inventory.IdentKind, v string, out []int64) []int64 {
	if ix == nil || v == "" {
		return out
	}
	if len(ix.cells) > 0 {
		h := ix.hash(kind, v)
		for p := ix.home(h); ix.cells[p].key != 0; {
			if ix.cells[p].key == h {
				out = appendUnique(out, ix.ids[ix.cells[p].slot])
			}
			if p++; p == len(ix.cells) {
				p = 0
			}
		}
	}
	if kind == inventory.IdentBLEName {
		for _, pt := range ix.patterns {
			if ok, _ := path.Match(pt.pattern, v); ok {
				out = appendUnique(out, pt.id)
			}
		}
	}
	return out
}

func appendUnique(s []int64, id int64) []int64 {
	for _, x := range s {
		if x == id {
			return s
		}
	}
	return append(s, id)
}

// Candidates returns the ids of every device the observations'
// identifiers find: the records a caller holding a full index must put in
// Input.Devices (with their extra identifiers) before reconciling.
func (ix *Index) Candidates(obs []scan.Observation) []int64 {
	var out, buf []int64
	seen := map[int64]bool{}
	for i := range obs {
		for _, of := range offers(&obs[i]) {
			buf = ix.lookup(of.kind, of.value, buf[:0])
			for _, id := range buf {
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// NormalizeIdent returns the comparable form of an identifier value:
// MACs lower case with colons, BLE addresses upper case, serials, UDIs and
// CMDB ids upper case without spaces (serials also without dashes),
// hostnames lower case without their domain, IPs canonical.
func NormalizeIdent(kind inventory.IdentKind, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	switch kind {
	case inventory.IdentMAC:
		if isMAC(v, false) {
			return v // already normal: no allocation on the index's hot path
		}
		return scan.NormalizeMAC(v)
	case inventory.IdentBLEAddress:
		if isMAC(v, true) {
			return v
		}
		return strings.ToUpper(scan.NormalizeMAC(v))
	case inventory.IdentSerial:
		return strings.Map(func(r rune) rune {
			switch {
			case r == ' ' || r == '-' || r == '\t':
				return -1
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			}
			return r
		}, v)
	case inventory.IdentUDI, inventory.IdentCMDBID:
		return strings.ToUpper(strings.ReplaceAll(v, " ", ""))
	case inventory.IdentHostname:
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if _, err := netip.ParseAddr(v); err == nil {
			return "" // an address is not a name
		}
		if i := strings.IndexByte(v, '.'); i > 0 {
			v = v[:i]
		}
		return v
	case inventory.IdentIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return ""
		}
		var buf [64]byte
		if b := a.Unmap().AppendTo(buf[:0]); string(b) != v {
			return string(b)
		}
		return v
	}
	return v
}

// isMAC reports whether v is a MAC in normal form: colon separated, lower
// case hex (upper case for BLE addresses).
func isMAC(v string, upper bool) bool {
	if len(v) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := v[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
			continue
		}
		switch {
		case c >= '0' && c <= '9':
		case !upper && c >= 'a' && c <= 'f':
		case upper && c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Needles lists the identifiers the observations offer, in the form to
// look up in the store (several spellings of a serial, since the store
// keeps serials as written). A store-backed index built from the rows
// these find is equivalent, for these observations, to the full one.
func Needles(obs []scan.Observation) []inventory.Identifier {
	seen := map[inventory.Identifier]bool{}
	var out []inventory.Identifier
	add := func(k inventory.IdentKind, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		id := inventory.Identifier{Kind: k, Value: v}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for i := range obs {
		for _, of := range offers(&obs[i]) {
			switch of.kind {
			case inventory.IdentSerial, inventory.IdentUDI, inventory.IdentCMDBID:
				add(of.kind, of.raw)
				add(of.kind, strings.ToUpper(of.raw))
				add(of.kind, strings.ToLower(of.raw))
			case inventory.IdentHostname:
				add(of.kind, strings.ToLower(of.raw))
				add(of.kind, of.value)
			default:
				add(of.kind, of.value)
			}
		}
	}
	return out
}
