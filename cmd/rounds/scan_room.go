package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// roomSource is one sweep of a room visit.
type roomSource struct {
	kind    scan.Source
	sweeper scan.Sweeper
}

// roomSources builds the sweeps of a room visit through the one builder
// the TUI uses too (buildPlan); tests replace it.
var roomSources = func(cmd *cobra.Command, a *app, o scanOptions, nets []netip.Prefix) ([]roomSource, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	if !cmd.Flags().Changed("profile") {
		o.profile = "" // the configuration's, else safe
	}
	p, err := buildPlan(cmd.Context(), a, cfg, o.room, nets, &o, func(w string) {
		fmt.Fprintf(a.stderr, "rounds: %s\n", inert(w))
	})
	if err != nil {
		return nil, err
	}
	var out []roomSource
	for _, s := range p.Sources {
		sw := s.Sweeper
		if s.Kind == scan.SourceIP {
			sw = closingSweeper{sw, p.Close} // the packet log, once the IP sweep is done
		}
		out = append(out, roomSource{s.Kind, sw})
	}
	if len(out) == 0 {
		_ = p.Close()
	}
	return out, nil
}

// roomResult is what `rounds scan --room --json` prints.
type roomResult struct {
	Visit        int64               `json:"visit"`
	Room         string              `json:"room"`
	Sweeps       reconcile.Sweeps    `json:"sweeps"`
	Observations int                 `json:"observations"`
	Findings     []reconcile.Finding `json:"findings"`
}

// runRoomScan sweeps a room, reconciles, stores the visit and prints the
// findings. Nothing is stored when a sweep fails or is interrupted.
func runRoomScan(cmd *cobra.Command, a *app, o scanOptions) error {
	ctx := cmd.Context()
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	room, err := findRoom(ctx, st, o.room)
	if err != nil {
		return err
	}
	o.room = room.Key
	nets, err := parseNets(o.nets) // once: the sources are built from these
	if err != nil {
		return err
	}
	if len(nets) == 0 {
		for _, sg := range room.Segments {
			nets = append(nets, sg.CIDR)
		}
	}
	srcs, err := roomSources(cmd, a, o, nets)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return usagef("room %s has no network segment configured and no BLE sweep was asked for: give --net CIDR, --ble or --ble-replay FILE", room.Key)
	}
	// Live progress only on a terminal: "\r" updates make a log unreadable.
	progress := io.Discard
	if f, ok := a.stderr.(*os.File); ok && isTerminal(f) {
		progress = a.stderr
	}
	obs, swept, err := sweepRoom(ctx, progress, a.stderr, srcs)
	if err != nil {
		return fmt.Errorf("sweep of %s: %w; nothing stored", room.Key, err)
	}
	swept.Nets = nets
	if !swept.IP {
		swept.Nets = nil
	}
	e := &round.Engine{Store: st, Actor: a.technician(),
		Reconcile: &round.StoreReconciler{Store: st, Advisories: func(ctx context.Context) (*advisory.Matcher, error) {
			return loadAdvisories(ctx, st)
		}}}
	v, err := e.Finish(ctx, 0, room, obs, swept)
	if err != nil {
		return fmt.Errorf("%w; nothing stored", err)
	}
	id := v.ID
	fs := make([]reconcile.Finding, len(v.Items))
	for i, it := range v.Items {
		fs[i] = it.Finding
	}
	obs = round.Latest(obs)
	if o.jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(roomResult{Visit: id, Room: room.Key, Sweeps: swept, Observations: len(obs), Findings: fs})
	}
	printFindings(a.stdout, room, swept, len(obs), id, fs)
	return nil
}

// sweepRoom runs the sweeps together and gathers their observations. A
// sweep that fails (or an interruption) fails the visit; one that reports
// scan.ErrIncomplete keeps what it saw and is not counted as swept.
func sweepRoom(parent context.Context, progress, warn io.Writer, srcs []roomSource) ([]scan.Observation, reconcile.Sweeps, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	ch := make(chan scan.Observation, 64)
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = s.sweeper.Sweep(ctx, ch); errs[i] != nil {
				cancel() // one failed sweep fails the visit
			}
		}()
	}
	go func() { wg.Wait(); close(ch) }()
	var obs []scan.Observation
	for ob := range ch {
		obs = append(obs, ob)
		fmt.Fprintf(progress, "\rrounds: %d seen", len(obs))
	}
	if len(obs) > 0 {
		fmt.Fprint(progress, "\r\033[K")
	}
	var sw reconcile.Sweeps
	if parent.Err() != nil {
		return nil, sw, errors.New("interrupted")
	}
	incomplete := map[scan.Source]bool{}
	for i, s := range srcs {
		if errors.Is(errs[i], scan.ErrIncomplete) {
			// What it saw stands; what it did not see proves nothing, so
			// its kind is not marked swept and the room's units it could
			// have seen come out unverified.
			fmt.Fprintf(warn, "rounds: %s sweep incomplete: %v\n", s.kind, errs[i])
			incomplete[s.kind] = true
			errs[i] = nil
			continue
		}
		if errs[i] != nil && !errors.Is(errs[i], context.Canceled) {
			return nil, sw, fmt.Errorf("%s sweep: %w", s.kind, errs[i])
		}
	}
	for i, s := range srcs {
		if errs[i] != nil {
			return nil, sw, errors.New("interrupted")
		}
		if incomplete[s.kind] {
			continue
		}
		switch s.kind {
		case scan.SourceIP:
			sw.IP = true
		case scan.SourceBLE:
			sw.BLE = true
		}
	}
	return obs, sw, nil
}

