package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// scanOptions are the flags of `rounds scan`, read by buildPlan
// (scan_plan.go), the one builder of sweep sources.
type scanOptions struct {
	// Room to sweep and reconcile (reconciliation issue).
	room string
	// IP sweep.
	nets       []string
	profile    string
	forceScope bool
	packetLog  string
	exclude    []string
	snmp       bool
	// BLE.
	ble        bool
	bleReplay  string
	bleFast    bool
	bleActive  bool
	bleAdapter int
	bleReadDIS []string
	duration   time.Duration
	jsonOut    bool
	stream     bool
}

func newScanCmd(a *app) *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Sweep a room's IP segment and/or BLE and print what was seen",
		Long: `Sweep for devices and print observations as they arrive.

IP: --net CIDR (repeatable) names the segments; only private ranges no larger
than /20 are accepted unless --force-scope is given. The default profile
"safe" opens at most one connection per host at a time, spaced, under a global
rate cap; printer ports 9100-9107 are never touched.

BLE: --ble scans live (passive, no scan requests, needs root or CAP_NET_ADMIN);
--ble-replay FILE replays a btsnoop capture (btmon -w or Android HCI log).

Room: --room KEY (or the room's barcode) sweeps the room (its configured
segments unless --net is given), reconciles what was seen against the
inventory, stores the visit with its observations and findings in one
transaction, and prints the findings with their flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScan(cmd, a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.room, "room", "", "room `KEY` (BUILDING/FLOOR/ROOM) to sweep and reconcile")
	f.StringArrayVar(&o.nets, "net", nil, "IP segment `CIDR` to sweep (repeatable)")
	f.StringVar(&o.profile, "profile", "safe", "IP safety profile: safe or fast")
	f.BoolVar(&o.forceScope, "force-scope", false, "allow public ranges and segments larger than /20")
	f.StringVar(&o.packetLog, "packet-log", "", "record every probe sent to `FILE`")
	f.StringArrayVar(&o.exclude, "exclude", nil, "never touch this IP, CIDR, MAC or OUI prefix (repeatable)")
	f.BoolVar(&o.snmp, "snmp", false, "read SNMP sysDescr (off by default)")
	f.BoolVar(&o.ble, "ble", false, "scan BLE live (passive)")
	f.StringVar(&o.bleReplay, "ble-replay", "", "replay BLE advertisements from a btsnoop `FILE`")
	f.BoolVar(&o.bleFast, "fast", false, "replay as fast as possible instead of at capture pace")
	f.BoolVar(&o.bleActive, "ble-active", false, "active BLE scanning (sends scan requests)")
	f.IntVar(&o.bleAdapter, "adapter", 0, "HCI adapter `index` (hci0 = 0)")
	f.StringArrayVar(&o.bleReadDIS, "read-dis", nil, "read the Device Information Service of this BLE `ADDRESS` (repeatable)")
	f.DurationVar(&o.duration, "duration", 20*time.Second, "how long a live BLE scan listens")
	f.BoolVar(&o.jsonOut, "json", false, "print the observations as a JSON array (with --room: the visit and its findings as one JSON object)")
	f.BoolVar(&o.stream, "stream", false, "with --json: print each observation as one JSON line as it arrives")
	return cmd
}

// sweepers builds the discovery sources the options ask for, through the
// one builder of sweep sources (buildPlan). Warnings go to stderr.
func sweepers(cmd *cobra.Command, a *app, o scanOptions) ([]scan.Sweeper, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	nets, err := parseNets(o.nets)
	if err != nil {
		return nil, err
	}
	if !cmd.Flags().Changed("profile") {
		o.profile = ""
	}
	p, err := buildPlan(cmd.Context(), a, cfg, "", nets, &o, func(w string) {
		fmt.Fprintf(a.stderr, "rounds: %s\n", inert(w))
	})
	if err != nil {
		return nil, err
	}
	var out []scan.Sweeper
	for _, s := range p.Sources {
		sw := s.Sweeper
		if s.Kind == scan.SourceIP {
			sw = closingSweeper{sw, p.Close}
		}
		out = append(out, sw)
	}
	return out, nil
}

func runScan(cmd *cobra.Command, a *app, o scanOptions) error {
	if o.room != "" {
		return runRoomScan(cmd, a, o)
	}
	ss, err := sweepers(cmd, a, o)
	if err != nil {
		return err
	}
	if len(ss) == 0 {
		return usagef("nothing to sweep: give --net CIDR, --ble or --ble-replay FILE")
	}
	if o.stream && !o.jsonOut {
		return usagef("--stream goes with --json")
	}
	ctx := cmd.Context()
	obs := make(chan scan.Observation, 64)
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range ss {
		g.Go(func() error {
			err := s.Sweep(gctx, obs)
			if errors.Is(err, scan.ErrIncomplete) && !errors.Is(err, btsnoop.ErrFormat) {
				// What it saw was printed; the others go on. A file that
				// is no capture at all is the user's mistake: it fails.
				fmt.Fprintf(a.stderr, "rounds: %v\n", err)
				return nil
			}
			return err
		})
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait(); close(obs) }()
	enc := json.NewEncoder(a.stdout)
	all := []scan.Observation{}
	for ob := range obs {
		switch {
		case o.jsonOut && o.stream:
			if err := enc.Encode(ob); err != nil {
				return err
			}
		case o.jsonOut:
			all = append(all, ob)
		default:
			fmt.Fprintln(a.stdout, describeObservation(ob))
		}
	}
	err = <-done
	if o.jsonOut && !o.stream && err == nil {
		err = writeJSON(a, all)
	}
	if errors.Is(err, ctx.Err()) && ctx.Err() != nil {
		return fmt.Errorf("sweep interrupted")
	}
	return err
}
