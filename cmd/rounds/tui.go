package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"strings"
	gosync "sync"
	"time"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/tui"
)

// runTUI opens the terminal UI on the database.
func runTUI(ctx context.Context, a *app) error {
	if !isTerminal(os.Stdin) || !isTerminal(os.Stdout) {
		return usagef("the terminal UI needs a terminal; use a command (rounds --help) or `rounds demo --headless`")
	}
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	// Advisories and recalls are loaded once, on the first sweep that
	// needs them, never on the way to the first frame.
	var adv struct {
		once gosync.Once
		m    *advisory.Matcher
		err  error
	}
	advisories := func(ctx context.Context) (*advisory.Matcher, error) {
		adv.once.Do(func() { adv.m, adv.err = loadAdvisories(ctx, st) })
		return adv.m, adv.err
	}
	eng := &round.Engine{
		Store:     st,
		Reconcile: &round.StoreReconciler{Store: st, Advisories: advisories},
		Actor:     a.technician(),
		Sources:   fieldSources(a, cfg),
	}
	dir, err := os.Getwd()
	if err != nil {
		dir = ""
	}
	opts := tui.Options{Engine: eng, ExportDir: dir, Sync: syncStatus(st, cfg), ScanGap: scanGapFlag, Mouse: a.mouse || cfg.TUI.Mouse,
		Warnings: a.warnings.Last}
	if a.technicianUnset(cfg) {
		// Nobody named the technician: the TUI asks once and the answer
		// goes into the configuration file.
		opts.Technician = func(_ context.Context, name string) error { return config.SetTechnician(a.configPath, name) }
	}
	return tui.Run(ctx, opts, nil, nil)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// technician names the person in the journal and the report, read one
// way for every command and the TUI: --technician, else the
// configuration's technician, else $ROUNDS_ACTOR, else the login name.
func (a *app) technician() string {
	if s := strings.TrimSpace(technicianFlag); s != "" {
		return s
	}
	if cfg, err := a.config(); err == nil && strings.TrimSpace(cfg.Technician) != "" {
		return strings.TrimSpace(cfg.Technician)
	}
	return loginActor()
}

// technicianUnset reports that no flag, configuration or ROUNDS_ACTOR
// names the technician (the login name would sign the journal).
func (a *app) technicianUnset(cfg config.Config) bool {
	return strings.TrimSpace(technicianFlag) == "" && strings.TrimSpace(cfg.Technician) == "" &&
		strings.TrimSpace(os.Getenv("ROUNDS_ACTOR")) == ""
}

// loginActor is $ROUNDS_ACTOR, else the login name.
func loginActor() string {
	if n := strings.TrimSpace(os.Getenv("ROUNDS_ACTOR")); n != "" {
		return n
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, v := range []string{"USER", "USERNAME"} {
		if n := os.Getenv(v); n != "" {
			return n
		}
	}
	return "technician"
}

// fieldSources builds a room's sources with the one builder the command
// line uses too (buildPlan): the room's segments with the configured
// profile, exclusions, per-segment SNMP credentials, and, with --ble, a
// passive BLE scan. Warnings go to warn (nil: kept in the plan only,
// until the TUI shows them); a source that fails shows as failed on the
// sweep screen and its devices come out unverified rather than missing.
func fieldSources(a *app, cfg config.Config) func(context.Context, store.Location) ([]round.Source, error) {
	return func(ctx context.Context, room store.Location) ([]round.Source, error) {
		var nets []netip.Prefix
		for _, sg := range room.Segments {
			nets = append(nets, sg.CIDR)
		}
		o := &scanOptions{}
		if a.tuiBLE {
			o.ble, o.bleAdapter, o.duration = true, a.tuiBLEAdapter, a.tuiBLEDuration
			if o.duration <= 0 {
				o.duration = 20 * time.Second
			}
		}
		p, err := buildPlan(ctx, a, cfg, room.Key, nets, o, func(s string) { a.warnf("sweep "+room.Key)("%s", s) })
		if err != nil {
			return nil, fmt.Errorf("room %s: %w", room.Key, err)
		}
		var srcs []round.Source
		for _, s := range p.Sources {
			srcs = append(srcs, round.Source{Name: s.Name, Kind: s.Kind, Sweeper: s.Sweeper})
		}
		return srcs, nil
	}
}

// syncStatus reads the sync screen's figures for the configured target.
func syncStatus(st *store.Store, cfg config.Config) func(context.Context) (tui.SyncInfo, error) {
	return func(ctx context.Context) (tui.SyncInfo, error) {
		var info tui.SyncInfo
		q, err := st.Outbox(ctx, 50)
		if err != nil {
			return info, err
		}
		info.Queue = q
		t, err := cfg.Target("")
		if err != nil {
			info.Counts, err = st.JournalCounts(ctx)
			info.Note = "no sync target configured: add a [[target]] to the configuration file"
			return info, err
		}
		s, err := sync.ReadStatus(ctx, st, t.Name)
		if err != nil {
			return info, err
		}
		info.Target, info.Counts = t.Name, s.Journal
		info.LastSync = s.LastPush.At
		if s.LastPull.At.After(info.LastSync) {
			info.LastSync = s.LastPull.At
		}
		cs, err := sync.Conflicts(ctx, st, t.Name, false)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return info, err
		}
		for _, c := range cs {
			info.Conflicts = append(info.Conflicts, tui.Conflict{AssetTag: c.AssetTag, Field: c.Field, Local: c.Local, Remote: c.Server})
		}
		return info, nil
	}
}