var kindTitle = map[reconcile.Kind]string{
	reconcile.Verified: "VERIFIED", reconcile.Missing: "MISSING", reconcile.Unverified: "UNVERIFIED",
	reconcile.MovedHere: "MOVED HERE", reconcile.Unknown: "UNKNOWN", reconcile.HeardNearby: "NEARBY",
}

var severityName = map[reconcile.Severity]string{reconcile.Info: "info", reconcile.Warning: "warning", reconcile.Critical: "CRITICAL"}

// printFindings renders the findings as plain text. Every string that
// came from outside (inventory, devices, documents) is made inert.
func printFindings(w io.Writer, room store.Location, sw reconcile.Sweeps, nobs int, visit int64, fs []reconcile.Finding) {
	name := room.Key
	if room.Name != "" {
		name += " (" + inert(room.Name) + ")"
	}
	var swept []string
	if sw.IP {
		var ns []string
		for _, n := range sw.Nets {
			ns = append(ns, n.String())
		}
		swept = append(swept, "IP "+strings.Join(ns, ","))
	}
	if sw.BLE {
		swept = append(swept, "BLE")
	}
	if room.RFShielded {
		swept = append(swept, "RF-shielded room")
	}
	fmt.Fprintf(w, "%s: swept %s; %d seen; visit %d stored\n", name, strings.Join(swept, " + "), nobs, visit)
	counts := map[reconcile.Kind]int{}
	for _, f := range fs {
		counts[f.Kind]++
	}
	var sum []string
	for _, k := range reconcile.Kinds {
		if counts[k] > 0 {
			sum = append(sum, fmt.Sprintf("%d %s", counts[k], strings.ToLower(kindTitle[k])))
		}
	}
	fmt.Fprintln(w, strings.Join(sum, ", "))
	for _, f := range fs {
		fmt.Fprintln(w, describeFinding(f))
		for _, fl := range f.Flags {
			fmt.Fprintln(w, "    "+describeFlag(fl))
		}
	}
}

func describeFinding(f reconcile.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s ", kindTitle[f.Kind])
	switch {
	case f.Device != nil:
		d := f.Device
		fmt.Fprintf(&b, "%s  %s", inert(d.AssetTag), inert(strings.TrimSpace(d.Manufacturer+" "+d.Model)))
	case len(f.Observations) > 0:
		b.WriteString(describeObservation(f.Observations[0]))
	}
	if f.Match != nil {
		fmt.Fprintf(&b, "  [%s, confidence %.2f]", inert(f.Match.Reason), f.Match.Confidence)
	}
	if f.Reason != "" {
		fmt.Fprintf(&b, "  — %s", inert(f.Reason))
	}
	if f.Match != nil {
		for _, c := range f.Match.Conflicts {
			fmt.Fprintf(&b, "\n    note: %s", inert(c))
		}
	}
	for _, c := range f.Candidates {
		fmt.Fprintf(&b, "\n    could be: %s %s (%.2f: %s)", inert(c.Manufacturer), inert(c.Model), c.Score, inert(c.Reason))
	}
	return b.String()
}

func describeFlag(fl reconcile.Flag) string {
	var b strings.Builder
	fmt.Fprintf(&b, "! %s %s: %s", severityName[fl.Severity], fl.Kind, inert(fl.Rule))
	if fl.Document != "" {
		fmt.Fprintf(&b, " [%s]", inert(fl.Document))
	}
	keys := make([]string, 0, len(fl.Evidence))
	for k := range fl.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "; %s=%s", inert(k), inert(fl.Evidence[k]))
	}
	if fl.URL != "" {
		fmt.Fprintf(&b, "; %s", inert(fl.URL))
	}
	return b.String()
}
