package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
)

// warnTickMsg polls for warnings while nothing else happens.
type warnTickMsg struct{}

// warnPoll is how often warnings are read when no other message comes.
const warnPoll = 500 * time.Millisecond

func (m *Model) warnTick() tea.Cmd {
	if m.c.opts.Warnings == nil {
		return nil
	}
	return m.c.tick(warnPoll, func(time.Time) tea.Msg { return warnTickMsg{} })
}

// pollWarnings reads the warning count; a new warning takes the status
// line, with how many came at once.
func (m *Model) pollWarnings() {
	if m.c.opts.Warnings == nil {
		return
	}
	last, n := m.c.opts.Warnings()
	if n <= m.warnN {
		return
	}
	m.warn = inert.String(strings.ReplaceAll(last, "\n", " "))
	m.warnNew, m.warnN = n-m.warnN, n
	m.seq++
	m.warnSeq = m.seq
}

// warnLine is the warning as the status line shows it.
func (m *Model) warnLine() string {
	t := "⚠ " + m.warn
	if m.warnNew > 1 {
		t += fmt.Sprintf("  (+%d more warnings in the log)", m.warnNew-1)
	}
	return t
}
