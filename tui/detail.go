package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

type detailKeys struct {
	Up, Down key.Binding
	actions  actionKeys
	Back     key.Binding
}

// detailPage shows one finding: the inventory record and what was
// observed side by side (differences marked), the flags with their
// evidence, advisories and recalls with identifiers and links, and the
// actions.
type detailPage struct {
	c      *common
	keys   detailKeys
	visit  round.Visit
	item   round.Item
	scroll int
	width  int
	height int
	// notes are the device's notes (the technician's and the CMDB's).
	notes []store.Note
}

func newDetail(c *common) *detailPage {
	b := func(k, h, d string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(h, d)) }
	return &detailPage{c: c, keys: detailKeys{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		actions: newActionKeys(),
		Back:    b("esc", "esc", "findings"),
	}}
}

func (p *detailPage) KeyMap() help.KeyMap {
	k := p.keys
	g := newGlobalKeys()
	acts := k.actions.valid(p.item)
	if p.item.Action != "" {
		acts = append(acts, k.actions.Undo)
	}
	return keyMap{
		short: append(append([]key.Binding{}, acts...), k.Back, g.Help),
		full:  [][]key.Binding{acts, {k.Up, k.Down, k.Back}, {g.Help, g.Quit}},
	}
}

func (p *detailPage) Typing() bool { return false }

func (p *detailPage) SetSize(w, h int) { p.width, p.height = w, h }

func (p *detailPage) set(v round.Visit, it round.Item) {
	if it.ID != p.item.ID {
		p.scroll = 0
		p.notes = nil
	}
	p.visit, p.item = v, it
}

func (p *detailPage) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if k, ok := actionFor(p.keys.actions, km); ok {
		return act(k, p.item, p.c.pending != 0, "")
	}
	switch {
	case key.Matches(km, p.keys.actions.Undo):
		return undo(p.item, p.c.pending != 0)
	case key.Matches(km, p.keys.Back):
		return send(popMsg{})
	case key.Matches(km, p.keys.Up):
		p.scroll = max(0, p.scroll-1)
	case key.Matches(km, p.keys.Down):
		p.scroll = min(p.scroll+1, max(0, len(p.lines())-max(1, p.height)))
	}
	return nil
}

// field is one line of the record/observation comparison.
type field struct{ name, record, seen string }

func (p *detailPage) fields() []field {
	f := p.item.Finding
	var d store.Device
	if f.Device != nil {
		d = *f.Device
	}
	var o scan.Observation
	var ble *scan.BLE
	if len(f.Observations) > 0 {
		o = f.Observations[0]
	}
	var ip, mac, bleAddr, name, ports, vendor, rssi string
	for _, ob := range f.Observations {
		if ob.Source == scan.SourceIP {
			ip, mac, vendor = ob.IP.String(), ob.MAC, ob.Vendor
			var ps []string
			for _, pt := range ob.Ports {
				ps = append(ps, fmt.Sprint(pt))
			}
			ports = strings.Join(ps, ",")
			if ob.Hostname != "" {
				name = ob.Hostname
			}
		}
		if ob.BLE != nil {
			ble = ob.BLE
			bleAddr = fmt.Sprintf("%s (%s)", ob.BLE.Address, ob.BLE.AddressType)
			name = ob.BLE.Name
			rssi = fmt.Sprintf("%d dBm max, %d median, %d adverts", ob.BLE.RSSIMax, ob.BLE.RSSIMedian, ob.BLE.Count)
			if vendor == "" {
				vendor = ob.Vendor
			}
		}
	}
	_ = ble
	fs := []field{
		{"asset tag", d.AssetTag, ""},
		{"model", strings.TrimSpace(d.Manufacturer + " " + d.Model), strings.TrimSpace(o.Hints.Manufacturer + " " + o.Hints.Model)},
		{"class", d.DeviceClass, ""},
		{"serial", d.Serial, o.Hints.Serial},
		{"firmware", d.FirmwareVersion, o.Hints.Firmware},
		{"room", d.LocationKey, p.visit.Room.Key},
		{"status", string(d.Status), ""},
		{"IP", d.IP, ip},
		{"MAC", d.MAC, mac},
		{"BLE", d.BLEAddress, bleAddr},
		{"name", d.Hostname, name},
		{"vendor", "", vendor},
		{"ports", "", ports},
		{"signal", "", rssi},
		{"last audit", store.FormatDate(d.LastAudited), ""},
		{"next audit", store.FormatDate(d.NextAuditDue), ""},
		{"next PM", store.FormatDate(d.NextPMDue), ""},
	}
	if f.Device == nil {
		fs[5].record = ""
	}
	out := fs[:0]
	for _, x := range fs {
		if x.record != "" || x.seen != "" {
			out = append(out, x)
		}
	}
	return out
}

// differs reports a real disagreement between record and observation.
func differs(name, record, seen string) bool {
	if record == "" || seen == "" {
		return false
	}
	switch name {
	case "MAC", "IP", "serial", "firmware", "room":
		return !strings.EqualFold(strings.TrimSpace(record), strings.TrimSpace(seen))
	case "BLE":
		return !strings.HasPrefix(strings.ToUpper(seen), strings.ToUpper(record))
	}
	return false
}

func (p *detailPage) View() string {
	lines := p.lines()
	h := max(1, p.height)
	// The scroll is clamped here for drawing only: View changes no state.
	scroll := min(p.scroll, max(0, len(lines)-h))
	end := min(len(lines), scroll+h)
	view := append([]string(nil), lines[scroll:end]...)
	if end < len(lines) && len(view) > 1 {
		view[len(view)-1] = p.c.styles.Muted.Render(fmt.Sprintf("… %d more lines: ↓/j", len(lines)-end+1))
	}
	return strings.Join(view, "\n")
}

