package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/store"
)

func newRoomsCmd(a *app) *cobra.Command {
	var building string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "rooms",
		Short: "List the rooms of the inventory: keys, names, barcodes, segments",
		Long: `List the rooms of the inventory with their key (BUILDING/FLOOR/ROOM, what
--room takes), name, barcode, configured network segments and whether they are
RF-shielded. --json prints a JSON array.`,
		Example: `  rounds rooms
  rounds rooms --building MAIN --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.store(ctx)
			if err != nil {
				return err
			}
			all, err := st.Locations(ctx)
			if err != nil {
				return err
			}
			rooms := []store.Location{}
			for _, l := range all {
				if building == "" || strings.EqualFold(l.Building, building) {
					rooms = append(rooms, l)
				}
			}
			if building != "" && len(rooms) == 0 {
				return usageError{fmt.Errorf("no building %q%s", inert(building), choices(buildings(all), building))}
			}
			if jsonOut {
				return writeJSON(a, rooms)
			}
			tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "ROOM\tNAME\tBARCODE\tSEGMENTS\tRF")
			for _, l := range rooms {
				segs := make([]string, len(l.Segments))
				for i, s := range l.Segments {
					segs[i] = s.CIDR.String()
					if len(s.Tags) > 0 {
						segs[i] += " (" + strings.Join(s.Tags, ",") + ")"
					}
				}
				rf := ""
				if l.RFShielded {
					rf = "shielded"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", inert(l.Key), inert(l.Name), inert(l.Barcode),
					inert(strings.Join(segs, " ")), rf)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(rooms) == 0 {
				fmt.Fprintln(a.stderr, "no rooms; import locations first: rounds import --kind locations FILE")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&building, "building", "", "only the rooms of this `BUILDING`")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print a JSON array")
	return cmd
}

// findRoom looks a room up by key or barcode. An unknown room is a usage
// error that names the closest rooms, so that a mistyped --room exits 2
// from every command and says what would have worked.
func findRoom(ctx context.Context, st *store.Store, keyOrBarcode string) (store.Location, error) {
	l, err := st.Location(ctx, keyOrBarcode)
	if !errors.Is(err, store.ErrNotFound) {
		return l, err
	}
	idx, ierr := st.RoomIndex(ctx)
	if ierr != nil {
		return l, usageError{fmt.Errorf("no room with key or barcode %q", inert(keyOrBarcode))}
	}
	keys := make([]string, len(idx))
	for i, r := range idx {
		keys[i] = r.Key
	}
	return l, usageError{fmt.Errorf("no room with key or barcode %q%s", inert(keyOrBarcode), choices(keys, keyOrBarcode))}
}

// choices formats the candidates closest to what was typed (at most five),
// or all of them when there are few, for an error message.
func choices(cands []string, typed string) string {
	if len(cands) == 0 {
		return "; there are none (rounds rooms lists the rooms)"
	}
	best := closest(cands, typed, 5)
	return "; did you mean: " + inert(strings.Join(best, ", ")) + " (rounds rooms lists them all)"
}

// closest returns up to n candidates ordered by edit distance to s (case
// insensitive), candidates containing s first.
func closest(cands []string, s string, n int) []string {
	type scored struct {
		c string
		d int
	}
	ls := strings.ToLower(s)
	var sc []scored
	for _, c := range cands {
		lc := strings.ToLower(c)
		d := levenshtein(lc, ls)
		if ls != "" && strings.Contains(lc, ls) {
			d = -1
		}
		sc = append(sc, scored{c, d})
	}
	sort.SliceStable(sc, func(i, j int) bool { return sc[i].d < sc[j].d })
	var out []string
	for i := 0; i < len(sc) && i < n; i++ {
		out = append(out, sc[i].c)
	}
	return out
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func buildings(ls []store.Location) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range ls {
		if !seen[l.Building] {
			seen[l.Building] = true
			out = append(out, l.Building)
		}
	}
	return out
}
