package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
)

// This file draws the rows of the findings list.

// rowLayout holds the column widths of finding rows for one width.
type rowLayout struct {
	tag, device, seen, flags, action int
}

func newRowLayout(w int) rowLayout {
	l := rowLayout{tag: 10, action: 16}
	if w >= 110 {
		l.seen = 30
		l.action = 22
	}
	rest := w - 2 - l.tag - 1 - l.seen - 1 - l.action - 1
	l.device = max(10, rest/2)
	l.flags = max(6, rest-l.device-1)
	return l
}

func (l rowLayout) render(s Styles, it round.Item, selected, pending bool) string {
	f := it.Finding
	tag, model := report.Subject(f)
	cur := "  "
	if selected {
		cur = s.Cursor.Render("▸ ")
	}
	if tag == "" {
		tag = "—"
	}
	var b strings.Builder
	b.WriteString(cur)
	b.WriteString(pad(inert.String(tag), l.tag) + " ")
	b.WriteString(pad(inert.String(model), l.device) + " ")
	if l.seen > 0 {
		b.WriteString(s.Muted.Render(pad(inert.String(report.Seen(f)), l.seen)) + " ")
	}
	resolution := it.Resolution()
	b.WriteString(badges(s, f.Flags, l.flags) + " ")
	act := inert.String(it.Action)
	switch {
	case pending:
		act = s.Warn.Render(pad("saving…", l.action))
	case act != "":
		act = s.OK.Render(pad("✓ "+act, l.action))
	case resolution != "":
		act = s.OK.Render(pad("✓ "+inert.String(resolution), l.action))
	default:
		act = pad("", l.action)
	}
	b.WriteString(act)
	line := b.String()
	if selected && !s.Plain {
		return s.Selected.Render(stripped(line))
	}
	return line
}

// badges renders flag badges into w cells, most severe first, with "+n"
// when they do not all fit.
func badges(s Styles, flags []reconcile.Flag, w int) string {
	fs := append([]reconcile.Flag(nil), flags...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity > fs[j].Severity })
	var b strings.Builder
	used := 0
	for i, fl := range fs {
		label := report.FlagLabel(fl.Kind)
		bw := s.BadgeWidth(label) + 1
		more := len(fs) - i - 1
		reserve := 0
		if more > 0 {
			reserve = 3
		}
		if used+bw+reserve > w {
			m := fmt.Sprintf("+%d", len(fs)-i)
			b.WriteString(s.Muted.Render(m))
			used += len(m)
			break
		}
		b.WriteString(s.Badge(label, fl.Severity) + " ")
		used += bw
	}
	return b.String() + strings.Repeat(" ", max(0, w-used))
}
