package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestManPageIsInertRoff: help text that looks like roff requests, or
// holds backslashes, is printed as text; flags, list items, examples and
// the see-also list are where a reader expects them.
func TestManPageIsInertRoff(t *testing.T) {
	root := &cobra.Command{Use: "rounds", Short: "Walk rounds"}
	child := &cobra.Command{Use: "scan", Short: "Sweep a room", Run: func(*cobra.Command, []string) {},
		Long:    ".SH INJECTED\nA path like C:\\rounds\\db and 'quoted' text.\n\nItems:\n- first\n  indented\n'apostrophe start",
		Example: "  rounds scan --room MAIN/3/3W-12\n.TH X"}
	child.Flags().String("room", "", "the room's `KEY`")
	child.Flags().BoolP("quiet", "q", false, "say less")
	root.AddCommand(child)
	var b strings.Builder
	if err := writeMan(&b, child, manHeader{source: "rounds 1.0", date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		".TH \"ROUNDS\" \"1\" \"Nov 2026\" \"rounds 1.0\" \"rounds manual\"\n",
		".SH NAME\nrounds\\-scan \\- Sweep a room\n",
		"\\&.SH INJECTED\n",
		"C:\\erounds\\edb",
		".br\n\\- first\n.br\n  indented\n",
		"\\&'apostrophe start\n",
		".TP\n\\fB\\-\\-room\\fP=\"\"\nthe room's KEY\n",
		".TP\n\\fB\\-q\\fP, \\fB\\-\\-quiet\\fP[=false]\nsay less\n",
		"  rounds scan \\-\\-room MAIN/3/3W\\-12\n\\&.TH X\n",
		".SH SEE ALSO\n\\fBrounds(1)\\fP\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, ".SH INJECTED") || strings.HasPrefix(l, ".TH X") {
			t.Errorf("help text became a request: %q", l)
		}
	}
}
