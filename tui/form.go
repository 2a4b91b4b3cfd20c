package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

type formKeys struct {
	list   listKeys
	Submit key.Binding
	Next   key.Binding
	Field  key.Binding
	Back   key.Binding
}

// formPage takes the input of an action: the asset tag (typed or scanned)
// and model of an adopted unit, a corrected firmware or serial, a note.
// It stays open until the store has the change, and shows why when it
// refused it.
type formPage struct {
	c      *common
	keys   formKeys
	kind   round.ActionKind
	visit  round.Visit
	item   round.Item
	from   screenID
	step   int
	input  textinput.Model
	filter textinput.Model
	field  string
	tag    string
	models []store.Model
	order  []int
	// listState's cursor is -1 while the typed model, not a catalog
	// entry, is chosen.
	listState
	err    error
	saving bool
	width  int
	height int
	// likely is set when the device's own report or the reconciler
	// suggested catalog models.
	likely bool
}

func newForm(c *common) *formPage {
	return &formPage{c: c, keys: formKeys{
		list:   pickerListKeys(),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Field:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "firmware/serial")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}}
}

func (p *formPage) KeyMap() help.KeyMap {
	k := p.keys
	g := newGlobalKeys()
	short := []key.Binding{k.Submit, k.Back}
	switch {
	case p.kind == round.Adopt && p.step == 0:
		short = []key.Binding{k.Next, k.Back}
	case p.kind == round.Adopt:
		short = []key.Binding{k.Submit, k.list.Up, k.list.Down, k.Back}
	case p.kind == round.Correct:
		short = []key.Binding{k.Submit, k.Field, k.Back}
	}
	return keyMap{short: short, full: [][]key.Binding{short, {g.Quit}}}
}

func (p *formPage) Typing() bool { return true }

func (p *formPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.input.SetWidth(max(10, min(60, w-16)))
	p.filter.SetWidth(max(10, min(60, w-16)))
}

func (p *formPage) open(kind round.ActionKind, v round.Visit, it round.Item, from screenID, tag string) tea.Cmd {
	p.kind, p.visit, p.item, p.from = kind, v, it, from
	p.step, p.err, p.saving, p.cursor, p.offset, p.tag = 0, nil, false, 0, 0, ""
	switch kind {
	case round.Adopt:
		p.input = newInput(p.c, "scan or type the asset tag", 64)
		p.input.SetValue(tag)
		p.filter = newInput(p.c, "filter models, or type manufacturer and model", 64)
		p.models, p.order = nil, nil
	case round.Dismiss:
		p.input = newInput(p.c, "1-4, or type the reason", 200)
	case round.Correct:
		p.input = newInput(p.c, "", 128)
		p.field = round.FieldFirmware
		p.prefill()
	case round.Note:
		p.input = newInput(p.c, "what should the next technician know?", 500)
	}
	p.SetSize(p.width, p.height)
	return p.input.Focus()
}

// prefill offers the observed value when it differs from the record, so
// that correcting to what the device reports is one keystroke.
func (p *formPage) prefill() {
	d := p.item.Finding.Device
	var rec, seen string
	for _, o := range p.item.Finding.Observations {
		if p.field == round.FieldFirmware && o.Hints.Firmware != "" {
			seen = o.Hints.Firmware
		}
		if p.field == round.FieldSerial && o.Hints.Serial != "" {
			seen = o.Hints.Serial
		}
	}
	if d != nil {
		rec = d.FirmwareVersion
		if p.field == round.FieldSerial {
			rec = d.Serial
		}
	}
	v := rec
	if seen != "" {
		v = seen
	}
	p.input.SetValue(inert.String(v))
	p.input.CursorEnd()
}

// dirty reports that the technician typed something a quit would lose.
func (p *formPage) dirty() bool {
	return strings.TrimSpace(p.input.Value()) != "" || strings.TrimSpace(p.filter.Value()) != ""
}

// scanned takes a scan into the focused field: it replaces the content
// (never appends to it). A tag scanned into the adopt form moves on to
// the model, as Enter would.
func (p *formPage) scanned(text string) tea.Cmd {
	if p.saving {
		return nil
	}
	if p.kind == round.Adopt && p.step == 1 {
		p.filter.SetValue(text)
		p.filter.CursorEnd()
		p.cursor = 0
		p.sortModels()
		return nil
	}
	p.input.SetValue(text)
	p.input.CursorEnd()
	if p.kind == round.Adopt {
		return p.submit()
	}
	return nil
}

// typedModel reads "Manufacturer Model" from the filter for a model that
// is not in the catalog: the first word is the manufacturer.
func (p *formPage) typedModel() (string, string, bool) {
	f := strings.Fields(p.filter.Value())
	if len(f) < 2 {
		return "", "", false
	}
	return f[0], strings.Join(f[1:], " "), true
}

