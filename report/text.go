package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile"
)

// WriteText renders the report as plain text for a terminal or a log,
// one line per finding.
func WriteText(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
	t := r.Totals()
	name := inert.String(r.Round.Name)
	if name == "" {
		name = fmt.Sprintf("round %d", r.Round.ID)
	}
	fmt.Fprintf(bw, "Round report: %s\n", name)
	if r.Round.Technician != "" {
		fmt.Fprintf(bw, "Technician:   %s\n", inert.String(r.Round.Technician))
	}
	fmt.Fprintf(bw, "Started:      %s\n", r.Round.StartedAt.UTC().Format("2006-01-02 15:04 MST"))
	if !r.Round.FinishedAt.IsZero() {
		fmt.Fprintf(bw, "Finished:     %s\n", r.Round.FinishedAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(bw, "Generated:    %s\n", r.GeneratedAt.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(bw, "Rooms:        %d visited, %d done, of %d\n", t.Visited, t.Done, t.Rooms)
	var kinds []string
	for _, k := range reconcile.Kinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", strings.ToLower(KindTitle(k)), t.Kinds[k]))
	}
	fmt.Fprintf(bw, "Findings:     %s\n", strings.Join(kinds, " · "))
	if len(t.Flags) > 0 {
		var flags []string
		for _, k := range SortedFlagKinds(t.Flags) {
			flags = append(flags, fmt.Sprintf("%s %d", FlagTitle(k), t.Flags[k]))
		}
		fmt.Fprintf(bw, "Flags:        %s\n", strings.Join(flags, " · "))
	}
	fmt.Fprintf(bw, "Actions:      %d taken, %d findings still need one\n", t.Acted, t.Open)
	for _, rm := range r.Rooms {
		fmt.Fprintf(bw, "\n%s", inert.String(rm.Key))
		if rm.Name != "" {
			fmt.Fprintf(bw, "  %s", inert.String(rm.Name))
		}
		switch rm.Status {
		case "":
			fmt.Fprintf(bw, "  (not visited)\n")
			continue
		case inventory.VisitOpen:
			fmt.Fprintf(bw, "  (sweep not finished)\n")
		default:
			fmt.Fprintf(bw, "  (%s %s)\n", rm.Status, rm.VisitedAt.UTC().Format("15:04"))
		}
		fs := append([]Finding(nil), rm.Findings...)
		SortFindings(fs)
		for _, f := range fs {
			tag, model := Subject(f.Finding)
			if tag == "" {
				tag = "-"
			}
			fmt.Fprintf(bw, "  %-12s %-12s %s", strings.ToUpper(KindTitle(f.Kind)), inert.String(tag), inert.String(model))
			if seen := Seen(f.Finding); seen != "" && f.Device == nil {
				fmt.Fprintf(bw, "  [%s]", inert.String(seen))
			}
			for _, fl := range f.Flags {
				fmt.Fprintf(bw, " [%s", FlagLabel(fl.Kind))
				if fl.Document != "" {
					fmt.Fprintf(bw, " %s", inert.String(fl.Document))
				}
				fmt.Fprint(bw, "]")
			}
			if f.Action != "" {
				fmt.Fprintf(bw, "  -> %s", inert.String(f.Action))
			}
			if f.Resolution != "" {
				fmt.Fprintf(bw, "  (%s)", inert.String(f.Resolution))
			}
			if len(f.Undone) > 0 {
				fmt.Fprintf(bw, "  (undone: %s)", inert.String(strings.Join(f.Undone, "; ")))
			}
			fmt.Fprintln(bw)
			for _, n := range f.Notes {
				fmt.Fprintf(bw, "      note %s %s: %s\n", n.At.UTC().Format("2006-01-02 15:04"), inert.String(n.Actor), inert.String(n.Text))
			}
		}
	}
	return bw.Flush()
}
