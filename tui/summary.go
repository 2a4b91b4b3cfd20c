package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
)

type summaryKeys struct {
	Up, Down key.Binding
	HTML     key.Binding
	CSV      key.Binding
	JSON     key.Binding
	All      key.Binding
	Finish   key.Binding
	Back     key.Binding
}

// summaryPage is the round summary: totals, each room's findings and
// actions, and the report export (HTML to print, CSV, JSON).
type summaryPage struct {
	c       *common
	keys    summaryKeys
	rep     report.Report
	loaded  bool
	err     error
	written []string
	scroll  int
	width   int
	height  int
}

func newSummary(c *common) *summaryPage {
	b := func(k, d string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, d)) }
	return &summaryPage{c: c, keys: summaryKeys{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		HTML:   b("h", "HTML"),
		CSV:    b("v", "CSV"),
		JSON:   b("J", "JSON"),
		All:    b("x", "all three"),
		Finish: b("F", "finish round"),
		Back:   b("esc", "back"),
	}}
}

func (p *summaryPage) KeyMap() help.KeyMap {
	k := p.keys
	g := newGlobalKeys()
	return keyMap{
		short: []key.Binding{k.HTML, k.CSV, k.JSON, k.All, k.Back, g.Help},
		full:  [][]key.Binding{{k.HTML, k.CSV, k.JSON, k.All}, {k.Finish, k.Up, k.Down}, {k.Back, g.Quit}},
	}
}

func (p *summaryPage) Typing() bool { return false }

func (p *summaryPage) SetSize(w, h int) { p.width, p.height = w, h }

func (p *summaryPage) open() tea.Cmd {
	p.loaded, p.err, p.scroll = false, nil, 0
	return p.c.loadReport()
}

func (p *summaryPage) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reportMsg:
		p.loaded, p.rep, p.err = true, msg.report, msg.err
		return nil
	case exportMsg:
		p.written = msg.paths
		return nil
	case tea.KeyPressMsg:
		export := func(fs ...report.Format) tea.Cmd {
			if !p.loaded || p.err != nil {
				return nil
			}
			return p.c.export(p.rep, fs...)
		}
		switch {
		case key.Matches(msg, p.keys.Back):
			return send(popMsg{})
		case key.Matches(msg, p.keys.Up):
			p.scroll = max(0, p.scroll-1)
		case key.Matches(msg, p.keys.Down):
			p.scroll++
		case key.Matches(msg, p.keys.HTML):
			return export(report.HTML)
		case key.Matches(msg, p.keys.CSV):
			return export(report.CSV)
		case key.Matches(msg, p.keys.JSON):
			return export(report.JSON)
		case key.Matches(msg, p.keys.All):
			return export(report.HTML, report.CSV, report.JSON)
		case key.Matches(msg, p.keys.Finish):
			q := "finish the round?"
			if p.loaded {
				t := p.rep.Totals()
				var left []string
				if n := t.Rooms - t.Done; n > 0 {
					left = append(left, plural(n, "room")+" not done")
				}
				if t.Open > 0 {
					left = append(left, plural(t.Open, "finding")+" open")
				}
				if len(left) > 0 {
					q = "finish the round with " + strings.Join(left, " and ") + "?"
				}
			}
			return send(askMsg{text: q, yes: tea.Sequence(p.c.finishRound(), p.c.loadReport())})
		}
	}
	return nil
}

func (p *summaryPage) View() string {
	s := p.c.styles
	if !p.loaded {
		return s.Muted.Render("gathering the round report…")
	}
	if p.err != nil {
		return s.Error.Render("✗ " + inert.String(p.err.Error()))
	}
	t := p.rep.Totals()
	var out []string
	title := s.Title.Render("Round summary") + s.Muted.Render(" · "+inert.String(p.rep.Round.Name))
	state := "in progress"
	if !p.rep.Round.FinishedAt.IsZero() {
		state = "finished " + p.rep.Round.FinishedAt.Local().Format("15:04")
	}
	out = append(out, spread(title, s.Muted.Render(state), p.width))
	out = append(out, fmt.Sprintf("%d of %s visited, %d done · %s taken · %s",
		t.Visited, plural(t.Rooms, "room"), t.Done, plural(t.Acted, "action"), map[bool]string{true: s.Warn.Render(plural(t.Open, "finding") + " " + verb(t.Open, "needs", "need") + " action"),
			false: s.OK.Render("nothing left to act on")}[t.Open > 0]))
	var kinds []string
	for _, k := range reconcile.Kinds {
		kinds = append(kinds, s.KindStyle(k).Render(fmt.Sprintf("%s %s %d", kindIcon(k), report.KindTitle(k), t.Kinds[k])))
	}
	if p.width >= 100 {
		out = append(out, strings.Join(kinds, "  "))
	} else {
		out = append(out, strings.Join(kinds[:3], "  "), strings.Join(kinds[3:], "  "))
	}
	if len(t.Flags) > 0 {
		var fl []string
		for _, k := range report.SortedFlagKinds(t.Flags) {
			fl = append(fl, fmt.Sprintf("%s %d", report.FlagLabel(k), t.Flags[k]))
		}
		out = append(out, s.Muted.Render("flags: ")+strings.Join(fl, s.Muted.Render(" · ")))
	}
	out = append(out, "")
	keyW := 16
	for _, r := range p.rep.Rooms {
		keyW = max(keyW, min(28, len(inert.String(r.Key))))
	}
	out = append(out, s.Muted.Render(fmt.Sprintf("  %-*s %-10s %s", keyW, "Room", "Visit", "Findings · actions")))
	for _, r := range p.rep.Rooms {
		status := r.Status
		if status == "" {
			status = "—"
		}
		var parts []string
		acted := 0
		counts := map[reconcile.Kind]int{}
		for _, f := range r.Findings {
			counts[f.Kind]++
			if f.Action != "" {
				acted++
			}
		}
		for _, k := range reconcile.Kinds {
			if counts[k] > 0 {
				parts = append(parts, s.KindStyle(k).Render(fmt.Sprintf("%s%d", kindIcon(k), counts[k])))
			}
		}
		line := fmt.Sprintf("  %s %s %s", pad(inert.String(r.Key), keyW), pad(status, 10), strings.Join(parts, " "))
		if acted > 0 {
			line += s.Muted.Render(fmt.Sprintf(" · %d acted", acted))
		}
		out = append(out, line)
	}
	out = append(out, "")
	dir := p.c.opts.ExportDir
	if dir == "" {
		dir = "the current directory"
	}
	out = append(out, s.Muted.Render("Export the report to "+inert.String(dir)+":"),
		s.Muted.Render("  h HTML (prints well) · v CSV · J JSON · x all three"))
	for _, w := range p.written {
		out = append(out, s.OK.Render("  wrote "+inert.String(w)))
	}
	h := max(1, p.height)
	p.scroll = min(p.scroll, max(0, len(out)-h))
	return strings.Join(out[p.scroll:min(len(out), p.scroll+h)], "\n")
}
