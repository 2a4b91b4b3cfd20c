package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
)

// Styles are every style the TUI draws with, built once for a background
// (light or dark) and a colour profile.
type Styles struct {
	// Plain is true on terminals without colour (NO_COLOR, dumb
	// terminals): badges then carry brackets so that they stay readable.
	Plain bool

	Header      lipgloss.Style
	HeaderTitle lipgloss.Style
	HeaderDim   lipgloss.Style
	Demo        lipgloss.Style

	Title    lipgloss.Style
	Section  lipgloss.Style
	Muted    lipgloss.Style
	Faint    lipgloss.Style
	Bold     lipgloss.Style
	Selected lipgloss.Style
	Cursor   lipgloss.Style
	Key      lipgloss.Style
	Diff     lipgloss.Style
	Link     lipgloss.Style

	OK    lipgloss.Style
	Warn  lipgloss.Style
	Error lipgloss.Style

	Status    lipgloss.Style
	StatusErr lipgloss.Style

	Panel      lipgloss.Style
	PanelTitle lipgloss.Style

	BarFull  lipgloss.Style
	BarEmpty lipgloss.Style

	kind     map[reconcile.Kind]lipgloss.Style
	severity map[reconcile.Severity]lipgloss.Style
	done     lipgloss.Style
	// badges holds every flag label's badge rendered once per severity:
	// rendering them through lipgloss row by row was a third of the
	// findings view's time.
	badges map[badgeKey]string

	Help help.Styles
}

// NewStyles builds the styles for a dark or light background. A profile of
// Ascii or NoTTY (what NO_COLOR gives) selects the plain badges.
func NewStyles(isDark bool, profile colorprofile.Profile) Styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	var (
		fg      = c("#1c1c1c", "#e4e4e4")
		muted   = c("#6c6c6c", "#9e9e9e")
		faint   = c("#a8a8a8", "#5f5f5f")
		accent  = c("#5a3fc0", "#a48cf2")
		green   = c("#1f7a34", "#5fd37a")
		red     = c("#b3261e", "#ff6b61")
		amber   = c("#8a5a00", "#ffb454")
		blue    = c("#1b5fa8", "#6cb6ff")
		magenta = c("#9c2f8f", "#f07ce2")
		grey    = c("#5f5f5f", "#a0a0a0")
		selBG   = c("#e6e0fa", "#2f2a45")
		badgeFG = lipgloss.Color("#ffffff")
	)
	s := Styles{Plain: profile <= colorprofile.ASCII}
	s.Header = lipgloss.NewStyle().Foreground(fg)
	s.HeaderTitle = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.HeaderDim = lipgloss.NewStyle().Foreground(muted)
	s.Demo = lipgloss.NewStyle().Bold(true).Foreground(badgeFG).Background(amber).Padding(0, 1)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(fg)
	s.Section = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Muted = lipgloss.NewStyle().Foreground(muted)
	s.Faint = lipgloss.NewStyle().Foreground(faint)
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.Selected = lipgloss.NewStyle().Background(selBG).Bold(true)
	s.Cursor = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Key = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Diff = lipgloss.NewStyle().Foreground(amber).Bold(true)
	s.Link = lipgloss.NewStyle().Foreground(blue).Underline(true)
	s.OK = lipgloss.NewStyle().Foreground(green)
	s.Warn = lipgloss.NewStyle().Foreground(amber)
	s.Error = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Status = lipgloss.NewStyle().Foreground(muted)
	s.StatusErr = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.Panel = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(faint).Padding(0, 1)
	s.PanelTitle = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.BarFull = lipgloss.NewStyle().Foreground(accent)
	s.BarEmpty = lipgloss.NewStyle().Foreground(faint)
	s.kind = map[reconcile.Kind]lipgloss.Style{
		reconcile.Verified:    lipgloss.NewStyle().Foreground(green).Bold(true),
		reconcile.Missing:     lipgloss.NewStyle().Foreground(red).Bold(true),
		reconcile.Unverified:  lipgloss.NewStyle().Foreground(amber).Bold(true),
		reconcile.MovedHere:   lipgloss.NewStyle().Foreground(blue).Bold(true),
		reconcile.Unknown:     lipgloss.NewStyle().Foreground(magenta).Bold(true),
		reconcile.HeardNearby: lipgloss.NewStyle().Foreground(grey).Bold(true),
	}
	s.severity = map[reconcile.Severity]lipgloss.Style{
		reconcile.Critical: lipgloss.NewStyle().Foreground(badgeFG).Background(red).Bold(true),
		reconcile.Warning:  lipgloss.NewStyle().Foreground(lipgloss.Color("#1c1c1c")).Background(amber).Bold(true),
		reconcile.Info:     lipgloss.NewStyle().Foreground(badgeFG).Background(blue),
	}
	s.done = lipgloss.NewStyle().Foreground(green)
	s.badges = map[badgeKey]string{}
	for _, k := range reconcile.FlagKinds {
		label := report.FlagLabel(k)
		for sev := range s.severity {
			s.badges[badgeKey{label, sev}] = s.renderBadge(label, sev)
		}
	}
	s.Help = help.DefaultStyles(isDark)
	s.Help.ShortKey = s.Key
	s.Help.FullKey = s.Key
	return s
}

// KindStyle is the style of a finding kind's label.
func (s Styles) KindStyle(k reconcile.Kind) lipgloss.Style {
	if st, ok := s.kind[k]; ok {
		return st
	}
	return s.Bold
}

// kindIcon is a one-cell mark per kind that reads without colour.
func kindIcon(k reconcile.Kind) string {
	switch k {
	case reconcile.Verified:
		return "✓"
	case reconcile.Missing:
		return "✗"
	case reconcile.Unverified:
		return "?"
	case reconcile.MovedHere:
		return "→"
	case reconcile.Unknown:
		return "+"
	case reconcile.HeardNearby:
		return "~"
	}
	return " "
}

// Badge renders a flag badge: coloured by severity, or bracketed on a
// colourless terminal.
func (s Styles) Badge(text string, sev reconcile.Severity) string {
	if b, ok := s.badges[badgeKey{text, sev}]; ok {
		return b
	}
	return s.renderBadge(text, sev)
}

type badgeKey struct {
	text string
	sev  reconcile.Severity
}

func (s Styles) renderBadge(text string, sev reconcile.Severity) string {
	if s.Plain {
		return "[" + text + "]"
	}
	return s.severity[sev].Render(" " + text + " ")
}

// BadgeWidth is the width Badge gives text.
func (s Styles) BadgeWidth(text string) int {
	return cellWidth(text) + 2
}

// cellWidth is the number of terminal cells s takes: its length for
// printable ASCII (the common case, decided without the grapheme
// segmentation lipgloss.Width does), lipgloss.Width otherwise.
func cellWidth(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return lipgloss.Width(s)
}

// isASCII reports whether s is printable ASCII, whose width is its length.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
