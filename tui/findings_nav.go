package tui

import (
	"strings"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

// This file moves through the findings list: scrolling, jumps to a
// scanned device, the next finding needing action, the flag filter.

// follow scrolls the list so that the cursor is in view, keeping the
// group header of the first visible item when there is room. It runs in
// Update: View draws the state as it is.
func (p *findingsPage) follow() {
	if len(p.rows) == 0 {
		p.offset = 0
		return
	}
	h := p.listHeight()
	p.offset = scrollOffset(max(p.cursor, 0), p.offset, h, len(p.rows))
	if p.offset > 0 && p.offset < len(p.rows) && p.rows[p.offset].item >= 0 && p.rows[p.offset-1].item < 0 && p.cursor-p.offset < h-1 {
		p.offset--
	}
}

// openCount is the number of items that still need the technician.
func (p *findingsPage) openCount() int {
	n := 0
	for _, it := range p.visit.Items {
		if it.Open() {
			n++
		}
	}
	return n
}

// endSearch closes the search field, keeping the query.
func (p *findingsPage) endSearch() {
	p.typing = false
	p.search.Blur()
}

// jump puts the cursor on the finding a scan names (asset tag, serial,
// or the serial a device reported), clearing any search or filter that
// hides it. It reports whether one was found.
func (p *findingsPage) jump(text string, dev *store.Device) bool {
	want := -1
	for i, it := range p.visit.Items {
		d := it.Finding.Device
		switch {
		case dev != nil && d != nil && d.ID == dev.ID:
		case d != nil && (strings.EqualFold(d.AssetTag, text) || (d.Serial != "" && strings.EqualFold(d.Serial, text))):
		default:
			hit := false
			for _, o := range it.Finding.Observations {
				hit = hit || (o.Hints.Serial != "" && strings.EqualFold(o.Hints.Serial, text))
			}
			if !hit {
				continue
			}
		}
		want = i
		break
	}
	if want < 0 {
		return false
	}
	p.query, p.filter, p.flag = "", filterAll, ""
	p.search.SetValue("")
	p.rebuild()
	p.selectID(p.visit.Items[want].ID)
	return true
}

// nextOpen moves the cursor to the next item that needs action, wrapping
// round; it reports whether there is one.
func (p *findingsPage) nextOpen() bool {
	n := len(p.rows)
	for j := 1; j <= n; j++ {
		i := (p.cursor + j) % n
		if r := p.rows[i]; r.item >= 0 && p.visit.Items[r.item].Open() {
			p.cursor = i
			p.follow()
			return true
		}
	}
	return false
}

// nextFlag cycles the flag filter through the flag kinds present in the
// room, then back to all.
func nextFlag(cur reconcile.FlagKind, items []round.Item) reconcile.FlagKind {
	seen := map[reconcile.FlagKind]bool{}
	for _, it := range items {
		for _, fl := range it.Finding.Flags {
			seen[fl.Kind] = true
		}
	}
	kinds := report.SortedFlagKinds(func() map[reconcile.FlagKind]int {
		m := map[reconcile.FlagKind]int{}
		for k := range seen {
			m[k] = 1
		}
		return m
	}())
	if cur == "" {
		if len(kinds) == 0 {
			return ""
		}
		return kinds[0]
	}
	for i, k := range kinds {
		if k == cur && i+1 < len(kinds) {
			return kinds[i+1]
		}
	}
	return ""
}
