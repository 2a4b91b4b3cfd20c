package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/biomed-rounds/rounds/inert"
)

// This file draws the root: header, the current screen, status and help.

// View draws the header, the current screen, the status line and the help.
func (m *Model) View() tea.View {
	// Timing for the scanner layer only (see scanner.drew); the model's
	// state is untouched.
	defer m.scan.drew()
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "rounds"
	if m.c.hasRound {
		v.WindowTitle = "rounds · " + inert.String(m.c.round.Name)
	}
	if m.c.opts.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

func (m *Model) render() string {
	if m.quit {
		return ""
	}
	s := m.c.styles
	w, h := m.c.width, m.c.height
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteByte('\n')
	bodyH := max(1, h-m.chrome())
	body := m.page(m.top()).View()
	if !m.loaded {
		body = s.Muted.Render("loading the round…")
	}
	if m.who != nil {
		body = m.whoView()
	}
	b.WriteString(fit(body, w, bodyH))
	b.WriteByte('\n')
	status := m.status
	if m.ask != nil {
		status = s.Warn.Render(ansi.Truncate("? "+m.ask.text+"  y yes · n no", w, "…"))
	} else if m.warn != "" && (m.warnSeq > m.statusSeq || status == "") {
		status = s.Warn.Render(ansi.Truncate(m.warnLine(), w, "…"))
	} else if m.isError {
		status = s.StatusErr.Render(ansi.Truncate("✗ "+status, w, "…"))
	} else {
		status = s.Status.Render(ansi.Truncate(status, w, "…"))
	}
	b.WriteString(status)
	b.WriteByte('\n')
	// The help bubble can overrun by an item near the edge: cut it.
	hv := m.help.View(m.page(m.top()).KeyMap())
	b.WriteString(fit(hv, w, lipgloss.Height(hv)))
	return b.String()
}

func (m *Model) header() string {
	s := m.c.styles
	left := s.HeaderTitle.Render("rounds")
	if m.c.opts.Demo {
		left += " " + s.Demo.Render("DEMO")
	}
	if m.c.hasRound {
		left += s.HeaderDim.Render(" · ") + s.Header.Render(inert.String(m.c.round.Name))
		done := 0
		for _, r := range m.c.rooms {
			if r.Visit.Status == "done" {
				done++
			}
		}
		left += s.HeaderDim.Render(fmt.Sprintf(" · %d/%s done", done, plural(len(m.c.rooms), "room")))
	}
	if crumb := m.crumb(); crumb != "" {
		left += s.HeaderDim.Render(" · ") + s.Header.Render(crumb)
	}
	right := s.HeaderDim.Render(m.c.now().Local().Format("15:04"))
	gap := m.c.width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return ansi.Truncate(left, m.c.width, "…")
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) crumb() string {
	switch m.top() {
	case scrPicker:
		return "pick a room"
	case scrSweep:
		return inert.String(m.sweep.room.Key)
	case scrFindings, scrDetail, scrForm:
		return inert.String(m.findings.visit.Room.Key)
	case scrSummary:
		return "summary"
	case scrSync:
		return "sync"
	case scrHistory:
		return "history"
	}
	return ""
}

// fit pads or cuts s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if len(l) > w && cellWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