// reported is the manufacturer and model the device itself reported, if
// any.
func (p *formPage) reported() (string, string) {
	for _, o := range p.item.Finding.Observations {
		if o.Hints.Manufacturer != "" && o.Hints.Model != "" {
			return inert.String(o.Hints.Manufacturer), inert.String(o.Hints.Model)
		}
	}
	return "", ""
}

func (p *formPage) setErr(err error) {
	p.saving = false
	p.err = err
}

// sortModels puts the reconciler's candidates and the model the device
// named first, then the catalog in order, filtered by the query.
func (p *formPage) sortModels() {
	f := p.item.Finding
	rank := map[[2]string]int{}
	for i, c := range f.Candidates {
		rank[[2]string{c.Manufacturer, c.Model}] = len(f.Candidates) - i + 1
	}
	for _, o := range f.Observations {
		if o.Hints.Manufacturer != "" && o.Hints.Model != "" {
			k := [2]string{o.Hints.Manufacturer, o.Hints.Model}
			rank[k] = max(rank[k], 1)
		}
	}
	q := p.filter.Value()
	idx := fuzzyFilter(q, len(p.models), func(i int) string {
		m := p.models[i]
		return m.Manufacturer + " " + m.Model + " " + m.DeviceClass
	}, 0)
	if strings.TrimSpace(q) == "" {
		// No query: candidates first, then catalog order.
		var first, rest []int
		for _, i := range idx {
			if rank[[2]string{p.models[i].Manufacturer, p.models[i].Model}] > 0 {
				first = append(first, i)
			} else {
				rest = append(rest, i)
			}
		}
		for a := 1; a < len(first); a++ {
			for b := a; b > 0; b-- {
				ra := rank[[2]string{p.models[first[b]].Manufacturer, p.models[first[b]].Model}]
				rb := rank[[2]string{p.models[first[b-1]].Manufacturer, p.models[first[b-1]].Model}]
				if ra <= rb {
					break
				}
				first[b], first[b-1] = first[b-1], first[b]
			}
		}
		idx = append(first, rest...)
	}
	p.order = idx
	p.likely = len(first(rank, p.models, idx)) > 0
	p.cursor = min(p.cursor, max(0, len(p.order)-1))
	if !p.likely && strings.TrimSpace(q) == "" {
		// Nothing is likely: the first catalog entry is no better than
		// any other, so none is picked until the technician moves.
		p.cursor = -1
	}
}

// first returns the ranked (likely) entries among idx.
func first(rank map[[2]string]int, ms []store.Model, idx []int) []int {
	var out []int
	for _, i := range idx {
		if rank[[2]string{ms[i].Manufacturer, ms[i].Model}] > 0 {
			out = append(out, i)
		}
	}
	return out
}

func (p *formPage) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case modelsMsg:
		if msg.err != nil {
			p.err = msg.err
			return nil
		}
		p.models = msg.models
		p.sortModels()
		return nil
	case tea.KeyPressMsg:
		if p.saving {
			return nil
		}
		switch {
		case key.Matches(msg, p.keys.Back):
			if p.kind == round.Adopt && p.step == 1 {
				p.step, p.err = 0, nil
				p.filter.Blur()
				return p.input.Focus()
			}
			return send(popMsg{})
		case p.kind == round.Correct && key.Matches(msg, p.keys.Field):
			if p.field == round.FieldFirmware {
				p.field = round.FieldSerial
			} else {
				p.field = round.FieldFirmware
			}
			p.prefill()
			return nil
		case key.Matches(msg, p.keys.Submit):
			return p.submit()
		}
		if p.kind == round.Adopt && p.step == 1 {
			if c, moved := moveCursor(p.keys.list, msg, max(p.cursor, 0), len(p.order), p.listHeight()); moved {
				if p.cursor < 0 {
					c = 0
				}
				p.cursor = c
				p.offset = scrollOffset(p.cursor, p.offset, p.listHeight(), len(p.order))
				return nil
			}
			before := p.filter.Value()
			var cmd tea.Cmd
			p.filter, cmd = p.filter.Update(msg)
			if p.filter.Value() != before {
				p.cursor = 0
				p.sortModels()
				if len(p.order) == 0 {
					p.cursor = -1
				}
			}
			return cmd
		}
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

