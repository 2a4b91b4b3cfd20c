package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/store"
)

type overviewKeys struct {
	list    listKeys
	Open    key.Binding
	Pick    key.Binding
	Summary key.Binding
	Sync    key.Binding
	History key.Binding
	Quit    key.Binding
}

// overviewPage is the round overview: the rooms with their progress, what
// is due and what is left. Without a round it lists the floors to plan
// one for.
type overviewPage struct {
	c    *common
	keys overviewKeys
	listState
	width  int
	height int
	floors []store.Floor
}

func newOverview(c *common) *overviewPage {
	// No letters but j and k move the list here: a scanned room label
	// typed on this screen must reach the room search.
	list := newListKeys()
	list.Home.SetKeys("home")
	list.Home.SetHelp("home", "first")
	list.End.SetKeys("end")
	list.End.SetHelp("end", "last")
	return &overviewPage{c: c, keys: overviewKeys{
		list:    list,
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Pick:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "find/scan room")),
		Summary: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "summary")),
		History: key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "history/undo")),
		Sync:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "sync")),
		Quit:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	}}
}

func (p *overviewPage) KeyMap() help.KeyMap {
	k := p.keys
	g := newGlobalKeys()
	return keyMap{
		short: []key.Binding{k.Open, k.Pick, k.Summary, k.Sync, g.Help, k.Quit},
		full:  [][]key.Binding{k.list.bindings(), {k.Open, k.Pick, k.Summary, k.Sync, k.History}, {g.Help, k.Quit, g.Quit}},
	}
}

func (p *overviewPage) Typing() bool { return false }

func (p *overviewPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.fit(p.n(), p.listHeight())
}

func (p *overviewPage) n() int {
	if p.c.hasRound {
		return len(p.c.rooms)
	}
	return len(p.floors)
}

// refresh keeps the cursor in range after the rooms changed.
func (p *overviewPage) refresh() {
	p.fit(p.n(), p.listHeight())
}

func (p *overviewPage) selectedKey() string {
	if p.c.hasRound && p.cursor < len(p.c.rooms) {
		return p.c.rooms[p.cursor].Location.Key
	}
	return ""
}

// selectKey moves the cursor to a room; to the first room not done when
// key is "".
func (p *overviewPage) selectKey(key string) {
	if i := p.c.roomIndex(key); i >= 0 {
		p.selectRow(i, p.n(), p.listHeight())
		return
	}
	if key == "" {
		for i, r := range p.c.rooms {
			if r.Visit.Status != store.VisitDone {
				p.selectRow(i, p.n(), p.listHeight())
				return
			}
		}
	}
}

func (p *overviewPage) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if p.move(p.keys.list, km, p.n(), p.listHeight()) {
		return nil
	}
	switch {
	case key.Matches(km, p.keys.Open):
		if p.c.hasRound {
			if k := p.selectedKey(); k != "" {
				return send(openRoomMsg{key: k})
			}
			return nil
		}
		if p.cursor < len(p.floors) {
			f := p.floors[p.cursor]
			return send(createRoundMsg{building: f.Building, floor: f.Floor})
		}
	case key.Matches(km, p.keys.Pick):
		return send(pushMsg{screen: scrPicker})
	case key.Matches(km, p.keys.History):
		if p.c.hasRound {
			return send(pushMsg{screen: scrHistory})
		}
	case key.Matches(km, p.keys.Summary):
		if p.c.hasRound {
			return send(pushMsg{screen: scrSummary})
		}
	case key.Matches(km, p.keys.Sync):
		return send(pushMsg{screen: scrSync})
	default:
		// A barcode scanner types a room label here: anything printable
		// that is not a key of this screen starts a room search with it.
		if km.Text != "" && km.Mod == 0 && km.Text != "?" {
			return tea.Sequence(send(pushMsg{screen: scrPicker}), send(typeAheadMsg{text: km.Text}))
		}
	}
	return nil
}

// typeAheadMsg hands the picker what was typed on the overview.
type typeAheadMsg struct{ text string }

func (p *overviewPage) listHeight() int {
	return max(1, p.height-4)
}

