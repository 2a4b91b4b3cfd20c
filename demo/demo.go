package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
	"github.com/biomed-rounds/rounds/scan/ip"
	"github.com/biomed-rounds/rounds/scan/ward"
	"github.com/biomed-rounds/rounds/store"
)

// DBName is the demo database's file name inside the demo directory.
const DBName = "demo.db"

// Options configure a demo.
type Options struct {
	// Dir holds the demo database and captures; it is created 0700.
	Dir string
	// Fast replays BLE captures as fast as possible and sweeps with the
	// fast IP profile (headless runs); otherwise captures play at their
	// own pace, as a real adapter would hear them.
	Fast bool
	// Capture is how long each room's BLE capture lasts (default 6 s).
	Capture time.Duration
	// Actor names the technician in the journal (default "demo").
	Actor string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Demo is a running demo: its store, ward and round engine.
type Demo struct {
	Dir    string
	Store  *store.Store
	Engine *round.Engine
	// Round is the demo round (resumed when the directory held one).
	Round store.Round
	ward  *ward.Ward
}

// DefaultDir is where `rounds demo` keeps its state between runs, so that
// an interrupted demo round resumes: a per-user directory under the
// system's temporary directory.
func DefaultDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("rounds-demo-%d", os.Getuid()))
}

// Setup opens (or creates and seeds) the demo database in opts.Dir,
// starts the simulated ward and writes the BLE captures. Close stops the
// ward and closes the store.
func Setup(ctx context.Context, opts Options) (*Demo, error) {
	if opts.Dir == "" {
		return nil, errors.New("demo: no directory")
	}
	if opts.Capture <= 0 {
		opts.Capture = 6 * time.Second
	}
	if opts.Actor == "" {
		opts.Actor = "demo"
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	st, err := store.Open(ctx, filepath.Join(opts.Dir, DBName))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d := &Demo{Dir: opts.Dir, Store: st}
	fail := func(err error) (*Demo, error) {
		d.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := seed(ctx, st, now()); err != nil {
		return fail(err)
	}
	if d.ward, err = startWard(ctx); err != nil {
		return fail(err)
	}
	captures, err := writeCaptures(opts.Dir, opts.Capture, now())
	if err != nil {
		return fail(err)
	}
	matcher, err := matcher()
	if err != nil {
		return fail(err)
	}
	d.Engine = &round.Engine{
		Store:     st,
		Reconcile: &round.StoreReconciler{Store: st, Advisories: func(context.Context) (*advisory.Matcher, error) { return matcher, nil }},
		Now:       now,
		Actor:     opts.Actor,
		Sources:   d.sources(captures, opts.Fast),
	}
	if d.Round, err = d.Engine.Load(ctx, 0); errors.Is(err, store.ErrNotFound) {
		d.Round, err = d.Engine.Start(ctx, "Demo wing, floor 3", Rooms)
	}
	if err != nil {
		return fail(err)
	}
	return d, nil
}

// Close stops the ward and closes the store.
func (d *Demo) Close() error {
	var errs []error
	if d.ward != nil {
		errs = append(errs, d.ward.Close())
		d.ward = nil
	}
	if d.Store != nil {
		errs = append(errs, d.Store.Close())
		d.Store = nil
	}
	return errors.Join(errs...)
}

// seed fills an empty demo database; a database that has rooms is left
// as it is, so that a round in progress survives a restart.
func seed(ctx context.Context, st *store.Store, now time.Time) error {
	ls, err := st.Locations(ctx)
	if err != nil {
		return err
	}
	if len(ls) > 0 {
		return nil
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return st.Write(ctx, "demo-import", func(w *store.Writer) error {
		// The inventory is the CMDB's state: nothing to push back.
		w.NoJournal = true
		if err := w.MarkGenerated("rounds demo"); err != nil {
			return err
		}
		for _, l := range locations() {
			if _, err := w.PutLocation(l); err != nil {
				return err
			}
		}
		for _, m := range catalog() {
			if _, err := w.PutModel(m); err != nil {
				return err
			}
		}
		for _, dv := range devices(today) {
			if _, err := w.PutDevice(dv); err != nil {
				return fmt.Errorf("%s: %w", dv.AssetTag, err)
			}
		}
		return nil
	})
}

// The demo keeps its fixed range, 127.77.0.0/16: its inventory (stored
// in the demo database, which outlives a run) records those addresses.
// What moves instead is the port offset. portOffsets are tried first, in
// turn, so that a lone demo lands on familiar ports; when another demo or
// test process holds them, randomOffsetTries random offsets follow.
// Unprivileged processes cannot bind the real ports below 1024 anyway.
var portOffsets = []int{30000, 31000, 32000, 33000, 34000, 35000}

const (
	randomOffsetTries = 16
	// Random offsets are whole thousands in [36000, 53000]: the demo
	// ward's highest port, 9100, stays below 65536. A port some other
	// program holds is simply another try.
	randomOffsetLow, randomOffsetHigh = 36, 53
)

// startWard starts the demo's ward on the first free port offset. An
// address or port in use moves on to the next offset; any other failure
// (no loopback aliases on macOS, say) is returned at once.
func startWard(ctx context.Context) (*ward.Ward, error) {
	offsets := slices.Clone(portOffsets)
	for range randomOffsetTries {
		offsets = append(offsets, 1000*(randomOffsetLow+rand.IntN(randomOffsetHigh-randomOffsetLow+1)))
	}
	var last error
	for _, off := range offsets {
		w, err := ward.Start(ctx, ward.Config{Devices: wardDevices(), PortOffset: off})
		if err == nil {
			return w, nil
		}
		last = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("start the simulated ward on 127.77.x.x (on macOS, loopback aliases are needed): %w", last)
}

// writeCaptures synthesises each room's BLE capture.
func writeCaptures(dir string, dur time.Duration, now time.Time) (map[string]string, error) {
	out := map[string]string{}
	for room, devs := range bleRooms() {
		var b bytes.Buffer
		c := blesim.Capture{Start: now.Add(-dur), Duration: dur, Datalink: btsnoop.Monitor, Seed: uint64(len(room))}
		if _, err := blesim.Write(&b, c, devs); err != nil {
			return nil, fmt.Errorf("capture for %s: %w", room, err)
		}
		p := filepath.Join(dir, strings.ReplaceAll(room, "/", "_")+".btsnoop")
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			return nil, err
		}
		out[room] = p
	}
	return out, nil
}

func matcher() (*advisory.Matcher, error) {
	doc, err := advisory.Parse("demo-advisory.json", []byte(demoCSAF))
	if err != nil {
		return nil, err
	}
	rec, err := advisory.Parse("demo-recalls.json", []byte(demoRecalls))
	if err != nil {
		return nil, err
	}
	var advs []*advisory.Advisory
	if doc.Advisory != nil {
		advs = append(advs, doc.Advisory)
	}
	return advisory.NewMatcher(advs, rec.Recalls), nil
}

// sources gives each room an IP sweep of its segments (only the demo's
// loopback segments, with the ward's port offset) and a replay of its BLE
// capture.
func (d *Demo) sources(captures map[string]string, fast bool) func(context.Context, store.Location) ([]round.Source, error) {
	return func(_ context.Context, room store.Location) ([]round.Source, error) {
		var out []round.Source
		var nets []string
		cfg := ip.Config{Profile: ip.Safe, PortOffset: d.ward.PortOffset(), NoICMP: true}
		if fast {
			cfg.Profile = ip.Fast
		}
		for _, sg := range room.Segments {
			if !sg.CIDR.Addr().IsLoopback() {
				return nil, fmt.Errorf("demo: room %s: segment %s is not loopback; the demo sweeps only 127.0.0.0/8", room.Key, sg.CIDR)
			}
			cfg.Nets = append(cfg.Nets, sg.CIDR)
			nets = append(nets, sg.CIDR.String())
		}
		if len(cfg.Nets) > 0 {
			s, err := ip.New(cfg)
			if err != nil {
				return nil, err
			}
			out = append(out, round.Source{Name: "IP " + strings.Join(nets, ", "), Kind: scan.SourceIP, Sweeper: s})
		}
		if p, ok := captures[room.Key]; ok {
			out = append(out, round.Source{Name: "BLE replay", Kind: scan.SourceBLE, Sweeper: &ble.Replay{Path: p, Fast: fast}})
		}
		return out, nil
	}
}
