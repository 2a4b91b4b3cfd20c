package ble

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// Grouping rotating private addresses.
//
// A device with a resolvable or non-resolvable private address changes
// it every few minutes, and without the device's identity key the new
// address cannot be tied to the old one. What does stay is the payload:
// the name, the service UUIDs, and the manufacturer and service data,
// except for the bytes that carry counters or readings. Those bytes are
// learnt per payload layout (kind, company or UUID, length): a position
// that ever differs between two advertisements of the same address is
// volatile, and it is masked out for every device that uses the layout.
// The masked features of an address form its signature; addresses with
// the same signature are one device, provided they were not heard at the
// same time (a device advertises under one address at a time, so two
// identical tags side by side stay two).

// layoutKey identifies a payload layout.
type layoutKey struct {
	kind uint8
	w    uint8
	id   [16]byte
	n    uint16
}

// layout holds the positions found volatile for one layout.
type layout struct {
	mask []bool
}

// feature is one payload element of one address, as first heard.
type feature struct {
	key   layoutKey
	lay   *layout
	first []byte
}

// Feature kinds; AD types except for the name, which is one feature
// whether short or complete.
const (
	featName        = 0x09
	featUUIDs       = 0x03
	featTxPower     = 0x0a
	featAppearance  = 0x19
	featServiceData = 0x16
	featMfr         = 0xff
)

// learn records the features of one advertisement of a rotating address
// and marks positions that changed as volatile.
func (r *Room) learn(tr *tracked, ad *AD) {
	if ad.Name != nil {
		r.feature(tr, layoutKey{kind: featName}, ad.Name)
	}
	for _, l := range ad.UUIDs[:ad.NUUIDs] {
		r.feature(tr, layoutKey{kind: featUUIDs, w: uint8(l.Width)}, l.B)
	}
	if ad.HasTxPower {
		r.feature(tr, layoutKey{kind: featTxPower}, []byte{byte(ad.TxPower)})
	}
	if ad.HasAppearance {
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], ad.Appearance)
		r.feature(tr, layoutKey{kind: featAppearance}, b[:])
	}
	for _, e := range ad.Manufacturer[:ad.NManufacturer] {
		k := layoutKey{kind: featMfr, w: 2}
		copy(k.id[:], e[:2])
		r.feature(tr, k, e[2:])
	}
	for _, s := range ad.ServiceData[:ad.NServiceData] {
		k := layoutKey{kind: featServiceData, w: uint8(s.Width)}
		copy(k.id[:], s.UUID())
		r.feature(tr, k, s.Data())
	}
}

func (r *Room) feature(tr *tracked, k layoutKey, v []byte) {
	if len(v) > 0xffff {
		return
	}
	k.n = uint16(len(v))
	for i := range tr.feats {
		f := &tr.feats[i]
		if f.key != k {
			continue
		}
		if !bytes.Equal(f.first, v) {
			for j := range v {
				if v[j] != f.first[j] && !f.lay.mask[j] {
					f.lay.mask[j] = true
					r.maskGen++
				}
			}
		}
		return
	}
	lay := r.layouts[k]
	if lay == nil {
		lay = &layout{mask: make([]bool, len(v))}
		r.layouts[k] = lay
	}
	tr.feats = append(tr.feats, feature{key: k, lay: lay, first: bytes.Clone(v)})
	tr.sigOK = false
}

// signatureOf returns the address's signature, recomputing it only when
// the address gained a feature or some mask changed since.
func (r *Room) signatureOf(tr *tracked) uint64 {
	if !tr.sigOK || tr.sigGen != r.maskGen {
		tr.sig, tr.sigGen, tr.sigOK = signature(tr), r.maskGen, true
	}
	return tr.sig
}

// signature hashes an address's features with volatile positions masked.
func signature(tr *tracked) uint64 {
	fs := slices.Clone(tr.feats)
	slices.SortFunc(fs, func(a, b feature) int {
		if c := cmp.Compare(a.key.kind, b.key.kind); c != 0 {
			return c
		}
		if c := bytes.Compare(a.key.id[:], b.key.id[:]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.w, b.key.w); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.n, b.key.n); c != 0 {
			return c
		}
		return bytes.Compare(a.first, b.first)
	})
	h := fnv.New64a()
	var hdr [20]byte
	for _, f := range fs {
		hdr[0], hdr[1] = f.key.kind, f.key.w
		copy(hdr[2:18], f.key.id[:])
		binary.LittleEndian.PutUint16(hdr[18:], f.key.n)
		h.Write(hdr[:])
		masked := make([]byte, 2*len(f.first))
		for i, c := range f.first {
			if f.lay.mask[i] {
				masked[2*i] = 1
				continue
			}
			masked[2*i+1] = c
		}
		h.Write(masked)
	}
	return h.Sum64()
}

// group splits the addresses into advertisers.
func (r *Room) group(live []*tracked) []group {
	var out []group
	buckets := map[uint64][]*tracked{}
	var sigs []uint64
	for _, tr := range live {
		if !tr.typ.Rotating() {
			out = append(out, group{addrs: []*tracked{tr}})
			continue
		}
		s := r.signatureOf(tr)
		if _, ok := buckets[s]; !ok {
			sigs = append(sigs, s)
		}
		buckets[s] = append(buckets[s], tr)
	}
	for _, s := range sigs {
		for i, chain := range chains(buckets[s]) {
			key := fmt.Sprintf("rpa-%016x", s)
			if i > 0 {
				key += fmt.Sprintf("-%d", i)
			}
			out = append(out, group{key: key, addrs: chain})
		}
	}
	return out
}

// chains assigns addresses with one signature to devices: an address
// continues the device whose last address fell silent most recently
// before it was first heard; one heard while all others were still
// active is another device.
func chains(addrs []*tracked) [][]*tracked {
	slices.SortStableFunc(addrs, func(a, b *tracked) int { return a.first.Compare(b.first) })
	var out [][]*tracked
	var ends []time.Time
	for _, tr := range addrs {
		best := -1
		for i, end := range ends {
			if !end.After(tr.first) && (best < 0 || end.After(ends[best])) {
				best = i
			}
		}
		if best < 0 {
			out = append(out, []*tracked{tr})
			ends = append(ends, tr.last)
			continue
		}
		out[best] = append(out[best], tr)
		ends[best] = tr.last
	}
	return out
}
