package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
	"github.com/biomed-rounds/rounds/store/gen"
)

func newGenerateCmd(a *app) *cobra.Command {
	var devices int
	var seed int64
	var out, format, date string
	var load bool
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a realistic inventory (for demos and benchmarks)",
		Long: `Generate a realistic hospital inventory: real manufacturers and models with
firmware baselines and OS end-of-life dates, buildings of wards, ICU, theatres,
imaging (RF-shielded MRI) and labs with clinical, imaging and guest segments.

--out DIR writes locations, models and devices files (CSV or JSON) there;
--load writes the inventory straight into the database (no journal entries).`,
		Example: `  rounds generate --devices 1000000 --out /tmp/inv
  rounds generate --devices 2000 --load`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" && !load {
				return usagef("give --out DIR or --load")
			}
			if devices < 0 {
				return usagef("--devices must be at least 0")
			}
			f, err := exchange.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			o := gen.Options{Seed: seed, Devices: devices}
			if date != "" {
				if o.Now, err = time.Parse(store.DateLayout, date); err != nil {
					return usagef("--date: want YYYY-MM-DD")
				}
			}
			g := gen.New(o)
			if out != "" {
				if err := os.MkdirAll(out, 0o700); err != nil {
					return err
				}
				files := []struct {
					name  string
					write func(*exchange.Writer) error
				}{
					{"locations", func(x *exchange.Writer) error { return x.Locations(g.Locations()) }},
					{"models", func(x *exchange.Writer) error { return x.Models(g.Models()) }},
					{"devices", func(x *exchange.Writer) error { return x.Devices(g.EachDevice) }},
				}
				for _, fl := range files {
					path := filepath.Join(out, fl.name+"."+string(f))
					err := writeOut(a, path, func(w io.Writer) error {
						x := exchange.NewWriter(w, f)
						if err := fl.write(x); err != nil {
							return err
						}
						return x.Close()
					})
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout, path)
				}
			}
			if load {
				st, err := a.store(cmd.Context())
				if err != nil {
					return err
				}
				if err := g.Load(cmd.Context(), st); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "loaded %d devices in %d rooms into %s\n", devices, g.Rooms(), st.Path())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&devices, "devices", 1000, "number of devices")
	f.Int64Var(&seed, "seed", 1, "random seed: the same seed and size give the same inventory")
	f.StringVar(&out, "out", "", "write the files into `DIR`")
	f.StringVar(&format, "format", "csv", "csv or json")
	f.StringVar(&date, "date", "", "anchor dates to this day `YYYY-MM-DD` (default today)")
	f.BoolVar(&load, "load", false, "load the inventory into the database")
	return cmd
}
