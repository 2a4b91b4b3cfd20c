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

type syncKeys struct {
	Refresh key.Binding
	Up      key.Binding
	Down    key.Binding
	Back    key.Binding
}

// syncPage shows what waits to go to the CMDB and what conflicts with it.
// Sync itself runs from the command line (rounds sync) when the laptop is
// online; this screen only reads.
type syncPage struct {
	c      *common
	keys   syncKeys
	info   SyncInfo
	loaded bool
	err    error
	scroll int
	width  int
	height int
}

func newSync(c *common) *syncPage {
	return &syncPage{c: c, keys: syncKeys{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}}
}

func (p *syncPage) KeyMap() help.KeyMap {
	k := p.keys
	g := newGlobalKeys()
	return keyMap{short: []key.Binding{k.Refresh, k.Back, g.Help},
		full: [][]key.Binding{{k.Refresh, k.Up, k.Down}, {k.Back, g.Quit}}}
}

func (p *syncPage) Typing() bool { return false }

func (p *syncPage) SetSize(w, h int) { p.width, p.height = w, h }

func (p *syncPage) open() tea.Cmd {
	p.loaded, p.err = false, nil
	return p.c.loadSync()
}

func (p *syncPage) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case syncMsg:
		p.loaded, p.info, p.err = true, msg.info, msg.err
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.keys.Back):
			return send(popMsg{})
		case key.Matches(msg, p.keys.Refresh):
			return p.open()
		case key.Matches(msg, p.keys.Up):
			p.scroll = max(0, p.scroll-1)
		case key.Matches(msg, p.keys.Down):
			p.scroll++
		}
	}
	return nil
}

func (p *syncPage) View() string {
	s := p.c.styles
	if !p.loaded {
		return s.Muted.Render("reading the journal…")
	}
	if p.err != nil {
		return s.Error.Render("✗ " + inert.String(p.err.Error()))
	}
	in := p.info
	var out []string
	title := s.Title.Render("Sync status")
	if in.Target != "" {
		title += s.Muted.Render(" · target " + inert.String(in.Target))
	}
	last := "never synced"
	if !in.LastSync.IsZero() {
		last = "last sync " + in.LastSync.Local().Format("2006-01-02 15:04")
	}
	out = append(out, spread(title, s.Muted.Render(last), p.width))
	c := in.Counts
	queued := c[store.StatePending] + c[store.StateInFlight]
	line := fmt.Sprintf("%s queued (%d pending, %d in flight) · %d delivered · ",
		s.Bold.Render(fmt.Sprint(queued)), c[store.StatePending], c[store.StateInFlight], c[store.StateAcked])
	if n := c[store.StateConflict]; n > 0 {
		line += s.Error.Render(fmt.Sprintf("%d conflicts", n))
	} else {
		line += "0 conflicts"
	}
	if n := c[store.StateRejected]; n > 0 {
		line += " · " + s.Error.Render(fmt.Sprintf("%d rejected", n))
	}
	out = append(out, line)
	if in.Note != "" {
		out = append(out, s.Muted.Render(inert.String(in.Note)))
	}
	out = append(out, s.Muted.Render("Changes stay queued here until `rounds sync` runs online."))
	if len(in.Conflicts) > 0 {
		out = append(out, "", s.Section.Render("Conflicts (resolve with rounds sync --conflicts)"))
		for _, cf := range in.Conflicts {
			out = append(out, fmt.Sprintf("  %s  %s: here %s · CMDB %s", pad(inert.String(cf.AssetTag), 10),
				inert.String(cf.Field), s.Bold.Render(inert.String(cf.Local)), s.Bold.Render(inert.String(cf.Remote))))
		}
	}
	if len(in.Queue) > 0 {
		out = append(out, "", s.Section.Render("Queue (oldest first)"))
		for _, e := range in.Queue {
			var ch []string
			for _, x := range e.Changes {
				if x.Old == "" {
					ch = append(ch, fmt.Sprintf("%s=%s", x.Field, x.New))
				} else {
					ch = append(ch, fmt.Sprintf("%s %s→%s", x.Field, x.Old, x.New))
				}
			}
			line := fmt.Sprintf("  %5d %-6s %s %s", e.Seq, e.Op,
				pad(inert.String(e.AssetTag), 10), s.Muted.Render(inert.String(strings.Join(ch, ", "))))
			out = append(out, fit(line, p.width, 1))
		}
	}
	h := max(1, p.height)
	p.scroll = min(p.scroll, max(0, len(out)-h))
	return strings.Join(out[p.scroll:min(len(out), p.scroll+h)], "\n")
}
