package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

type findingsKeys struct {
	list     listKeys
	actions  actionKeys
	Detail   key.Binding
	Next     key.Binding
	FlagF    key.Binding
	Sort     key.Binding
	Filter   key.Binding
	Search   key.Binding
	Resweep  key.Binding
	Done     key.Binding
	Back     key.Binding
	EndQuery key.Binding
}

// Sort orders within each kind group.
const (
	sortTag = iota
	sortSeverity
	sortName
	sortCount
)

var sortNames = []string{"asset tag", "severity", "name"}

// Filters.
const (
	filterAll = iota
	filterAction
	filterFlagged
	filterKinds // + index into reconcile.Kinds
)

func filterName(f int) string {
	switch f {
	case filterAll:
		return "all"
	case filterAction:
		return "needs action"
	case filterFlagged:
		return "flagged"
	}
	if i := f - filterKinds; i >= 0 && i < len(reconcile.Kinds) {
		return strings.ToLower(report.KindTitle(reconcile.Kinds[i]))
	}
	return "all"
}

// row is one line of the findings list: a group header or an item.
type row struct {
	header reconcile.Kind
	count  int
	item   int // index into visit.Items; -1 for headers
}

// findingsPage lists a visit's findings grouped by kind (Verified,
// Missing, Unverified, Moved here, Unknown, Heard nearby), flags as
// badges, with sort, filter, search and the technician's actions.
type findingsPage struct {
	c     *common
	keys  findingsKeys
	visit round.Visit
	rows  []row
	// listState's cursor indexes rows and is always on an item when
	// there is one; follow (in Update) keeps the offset, with the group
	// header of the first item shown when there is room.
	listState
	width  int
	height int

	sort   int
	filter int
	// flag shows only findings carrying this flag kind ("" for all).
	flag   reconcile.FlagKind
	query  string
	search textinput.Model
	typing bool
	// scanTag is an unknown asset tag scanned here, offered when the
	// technician next adopts a unit.
	scanTag string
	// lastActed is the finding of the last action taken here, what u
	// takes back.
	lastActed int64
}

func newFindings(c *common) *findingsPage {
	b := func(keys []string, k, d string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, d))
	}
	return &findingsPage{c: c, keys: findingsKeys{
		list:     newListKeys(),
		actions:  newActionKeys(),
		Detail:   b([]string{"enter"}, "enter", "detail"),
		Next:     b([]string{" ", "space"}, "space", "next to act on"),
		FlagF:    b([]string{"F"}, "F", "flag filter"),
		Sort:     b([]string{"o"}, "o", "sort"),
		Filter:   b([]string{"f"}, "f", "filter"),
		Search:   b([]string{"/"}, "/", "search"),
		Resweep:  b([]string{"r"}, "r", "sweep again"),
		Done:     b([]string{"D"}, "D", "done"),
		Back:     b([]string{"esc"}, "esc", "rooms"),
		EndQuery: b([]string{"enter", "esc"}, "enter/esc", "end search"),
	}, search: newInput(c, "asset tag, model, address…", 64)}
}

func (p *findingsPage) KeyMap() help.KeyMap {
	k := p.keys
	g := newGlobalKeys()
	if p.typing {
		return keyMap{short: []key.Binding{k.EndQuery}, full: [][]key.Binding{{k.EndQuery, g.Quit}}}
	}
	// Only the actions valid for the row under the cursor are offered.
	var acts []key.Binding
	if it, ok := p.current(); ok {
		acts = k.actions.valid(it)
	}
	back := k.Back
	if p.query != "" || p.filter != filterAll || p.flag != "" {
		back = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search/filter"))
	}
	if it, ok := p.current(); ok && it.Action != "" {
		acts = append(acts, k.actions.Undo)
	}
	short := append(append([]key.Binding{}, acts...), k.Detail, k.Next, k.Done, g.Help)
	return keyMap{
		short: short,
		full: [][]key.Binding{
			acts,
			{k.Detail, k.Next, k.Sort, k.Filter, k.FlagF, k.Search},
			{k.Resweep, k.Done, back, g.Quit},
			k.list.bindings(),
		},
	}
}

func (p *findingsPage) Typing() bool { return p.typing }

