package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
)

// openRoom shows a room that has been loaded: its findings when it has a
// swept visit, else the sweep screen ready to start.
func (m *Model) openRoom(msg roomMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("", msg.err)
		if m.top() == scrPicker {
			m.picker.failed()
		}
		return m.c.reloadRooms()
	}
	m.setStatus("", nil)
	reload := m.c.reloadRooms()
	if !m.c.hasRound {
		// The room opened a round of its own: load it first.
		return tea.Sequence(m.c.loadRound(), send(openRoomMsg{key: msg.room.Key}))
	}
	if msg.visit.ID != 0 && msg.visit.Status != "open" && !msg.resweep {
		m.findings.setVisit(msg.visit, msg.resume)
		m.reset(scrFindings)
		if msg.resume != nil && msg.resume.Screen == "detail" {
			if it, ok := m.findings.current(); ok {
				m.detail.set(msg.visit, it)
				m.push(scrDetail)
			}
		}
		return tea.Batch(reload, m.c.saveResume(m.resumeState()))
	}
	v := msg.visit
	if msg.resweep {
		v = round.Visit{}
	}
	m.sweep.prepare(msg.room, msg.sources, v)
	m.reset(scrSweep)
	m.overview.selectKey(msg.room.Key)
	return tea.Batch(reload, m.c.saveResume(m.resumeState()))
}

// resume reopens the screen the technician left. A sweep is never
// restarted by itself: the sweep screen waits for enter.
func (m *Model) resume(rs resumeState) tea.Cmd {
	m.overview.selectKey(rs.Room)
	switch rs.Screen {
	case "sweep":
		if rs.Room != "" {
			return m.c.openRoom(rs.Room, &rs)
		}
	case "findings", "detail":
		if rs.VisitID != 0 {
			return m.c.loadVisit(rs.VisitID, &rs)
		}
	case "summary":
		m.push(scrSummary)
		return m.summary.open()
	case "sync":
		m.push(scrSync)
		return m.sync.open()
	}
	return nil
}

func (m *Model) actionDone(msg actionMsg) tea.Cmd {
	m.c.pending = 0
	if msg.err != nil {
		m.setStatus("", msg.err)
		if m.top() == scrForm {
			m.form.setErr(msg.err)
		}
		return nil
	}
	m.findings.replace(msg.item)
	var notes tea.Cmd
	if m.detail.item.ID == msg.id {
		m.detail.set(m.findings.visit, msg.item)
		notes = m.c.loadNotes(msg.item)
	}
	tag := msg.item.Action
	if d := msg.item.Finding.Device; d != nil {
		tag = d.AssetTag + ": " + msg.item.Action
	}
	m.findings.lastActed = msg.id
	if msg.kind == undoKind {
		m.findings.lastActed = 0
		tag, _ := report.Subject(msg.item.Finding)
		m.setStatus("undone · "+inert.String(tag), nil)
		if m.top() == scrHistory {
			notes = tea.Batch(notes, m.history.open())
		}
		return tea.Batch(notes, m.c.reloadRooms(), m.c.saveResume(m.resumeState()))
	}
	m.setStatus("saved · "+inert.String(tag), nil)
	if m.top() == scrForm {
		m.pop()
	}
	if m.top() == scrFindings && (msg.kind == round.Confirm || msg.kind == round.MoveHere || msg.kind == round.MarkMissing || msg.kind == round.Dismiss) {
		m.findings.advance()
	}
	return tea.Batch(notes, m.c.reloadRooms(), m.c.saveResume(m.resumeState()))
}
