package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/store"
)

func newDevicesCmd(a *app) *cobra.Command {
	var room, building, status string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List devices",
		Long: `List the inventory's devices in asset-tag order, optionally only those recorded
in one room (--room takes the room's key BUILDING/FLOOR/ROOM or its barcode),
one building, or with one status.`,
		Example: `  rounds devices --room MAIN/3/3W-12
  rounds devices --status missing --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var f store.Filter
			if status != "" {
				s, ok := store.ParseStatus(status)
				if !ok {
					return usagef("unknown status %q", status)
				}
				f.Status = s
			}
			f.Building = building
			st, err := a.readStore(ctx)
			if err != nil {
				return err
			}
			if room != "" {
				l, err := findRoom(ctx, st, room)
				if err != nil {
					return err
				}
				f.Room = l.Key
			}
			if jsonOut {
				return listJSON(a, st, cmd, f)
			}
			tw := newTable(a.stdout, "ASSET TAG", "CLASS", "MODEL", "ROOM", "STATUS", "FIRMWARE", "IP", "MAC")
			n := 0
			// The narrow query: the eight printed columns, not EachDevice's 26.
			err = st.EachListed(ctx, f, func(d store.Listed) error {
				n++
				return tw.row(inert(d.AssetTag), inert(d.DeviceClass), inert(d.Model), inert(d.LocationKey),
					string(d.Status), inert(d.FirmwareVersion), d.IP, d.MAC)
			})
			if err != nil {
				return err
			}
			if err := tw.flush(); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(a.stderr, "no devices")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&room, "room", "", "only devices recorded in the room with this `KEY` or barcode")
	f.StringVar(&building, "building", "", "only devices in rooms of this building")
	f.StringVar(&status, "status", "", "only devices with this status (in_service, missing, ...)")
	f.BoolVar(&jsonOut, "json", false, "print a JSON array")
	return cmd
}

// listJSON streams devices as a JSON array, one per line, through a
// buffer: one write per 64 KiB, not several per device.
func listJSON(a *app, st *store.Store, cmd *cobra.Command, f store.Filter) error {
	bw := bufio.NewWriterSize(a.stdout, 64<<10)
	bw.WriteString("[")
	n := 0
	err := st.EachDevice(cmd.Context(), f, func(d store.Device) error {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteString(",")
		}
		n++
		bw.WriteString("\n")
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		bw.Flush()
		return err
	}
	if n > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// tableBlock is how many rows a table holds to size its columns; later
// rows are written at once in those widths, so that a listing of a
// million devices streams in bounded memory.
const tableBlock = 1024

// table writes aligned columns as text/tabwriter does (minimum width 2,
// padding 2, spaces, the last column unpadded), buffered, sizing the
// columns on the first tableBlock rows. A later cell wider than its
// column is followed by the padding alone, pushing the rest of its line
// right; a listing short enough to fit one block is byte for byte what
// tabwriter prints.
type table struct {
	bw     *bufio.Writer
	rows   [][]string
	widths []int
	frozen bool
}

func newTable(w io.Writer, header ...string) *table {
	return &table{bw: bufio.NewWriterSize(w, 64<<10), rows: [][]string{header}}
}

// row adds a line of cells.
func (t *table) row(cells ...string) error {
	if t.frozen {
		return t.write(cells)
	}
	// A copy, so that the caller's cells do not escape: once the table
	// is frozen a row costs no allocation.
	t.rows = append(t.rows, slices.Clone(cells))
	if len(t.rows) > tableBlock {
		return t.freeze()
	}
	return nil
}

// freeze sizes the columns on the rows held and writes them.
func (t *table) freeze() error {
	t.frozen = true
	for _, r := range t.rows {
		for i, c := range r[:len(r)-1] {
			if i == len(t.widths) {
				t.widths = append(t.widths, 0)
			}
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c)+2, 2)
		}
	}
	for _, r := range t.rows {
		if err := t.write(r); err != nil {
			return err
		}
	}
	t.rows = nil
	return nil
}

func (t *table) write(cells []string) error {
	for i, c := range cells {
		t.bw.WriteString(c)
		if i == len(cells)-1 {
			break
		}
		pad := 2
		if i < len(t.widths) {
			pad = max(2, t.widths[i]-utf8.RuneCountInString(c))
		}
		for pad > len(spaces) {
			t.bw.WriteString(spaces)
			pad -= len(spaces)
		}
		t.bw.WriteString(spaces[:pad])
	}
	return t.bw.WriteByte('\n')
}

// spaces is the padding written between cells.
const spaces = "                                                                "

// flush writes what is held and empties the buffer.
func (t *table) flush() error {
	if !t.frozen {
		if err := t.freeze(); err != nil {
			return err
		}
	}
	return t.bw.Flush()
}