func (p *findingsPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.search.SetWidth(max(10, w/3))
	p.follow()
}

func (p *findingsPage) setVisit(v round.Visit, rs *resumeState) {
	p.visit = v
	p.c.pending = 0
	p.typing = false
	p.scanTag = ""
	p.flag = ""
	p.lastActed = 0
	p.cursor, p.offset = 0, 0
	var want int64
	if rs != nil && rs.VisitID == v.ID {
		p.sort, p.filter, p.query = rs.Sort%sortCount, rs.Filter, rs.Query
		want = rs.FindingID
	} else {
		p.filter, p.query = filterAll, ""
	}
	p.rebuild()
	p.selectID(want)
}

// selectID puts the cursor on an item by finding id (or the first item).
func (p *findingsPage) selectID(id int64) {
	for i, r := range p.rows {
		if r.item >= 0 && p.visit.Items[r.item].ID == id {
			p.cursor = i
			return
		}
	}
	p.cursor = p.firstItem(0, 1)
	p.follow()
}

// firstItem finds the nearest item row from i in direction dir.
func (p *findingsPage) firstItem(i, dir int) int {
	for ; i >= 0 && i < len(p.rows); i += dir {
		if p.rows[i].item >= 0 {
			return i
		}
	}
	return -1
}

func (p *findingsPage) current() (round.Item, bool) {
	if p.cursor < 0 || p.cursor >= len(p.rows) || p.rows[p.cursor].item < 0 {
		return round.Item{}, false
	}
	return p.visit.Items[p.rows[p.cursor].item], true
}

// replace puts an acted-on item back in the list.
func (p *findingsPage) replace(it round.Item) {
	for i := range p.visit.Items {
		if p.visit.Items[i].ID == it.ID {
			p.visit.Items[i] = it
		}
	}
	cur, _ := p.current()
	p.rebuild()
	p.selectID(cur.ID)
}

// advance moves to the next item after an action.
func (p *findingsPage) advance() {
	if n := p.firstItem(p.cursor+1, 1); n >= 0 {
		p.cursor = n
	}
	p.follow()
}

func severityOf(f reconcile.Finding) int {
	s := -1
	for _, fl := range f.Flags {
		s = max(s, int(fl.Severity))
	}
	return s
}

func (p *findingsPage) matches(it round.Item) bool {
	f := it.Finding
	switch {
	case p.filter == filterAction:
		if !it.Open() {
			return false
		}
	case p.filter == filterFlagged:
		if len(f.Flags) == 0 {
			return false
		}
	case p.filter >= filterKinds:
		if i := p.filter - filterKinds; i < len(reconcile.Kinds) && f.Kind != reconcile.Kinds[i] {
			return false
		}
	}
	if p.flag != "" {
		has := false
		for _, fl := range f.Flags {
			has = has || fl.Kind == p.flag
		}
		if !has {
			return false
		}
	}
	if q := strings.ToLower(strings.TrimSpace(p.query)); q != "" {
		tag, model := report.Subject(f)
		hay := strings.ToLower(tag + " " + model + " " + report.Seen(f) + " " + it.Action + " " + it.Resolution())
		if f.Device != nil {
			hay += " " + strings.ToLower(f.Device.Serial)
		}
		for _, n := range it.Notes {
			hay += " " + strings.ToLower(n.Text)
		}
		if !strings.Contains(hay, q) {
			return false
		}
	}
	return true
}

// rebuild recomputes the rows after the data, sort, filter or query
// changed.
func (p *findingsPage) rebuild() {
	groups := map[reconcile.Kind][]int{}
	for i, it := range p.visit.Items {
		if p.matches(it) {
			groups[it.Finding.Kind] = append(groups[it.Finding.Kind], i)
		}
	}
	p.rows = p.rows[:0]
	for _, k := range reconcile.Kinds {
		idx := groups[k]
		if len(idx) == 0 {
			continue
		}
		sort.SliceStable(idx, func(a, b int) bool {
			fa, fb := p.visit.Items[idx[a]].Finding, p.visit.Items[idx[b]].Finding
			ta, ma := report.Subject(fa)
			tb, mb := report.Subject(fb)
			switch p.sort {
			case sortSeverity:
				if sa, sb := severityOf(fa), severityOf(fb); sa != sb {
					return sa > sb
				}
				if len(fa.Flags) != len(fb.Flags) {
					return len(fa.Flags) > len(fb.Flags)
				}
			case sortName:
				if ma != mb {
					return ma < mb
				}
			}
			if ta != tb {
				if ta == "" || tb == "" {
					return tb == ""
				}
				return ta < tb
			}
			return ma < mb
		})
		p.rows = append(p.rows, row{header: k, count: len(idx), item: -1})
		for _, i := range idx {
			p.rows = append(p.rows, row{item: i})
		}
	}
	p.cursor = min(p.cursor, len(p.rows)-1)
	if p.cursor < 0 || (p.cursor < len(p.rows) && p.rows[p.cursor].item < 0) {
		p.cursor = p.firstItem(max(p.cursor, 0), 1)
	}
}

