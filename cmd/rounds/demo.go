package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/demo"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/tui"
)

type demoOptions struct {
	headless bool
	fresh    bool
	dir      string
	format   string
	capture  time.Duration
}

func newDemoCmd(a *app) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Walk a built-in demo round: a simulated ward, no hardware needed",
		Long: `Open the terminal UI on a built-in demo: a small hospital wing (four rooms,
a model catalog, an advisory and a recall, and a few planted problems: a unit
in the wrong room, an unknown device, old firmware with an advisory, a missing
pump, a pump on the guest segment), a simulated ward of devices listening on
127.77.x.x loopback addresses, and a BLE capture per room replayed as if an
adapter heard it.

The demo keeps its own database in its own directory (--dir, by default a
per-user directory under the system's temporary directory) and never touches
the inventory database; a demo round left half done resumes next time, and
--fresh starts over.

--headless walks the same round without a terminal (no standard input needed)
and prints the round report: text, html, csv or json (--format).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.headless, "headless", false, "walk the round without a terminal and print the report")
	f.BoolVar(&o.fresh, "fresh", false, "start the demo over (forget its round)")
	f.StringVar(&o.dir, "dir", "", "demo `directory` (default: "+demo.DefaultDir()+"; a new temporary one with --headless)")
	f.StringVar(&o.format, "format", "text", "report format with --headless: text, html, csv or json")
	f.DurationVar(&o.capture, "capture", 6*time.Second, "length of each room's BLE capture")
	return cmd
}

func runDemo(ctx context.Context, a *app, o demoOptions) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if !o.headless && (!isTerminal(os.Stdin) || !isTerminal(os.Stdout)) {
		return usagef("the demo needs a terminal; use `rounds demo --headless` in scripts")
	}
	dir := o.dir
	temp := false
	if dir == "" {
		if o.headless {
			if dir, err = os.MkdirTemp("", "rounds-demo-"); err != nil {
				return err
			}
			temp = true
		} else {
			dir = demo.DefaultDir()
		}
	}
	if temp {
		defer os.RemoveAll(dir)
	}
	dbPath := filepath.Join(dir, demo.DBName)
	if same(dbPath, a.dbPath) {
		return usagef("--dir %s would make the demo use the inventory database %s; pick another directory", dir, a.dbPath)
	}
	if o.fresh {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(dbPath + suffix); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	d, err := demo.Setup(ctx, demo.Options{Dir: dir, Fast: o.headless, Capture: o.capture, Actor: a.technician()})
	if err != nil {
		return err
	}
	defer d.Close()
	if o.headless {
		progress := func(room string, v round.Visit) {
			fmt.Fprintf(a.stderr, "rounds: demo: swept %s: %d findings\n", inert(room), len(v.Items))
		}
		r, err := d.Walk(ctx, progress)
		if err != nil {
			return err
		}
		return report.Write(a.stdout, format, r)
	}
	err = tui.Run(ctx, tui.Options{Engine: d.Engine, RoundID: d.Round.ID, ExportDir: dir, Demo: true, ScanGap: scanGapFlag, Warnings: a.warnings.Last}, nil, nil)
	if err == nil {
		fmt.Fprintf(a.stdout, "The demo round is kept in %s (rounds demo resumes it; --fresh starts over).\n", dir)
	}
	return err
}

// same reports whether two paths name the same file (or would).
func same(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	fa, ea := os.Stat(a)
	fb, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(fa, fb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}