func (p *overviewPage) View() string {
	s := p.c.styles
	if !p.c.hasRound {
		return p.floorsView()
	}
	var b strings.Builder
	rooms := p.c.rooms
	done, toVisit, open, pm, audit := 0, 0, 0, 0, 0
	for _, r := range rooms {
		switch r.Visit.Status {
		case store.VisitDone:
			done++
		case "":
			toVisit++
		}
		open += r.Visit.Open
		pm += r.PMDue
		audit += r.AuditDue
	}
	// Progress line with a bar of rooms done.
	barW := min(30, max(10, p.width/4))
	fmt.Fprintf(&b, "%s %s %d of %s done\n", s.Title.Render("Round"), bar(s, done, len(rooms), barW), done, plural(len(rooms), "room"))
	left := []string{plural(toVisit, "room") + " to visit"}
	if open > 0 {
		left = append(left, s.Warn.Render(plural(open, "finding")+" "+verb(open, "needs", "need")+" action"))
	}
	left = append(left, fmt.Sprintf("PM due %d", pm), fmt.Sprintf("audits due %d", audit))
	b.WriteString(s.Muted.Render("Left: ") + strings.Join(left, s.Muted.Render(" · ")) + "\n\n")

	wide := p.width >= 100
	// Column widths: cursor 2, status 2, key, name (flex), devices, due, findings.
	keyW := 16
	for _, r := range rooms {
		keyW = max(keyW, min(28, lipgloss.Width(inert.String(r.Location.Key))))
	}
	findW := 22
	nameW := p.width - 2 - 2 - keyW - 1 - 8 - 10 - findW - 2
	if !wide {
		nameW = p.width - 2 - 2 - keyW - 1 - 5 - 7 - findW - 2
	}
	nameW = max(nameW, 6)
	head := fmt.Sprintf("    %-*s %-*s %5s %7s  %s", keyW, "Room", nameW, "Name", "Devs", "PM/Aud", "Findings")
	if wide {
		head = fmt.Sprintf("    %-*s %-*s %8s %10s  %s", keyW, "Room", nameW, "Name", "Devices", "PM/Audit", "Findings")
	}
	b.WriteString(s.Muted.Render(head) + "\n")
	h := p.listHeight()
	from, to := p.window(len(rooms), h)
	for i := from; i < to; i++ {
		r := rooms[i]
		cur := "  "
		if i == p.cursor {
			cur = s.Cursor.Render("▸ ")
		}
		icon, iconSt := "·", s.Faint
		switch r.Visit.Status {
		case store.VisitDone:
			icon, iconSt = "✓", s.OK
		case store.VisitSwept:
			icon, iconSt = "◐", s.Warn
		case store.VisitOpen:
			icon, iconSt = "!", s.Error
		}
		name := inert.String(r.Location.Name)
		if r.Location.RFShielded {
			name += " (shielded)"
		}
		due := fmt.Sprintf("%d/%d", r.PMDue, r.AuditDue)
		line := fmt.Sprintf("%s%s %s %s %*d %*s  %s", cur, iconSt.Render(icon),
			pad(inert.String(r.Location.Key), keyW), pad(name, nameW),
			map[bool]int{true: 8, false: 5}[wide], r.Expected, map[bool]int{true: 10, false: 7}[wide], due,
			p.findingsCell(r))
		if i == p.cursor && !s.Plain {
			line = s.Selected.Render(stripped(line))
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// findingsCell summarises a room's findings: ✓3 ✗1 →1 +2, or the visit
// state.
func (p *overviewPage) findingsCell(r store.RoundRoom) string {
	s := p.c.styles
	switch r.Visit.Status {
	case "":
		return s.Faint.Render("not visited")
	case store.VisitOpen:
		return s.Error.Render("sweep interrupted")
	}
	var parts []string
	for _, k := range reconcile.Kinds {
		if n := r.Visit.Kinds[string(k)]; n > 0 {
			parts = append(parts, s.KindStyle(k).Render(fmt.Sprintf("%s%d", kindIcon(k), n)))
		}
	}
	if len(parts) == 0 {
		return s.Muted.Render("nothing found")
	}
	return strings.Join(parts, " ")
}

func (p *overviewPage) floorsView() string {
	s := p.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("No round in progress.") + "\n")
	if len(p.floors) == 0 {
		b.WriteString(s.Muted.Render("The inventory has no rooms yet: import locations and devices first (rounds import).") + "\n")
		return b.String()
	}
	b.WriteString(s.Muted.Render("Pick a floor to plan a round over its rooms, or press / to visit any room.") + "\n\n")
	h := p.listHeight()
	from, to := p.window(len(p.floors), h)
	for i := from; i < to; i++ {
		f := p.floors[i]
		cur := "  "
		if i == p.cursor {
			cur = s.Cursor.Render("▸ ")
		}
		b.WriteString(fmt.Sprintf("%s%s floor %s  %s\n", cur, inert.String(f.Building), inert.String(f.Floor),
			s.Muted.Render(fmt.Sprintf("%d rooms", f.Rooms))))
	}
	return strings.TrimRight(b.String(), "\n")
}

// scrollOffset keeps the cursor inside a window of h rows.
func scrollOffset(cursor, offset, h, n int) int {
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+h {
		offset = cursor - h + 1
	}
	return max(0, min(offset, max(0, n-h)))
}

// pad truncates or pads s to exactly w cells.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := cellWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// bar draws a progress bar w cells wide.
func bar(s Styles, done, total, w int) string {
	if total <= 0 {
		return s.BarEmpty.Render(strings.Repeat("░", w))
	}
	full := min(w, done*w/total)
	return s.BarFull.Render(strings.Repeat("█", full)) + s.BarEmpty.Render(strings.Repeat("░", w-full))
}

// stripped removes styling, for rows restyled as selected.
func stripped(s string) string { return ansi.Strip(s) }

func widthOf(s string) int { return lipgloss.Width(s) }