func (p *findingsPage) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if p.typing {
		if ok && key.Matches(km, p.keys.EndQuery) {
			p.typing = false
			p.search.Blur()
			return p.save()
		}
		var cmd tea.Cmd
		p.search, cmd = p.search.Update(msg)
		if p.search.Value() != p.query {
			p.query = p.search.Value()
			cur, _ := p.current()
			p.rebuild()
			p.selectID(cur.ID)
		}
		return cmd
	}
	if !ok {
		return nil
	}
	if c, moved := moveCursor(p.keys.list, km, p.cursor, len(p.rows), p.listHeight()); moved {
		// Skip headers in the direction of travel.
		dir := 1
		if c < p.cursor {
			dir = -1
		}
		if n := p.firstItem(c, dir); n >= 0 {
			p.cursor = n
		} else if n := p.firstItem(c, -dir); n >= 0 {
			p.cursor = n
		}
		p.follow()
		return nil
	}
	it, has := p.current()
	if k, ok := actionFor(p.keys.actions, km); ok {
		if !has {
			return nil
		}
		tag := ""
		if k == round.Adopt {
			tag = p.scanTag
		}
		return act(k, it, p.c.pending != 0, tag)
	}
	switch {
	case key.Matches(km, p.keys.actions.Undo):
		// u takes back the last action taken here, wherever the cursor
		// moved on to since; with none, the row's own.
		if p.lastActed != 0 {
			for _, x := range p.visit.Items {
				if x.ID == p.lastActed {
					p.selectID(x.ID)
					return undo(x, p.c.pending != 0)
				}
			}
		}
		if has {
			return undo(it, p.c.pending != 0)
		}
	case key.Matches(km, p.keys.Back):
		// Esc clears a search or filter first; only then leaves the room.
		if p.query != "" || p.filter != filterAll || p.flag != "" {
			p.query, p.filter, p.flag = "", filterAll, ""
			p.search.SetValue("")
			p.rebuild()
			p.selectID(it.ID)
			return tea.Batch(send(statusMsg{text: "search and filter cleared"}), p.save())
		}
		return send(popMsg{})
	case key.Matches(km, p.keys.Next):
		if !p.nextOpen() {
			return send(statusMsg{text: "nothing left to act on in this room"})
		}
		return p.save()
	case key.Matches(km, p.keys.FlagF):
		p.flag = nextFlag(p.flag, p.visit.Items)
		p.rebuild()
		p.selectID(it.ID)
		name := "all flags"
		if p.flag != "" {
			name = "only " + report.FlagLabel(p.flag)
		}
		return tea.Batch(send(statusMsg{text: "showing " + name}), p.save())
	case key.Matches(km, p.keys.Detail):
		if has {
			return send(pushMsg{screen: scrDetail})
		}
	case key.Matches(km, p.keys.Sort):
		p.sort = (p.sort + 1) % sortCount
		cur, _ := p.current()
		p.rebuild()
		p.selectID(cur.ID)
		return tea.Batch(send(statusMsg{text: "sorted by " + sortNames[p.sort]}), p.save())
	case key.Matches(km, p.keys.Filter):
		p.filter = (p.filter + 1) % (filterKinds + len(reconcile.Kinds))
		cur, _ := p.current()
		p.rebuild()
		p.selectID(cur.ID)
		return tea.Batch(send(statusMsg{text: "showing " + filterName(p.filter)}), p.save())
	case key.Matches(km, p.keys.Search):
		p.typing = true
		p.search.SetValue(p.query)
		p.search.CursorEnd()
		return p.search.Focus()
	case key.Matches(km, p.keys.Resweep):
		return send(openRoomMsg{key: p.visit.Room.Key, resweep: true})
	case key.Matches(km, p.keys.Done):
		if p.c.pending != 0 {
			return send(statusMsg{text: "still saving the last change…"})
		}
		if open := p.openCount(); open > 0 {
			return send(askMsg{text: fmt.Sprintf("%s has %s open. Mark it done anyway?",
				inert.String(p.visit.Room.Key), plural(open, "item")), yes: p.c.markDone(p.visit.ID, p.nextRoom())})
		}
		return p.c.markDone(p.visit.ID, p.nextRoom())
	}
	return nil
}