func (p *formPage) submit() tea.Cmd {
	p.err = nil
	a := round.Action{Kind: p.kind}
	switch p.kind {
	case round.Adopt:
		if p.step == 0 {
			tag := strings.TrimSpace(p.input.Value())
			if err := round.ValidTag(tag); err != nil {
				p.err = err
				return nil
			}
			p.tag = tag
			p.step = 1
			p.input.Blur()
			return p.filter.Focus()
		}
		switch {
		case p.cursor >= 0 && p.cursor < len(p.order):
			m := p.models[p.order[p.cursor]]
			a.Manufacturer, a.Model, a.DeviceClass = m.Manufacturer, m.Model, m.DeviceClass
		default:
			// A model not in the catalog: typed, or as the device
			// reported it. The store adds the catalog entry.
			mf, md, ok := p.typedModel()
			if !ok {
				mf, md = p.reported()
			}
			if mf == "" || md == "" {
				p.err = fmt.Errorf("no model picked: pick one with ↑/↓, or type the manufacturer and the model")
				return nil
			}
			a.Manufacturer, a.Model = mf, md
		}
		a.AssetTag = p.tag
	case round.Dismiss:
		v := strings.TrimSpace(p.input.Value())
		if n := len(v); n == 1 && v[0] >= '1' && int(v[0]-'0') <= len(round.DismissReasons) {
			v = round.DismissReasons[v[0]-'1']
		}
		if v == "" {
			p.err = fmt.Errorf("pick a reason (1-%d) or type one", len(round.DismissReasons))
			return nil
		}
		a.Text = v
	case round.Correct:
		a.Field, a.Value = p.field, p.input.Value()
	case round.Note:
		a.Text = p.input.Value()
	}
	p.saving = true
	return send(applyMsg{item: p.item, action: a})
}

func (p *formPage) listHeight() int { return max(1, p.height-9) }

func (p *formPage) View() string {
	s := p.c.styles
	var b strings.Builder
	f := p.item.Finding
	tag, model := report.Subject(f)
	subject := inert.String(strings.TrimSpace(tag + " " + model))
	if seen := report.Seen(f); seen != "" {
		subject += s.Muted.Render(" · " + inert.String(seen))
	}
	switch p.kind {
	case round.Adopt:
		b.WriteString(s.Title.Render("Adopt an unknown unit") + s.Muted.Render(" into "+inert.String(p.visit.Room.Key)) + "\n")
		b.WriteString(subject + "\n\n")
		b.WriteString(s.Bold.Render("Asset tag ") + s.Muted.Render("(scan the label or type it, then enter)") + "\n")
		if p.step == 0 {
			b.WriteString(p.input.View() + "\n")
		} else {
			b.WriteString("› " + s.Bold.Render(inert.String(p.tag)) + "\n")
			b.WriteString("\n" + s.Bold.Render("Model ") + s.Muted.Render("(likely first; type to filter the catalog)") + "\n")
			b.WriteString(p.filter.View() + "\n")
			if p.models == nil {
				b.WriteString(s.Muted.Render("loading the catalog…") + "\n")
			}
			if mf, md := p.reported(); mf != "" && p.cursor < 0 {
				b.WriteString(s.Muted.Render("enter adopts it as reported: "+mf+" "+md) + "\n")
			} else if mf, md, ok := p.typedModel(); ok && p.cursor < 0 || ok && len(p.order) == 0 {
				b.WriteString(s.Muted.Render("enter adds a new catalog model: "+inert.String(mf+" "+md)) + "\n")
			}
			h := p.listHeight()
			from, to := p.window(len(p.order), h)
			for i := from; i < to; i++ {
				m := p.models[p.order[i]]
				cur := "  "
				if i == p.cursor {
					cur = s.Cursor.Render("▸ ")
				}
				line := cur + inert.String(m.Manufacturer+" "+m.Model)
				if m.DeviceClass != "" {
					line += s.Muted.Render(" · " + inert.String(m.DeviceClass))
				}
				b.WriteString(line + "\n")
			}
		}
	case round.Correct:
		b.WriteString(s.Title.Render("Correct the record") + "\n" + subject + "\n\n")
		fw, sn := "  firmware", "  serial"
		if p.field == round.FieldFirmware {
			fw = s.Cursor.Render("▸ firmware")
		} else {
			sn = s.Cursor.Render("▸ serial")
		}
		b.WriteString(fw + "   " + sn + s.Muted.Render("   (tab switches)") + "\n")
		if d := f.Device; d != nil {
			cur := d.FirmwareVersion
			if p.field == round.FieldSerial {
				cur = d.Serial
			}
			if cur == "" {
				cur = "—"
			}
			b.WriteString(s.Muted.Render("recorded: "+inert.String(cur)) + "\n")
		}
		b.WriteString(p.input.View() + "\n")
	case round.Note:
		b.WriteString(s.Title.Render("Add a note") + "\n" + subject + "\n\n")
		b.WriteString(p.input.View() + "\n")
	case round.Dismiss:
		b.WriteString(s.Title.Render("Dismiss an unknown unit") + s.Muted.Render(" · it will not be asked about again") + "\n" + subject + "\n\n")
		for i, r := range round.DismissReasons {
			b.WriteString(fmt.Sprintf("  %d %s\n", i+1, r))
		}
		b.WriteString(p.input.View() + "\n")
	}
	if p.saving {
		b.WriteString("\n" + s.Warn.Render("saving…"))
	}
	if p.err != nil {
		b.WriteString("\n" + s.Error.Render("✗ "+inert.String(p.err.Error())))
	}
	return strings.TrimRight(b.String(), "\n")
}
