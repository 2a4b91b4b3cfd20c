package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
)

type historyKeys struct {
	list listKeys
	Undo key.Binding
	Back key.Binding
}

// historyPage lists the round's actions, newest first, with undone ones
// struck; u undoes the selected one while it has not been synced.
type historyPage struct {
	c      *common
	keys   historyKeys
	acts   []store.ActionRecord
	loaded bool
	err    error
	listState
	width  int
	height int
}

// historyMsg carries the round's actions.
type historyMsg struct {
	acts []store.ActionRecord
	err  error
}

// undoFindingMsg asks to undo the latest action on a finding by id.
type undoFindingMsg struct{ findingID int64 }

func newHistory(c *common) *historyPage {
	return &historyPage{c: c, keys: historyKeys{
		list: newListKeys(),
		Undo: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo")),
		Back: key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc/q", "back")),
	}}
}

func (p *historyPage) KeyMap() help.KeyMap {
	g := newGlobalKeys()
	short := []key.Binding{p.keys.Back, g.Help}
	if a, ok := p.current(); ok && a.UndoneAt.IsZero() {
		short = append([]key.Binding{p.keys.Undo}, short...)
	}
	return keyMap{short: short, full: [][]key.Binding{short, p.keys.list.bindings()}}
}

func (p *historyPage) Typing() bool { return false }

func (p *historyPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.fit(len(p.acts), p.listHeight())
}

func (p *historyPage) listHeight() int { return max(1, p.height-2) }

func (p *historyPage) open() tea.Cmd {
	p.loaded, p.err = false, nil
	ctx, eng, id := p.c.ctx, p.c.eng, p.c.round.ID
	return func() tea.Msg {
		acts, err := eng.History(ctx, id)
		return historyMsg{acts: acts, err: err}
	}
}

func (p *historyPage) current() (store.ActionRecord, bool) {
	if p.cursor < 0 || p.cursor >= len(p.acts) {
		return store.ActionRecord{}, false
	}
	return p.acts[p.cursor], true
}

func (p *historyPage) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case historyMsg:
		p.loaded, p.acts, p.err = true, msg.acts, msg.err
		p.fit(len(p.acts), p.listHeight())
		return nil
	case tea.KeyPressMsg:
		if p.move(p.keys.list, msg, len(p.acts), p.listHeight()) {
			return nil
		}
		switch {
		case key.Matches(msg, p.keys.Back):
			return send(popMsg{})
		case key.Matches(msg, p.keys.Undo):
			a, ok := p.current()
			if !ok {
				return nil
			}
			if !a.UndoneAt.IsZero() {
				return send(statusMsg{text: "already undone"})
			}
			return send(undoFindingMsg{findingID: a.FindingID})
		}
	}
	return nil
}

func (p *historyPage) View() string {
	s := p.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Round history") + s.Muted.Render(" · newest first; u undoes an action not yet synced") + "\n")
	switch {
	case !p.loaded:
		return b.String() + s.Muted.Render("reading the history…")
	case p.err != nil:
		return b.String() + s.Error.Render("✗ "+inert.String(p.err.Error()))
	case len(p.acts) == 0:
		return b.String() + s.Muted.Render("Nothing done yet in this round.")
	}
	b.WriteString("\n")
	h := p.listHeight()
	from, to := p.window(len(p.acts), h)
	for i := from; i < to; i++ {
		a := p.acts[i]
		cur := "  "
		if i == p.cursor {
			cur = s.Cursor.Render("▸ ")
		}
		line := fmt.Sprintf("%s  %-10s %s", a.At.Local().Format("15:04"), inert.String(a.AssetTag), inert.String(a.Word))
		if !a.UndoneAt.IsZero() {
			line = s.Faint.Render(line + " · undone " + a.UndoneAt.Local().Format("15:04"))
		}
		line += s.Muted.Render(" · " + inert.String(a.Actor))
		b.WriteString(cur + line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
