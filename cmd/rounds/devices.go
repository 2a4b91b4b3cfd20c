package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

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
				l, err := st.Location(ctx, room)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no room with key or barcode %q", inert(room))
				}
				if err != nil {
					return err
				}
				f.Room = l.Key
			}
			if jsonOut {
				return listJSON(a, st, cmd, f)
			}
			tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "ASSET TAG\tCLASS\tMODEL\tROOM\tSTATUS\tFIRMWARE\tIP\tMAC")
			n := 0
			err = st.EachDevice(ctx, f, func(d store.Device) error {
				n++
				model := d.Manufacturer + " " + d.Model
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inert(d.AssetTag), inert(d.DeviceClass),
					inert(model), inert(d.LocationKey), d.Status, inert(d.FirmwareVersion), d.IP, d.MAC)
				return nil
			})
			if err != nil {
				return err
			}
			if err := tw.Flush(); err != nil {
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

// listJSON streams devices as a JSON array, one per line.
func listJSON(a *app, st *store.Store, cmd *cobra.Command, f store.Filter) error {
	fmt.Fprint(a.stdout, "[")
	n := 0
	err := st.EachDevice(cmd.Context(), f, func(d store.Device) error {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprint(a.stdout, ",")
		}
		n++
		fmt.Fprintf(a.stdout, "\n%s", b)
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintln(a.stdout)
	}
	fmt.Fprintln(a.stdout, "]")
	return nil
}