func (p *detailPage) lines() []string {
	s := p.c.styles
	f := p.item.Finding
	tag, model := report.Subject(f)
	var out []string
	head := s.KindStyle(f.Kind).Render(kindIcon(f.Kind)+" "+report.KindTitle(f.Kind)) + "  " +
		s.Title.Render(inert.String(strings.TrimSpace(tag+" "+model)))
	if p.item.Action != "" {
		head += "  " + s.OK.Render("✓ "+inert.String(p.item.Action))
	}
	out = append(out, head)
	if r := p.item.Resolution(); r != "" {
		out = append(out, s.OK.Render(inert.String(r)))
	}
	var why []string
	if f.Reason != "" {
		why = append(why, inert.String(f.Reason))
	}
	if f.Match != nil {
		why = append(why, fmt.Sprintf("matched by %s %s (confidence %.0f%%)", f.Match.By, inert.String(f.Match.Value), f.Match.Confidence*100))
	}
	if len(why) > 0 {
		out = append(out, s.Muted.Render(strings.Join(why, " · ")))
	}
	out = append(out, "")

	// Flags with evidence; advisories and recalls with their documents.
	if len(f.Flags) > 0 {
		out = append(out, s.Section.Render("Flags"))
		fl := append([]reconcile.Flag(nil), f.Flags...)
		sort.SliceStable(fl, func(i, j int) bool { return fl[i].Severity > fl[j].Severity })
		for _, x := range fl {
			line := s.Badge(report.FlagLabel(x.Kind), x.Severity) + " " + report.FlagTitle(x.Kind)
			if x.Rule != "" && !strings.EqualFold(x.Rule, report.FlagTitle(x.Kind)) {
				line += s.Muted.Render(" · " + inert.String(x.Rule))
			}
			out = append(out, line)
			if why := report.FlagReason(x); why != "" {
				out = append(out, "    "+inert.String(why))
			} else if ev := evidence(x.Evidence); ev != "" {
				out = append(out, "    "+s.Muted.Render(inert.String(ev)))
			}
			if x.Document != "" {
				doc := "    " + s.Bold.Render(inert.String(x.Document))
				if x.URL != "" {
					doc += "  " + s.Link.Render(inert.String(x.URL))
				}
				out = append(out, doc)
			}
		}
		out = append(out, "")
	}
	// Record and observation side by side.
	fs := p.fields()
	labelW := 11
	colW := max(12, (p.width-labelW-4)/2)
	out = append(out, s.Muted.Render(pad("", labelW))+"  "+s.Section.Render(pad("Record (inventory)", colW))+" "+
		s.Section.Render("Observed (this sweep)"))
	for _, x := range fs {
		rec, seen := inert.String(x.record), inert.String(x.seen)
		seenCell := pad(seen, colW)
		if differs(x.name, x.record, x.seen) {
			seenCell = s.Diff.Render(pad("≠ "+seen, colW))
		}
		if rec == "" {
			rec = s.Faint.Render(pad("—", colW))
		} else {
			rec = pad(rec, colW)
		}
		out = append(out, s.Muted.Render(pad(x.name, labelW))+"  "+rec+" "+seenCell)
	}
	if len(f.Observations) == 0 {
		out = append(out, s.Muted.Render(pad("", labelW))+"  "+pad("", colW)+" "+s.Faint.Render("not seen"))
	}

	if len(f.Candidates) > 0 {
		out = append(out, "", s.Section.Render("Likely model"))
		for _, c := range f.Candidates {
			out = append(out, fmt.Sprintf("  %s %s  %s", inert.String(c.Manufacturer), inert.String(c.Model),
				s.Muted.Render(fmt.Sprintf("%.0f%% · %s", c.Score*100, inert.String(c.Reason)))))
		}
	}
	// Fingerprints the safe probes gathered, for the curious.
	var fps []string
	for _, o := range f.Observations {
		for _, fp := range o.Fingerprints {
			for _, k := range sortedKeys(fp.Fields) {
				fps = append(fps, fmt.Sprintf("%s:%d %s=%s", inert.String(fp.Kind), fp.Port, inert.String(k), inert.String(fp.Fields[k])))
			}
		}
	}
	if len(fps) > 0 {
		out = append(out, "", s.Section.Render("Fingerprints"))
		for _, x := range fps {
			out = append(out, "  "+s.Muted.Render(x))
		}
	}
	if len(p.notes) > 0 {
		out = append(out, "", s.Section.Render("Notes"))
		for _, n := range p.notes {
			out = append(out, "  "+s.Muted.Render(n.At.Local().Format("2006-01-02 15:04")+" "+inert.String(n.Actor)+":")+" "+inert.String(n.Text))
		}
	}
	// Long lines wrap at word boundaries rather than being cut: evidence
	// and advisory titles are read in full.
	var wrapped []string
	for _, l := range out {
		if lipgloss.Width(l) <= p.width || p.width < 10 {
			wrapped = append(wrapped, l)
			continue
		}
		for i, w := range strings.Split(ansi.Wrap(l, p.width-4, " "), "\n") {
			if i > 0 {
				w = "    " + w
			}
			wrapped = append(wrapped, fit(w, p.width, 1))
		}
	}
	return wrapped
}

func evidence(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+" "+m[k])
	}
	return strings.Join(parts, " · ")
}