// nextRoom is the room after this one that is not done yet.
func (p *findingsPage) nextRoom() string {
	i := p.c.roomIndex(p.visit.Room.Key)
	n := len(p.c.rooms)
	for j := 1; j <= n; j++ {
		r := p.c.rooms[(i+j+n)%n]
		if r.Location.Key != p.visit.Room.Key && r.Visit.Status != store.VisitDone {
			return r.Location.Key
		}
	}
	return p.visit.Room.Key
}

func (p *findingsPage) save() tea.Cmd {
	rs := resumeState{Screen: "findings", Room: p.visit.Room.Key, VisitID: p.visit.ID, Sort: p.sort,
		Filter: p.filter, Query: p.query}
	if it, ok := p.current(); ok {
		rs.FindingID = it.ID
	}
	return p.c.saveResume(rs)
}

func (p *findingsPage) listHeight() int { return max(1, p.height-3) }

func (p *findingsPage) View() string {
	s := p.c.styles
	var b strings.Builder
	counts := map[reconcile.Kind]int{}
	open := 0
	for _, it := range p.visit.Items {
		counts[it.Finding.Kind]++
		if it.Open() {
			open++
		}
	}
	title := s.Title.Render("Findings "+inert.String(p.visit.Room.Key)) + s.Muted.Render(" · "+inert.String(p.visit.Room.Name))
	var parts []string
	for _, k := range reconcile.Kinds {
		if counts[k] > 0 {
			parts = append(parts, s.KindStyle(k).Render(fmt.Sprintf("%s%d", kindIcon(k), counts[k])))
		}
	}
	b.WriteString(spread(title, strings.Join(parts, " "), p.width) + "\n")
	ctl := fmt.Sprintf("sort %s · show %s", sortNames[p.sort], filterName(p.filter))
	if p.flag != "" {
		ctl += " · only " + report.FlagLabel(p.flag)
	}
	if p.typing {
		ctl += " · " + p.search.View()
	} else if p.query != "" {
		ctl += " · search " + strconvQuote(p.query)
	}
	left := s.Muted.Render(ctl)
	need := s.OK.Render("nothing left to act on")
	if open > 0 {
		need = s.Warn.Render(fmt.Sprintf("%d %s action", open, map[bool]string{true: "needs", false: "need"}[open == 1]))
	}
	if p.visit.Status == store.VisitDone {
		need += s.Muted.Render(" · room done")
	}
	b.WriteString(spread(left, need, p.width) + "\n")
	if len(p.rows) == 0 {
		if len(p.visit.Items) == 0 {
			b.WriteString(s.Muted.Render("Nothing expected here and nothing seen."))
		} else {
			b.WriteString(s.Muted.Render("No finding matches; f cycles the filter, / edits the search."))
		}
		return b.String()
	}
	h := p.listHeight()
	offset := p.offset
	lay := newRowLayout(p.width)
	for i := offset; i < min(len(p.rows), offset+h); i++ {
		r := p.rows[i]
		if r.item < 0 {
			b.WriteString(s.KindStyle(r.header).Render(fmt.Sprintf("%s %s (%d)", kindIcon(r.header),
				report.KindTitle(r.header), r.count)) + "\n")
			continue
		}
		it := p.visit.Items[r.item]
		b.WriteString(lay.render(s, it, i == p.cursor, it.ID == p.c.pending) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", inert.String(s)) }
