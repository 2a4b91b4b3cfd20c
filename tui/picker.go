package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
)

// pickerMax bounds the rooms listed for one query: the list is for
// choosing, not browsing tens of thousands of rooms.
const pickerMax = 200

type pickerKeys struct {
	list   listKeys
	Choose key.Binding
	Back   key.Binding
}

// pickerPage finds a room by fuzzy search over key, name and barcode, or
// takes a scanned room label: a USB barcode scanner types the label and
// Enter, and an exact label or key wins over the highlighted match.
type pickerPage struct {
	c       *common
	keys    pickerKeys
	input   textinput.Model
	rooms   []store.RoomEntry
	loading bool
	err     error
	matches []int
	listState
	width  int
	height int
	busy   bool
}

func newPicker(c *common) *pickerPage {
	return &pickerPage{c: c, keys: pickerKeys{
		list:   pickerListKeys(),
		Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open room")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}, input: newInput(c, "type to search, or scan a room label", 128)}
}

func (p *pickerPage) KeyMap() help.KeyMap {
	k := p.keys
	return keyMap{
		short: []key.Binding{k.Choose, k.list.Up, k.list.Down, k.Back},
		full:  [][]key.Binding{k.list.bindings(), {k.Choose, k.Back, newGlobalKeys().Quit}},
	}
}

func (p *pickerPage) Typing() bool { return true }

func (p *pickerPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.input.SetWidth(max(10, w-4))
	p.fit(len(p.matches), p.listHeight())
}

// open resets the query and loads the room index (once).
func (p *pickerPage) open() tea.Cmd {
	p.input = newInput(p.c, p.input.Placeholder, 128)
	p.input.SetWidth(max(10, p.width-4))
	p.busy = false
	focus := p.input.Focus()
	p.filter()
	if p.rooms == nil && !p.loading {
		p.loading = true
		return tea.Batch(focus, p.c.loadRoomIndex())
	}
	return focus
}

// failed re-enables the picker after a room could not be opened.
func (p *pickerPage) failed() { p.busy = false }

func (p *pickerPage) filter() {
	q := p.input.Value()
	p.matches = fuzzyFilter(q, len(p.rooms), func(i int) string {
		r := p.rooms[i]
		return r.Key + " " + r.Name + " " + r.Barcode
	}, pickerMax)
	p.reset()
}

// exact returns the room whose barcode or key is exactly the query.
func (p *pickerPage) exact(q string) (string, bool) {
	q = strings.TrimSpace(q)
	if q == "" {
		return "", false
	}
	for _, r := range p.rooms {
		if strings.EqualFold(r.Barcode, q) || strings.EqualFold(r.Key, q) {
			return r.Key, true
		}
	}
	return "", false
}

func (p *pickerPage) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case roomIndexMsg:
		p.loading = false
		p.rooms, p.err = msg.rooms, msg.err
		if p.rooms == nil {
			p.rooms = []store.RoomEntry{}
		}
		p.filter()
		return nil
	case typeAheadMsg:
		p.input.SetValue(p.input.Value() + msg.text)
		p.input.CursorEnd()
		p.filter()
		return nil
	case tea.KeyPressMsg:
		if p.busy {
			return nil
		}
		if p.move(p.keys.list, msg, len(p.matches), p.listHeight()) {
			return nil
		}
		switch {
		case key.Matches(msg, p.keys.Back):
			return send(popMsg{})
		case key.Matches(msg, p.keys.Choose):
			q := strings.TrimSpace(p.input.Value())
			if k, ok := p.exact(q); ok {
				p.busy = true
				return send(openRoomMsg{key: k})
			}
			if p.cursor < len(p.matches) {
				p.busy = true
				return send(openRoomMsg{key: p.rooms[p.matches[p.cursor]].Key})
			}
			if q != "" && p.rooms == nil {
				// The index is still loading: try the label as it is.
				p.busy = true
				return send(openRoomMsg{key: q})
			}
			return send(statusMsg{err: fmt.Errorf("no room matches %q", inert.String(q))})
		}
	}
	before := p.input.Value()
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	if p.input.Value() != before {
		p.filter()
	}
	return cmd
}

func (p *pickerPage) listHeight() int { return max(1, p.height-4) }

func (p *pickerPage) View() string {
	s := p.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Pick a room") + s.Muted.Render(" · search by room, name or label; a scanned label opens at once") + "\n")
	b.WriteString(p.input.View() + "\n")
	switch {
	case p.err != nil:
		b.WriteString(s.Error.Render(inert.String(p.err.Error())) + "\n")
	case p.loading:
		b.WriteString(s.Muted.Render("loading rooms…") + "\n")
	default:
		note := fmt.Sprintf("%d of %d rooms", len(p.matches), len(p.rooms))
		if len(p.matches) == pickerMax {
			note = fmt.Sprintf("best %d of %d rooms; type more to narrow", pickerMax, len(p.rooms))
		}
		b.WriteString(s.Muted.Render(note) + "\n")
	}
	h := p.listHeight()
	from, to := p.window(len(p.matches), h)
	keyW := min(28, max(16, p.width/4))
	for i := from; i < to; i++ {
		r := p.rooms[p.matches[i]]
		cur := "  "
		if i == p.cursor {
			cur = s.Cursor.Render("▸ ")
		}
		mark := " "
		if p.c.roomIndex(r.Key) >= 0 {
			mark = s.OK.Render("•")
		}
		line := cur + mark + " " + pad(inert.String(r.Key), keyW) + " " + inert.String(r.Name)
		if r.Barcode != "" {
			line += "  " + s.Muted.Render(inert.String(r.Barcode))
		}
		if i == p.cursor && !s.Plain {
			line = s.Selected.Render(stripped(line))
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
