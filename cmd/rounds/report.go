package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

// newReportCmd is `rounds report`: the report of a real round (the active
// one unless --round names another), as the TUI's summary exports it.
func newReportCmd(a *app) *cobra.Command {
	var o struct {
		round  int64
		format string
		out    string
	}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write a round's report (HTML, CSV, JSON or text)",
		Long: `Write the report of a round: every room with its findings, flags and their
reasons, notes, the technician's actions (with undone ones folded) and a
sign-off line per room. Without --round, the active round; without --out,
standard output.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := report.ParseFormat(o.format)
			if err != nil {
				return usageError{err}
			}
			return runReport(cmd.Context(), a, o.round, f, o.out)
		},
	}
	cmd.Flags().Int64Var(&o.round, "round", 0, "round `id` (default: the active round)")
	cmd.Flags().StringVar(&o.format, "format", "text", "output `format`: html, csv, json or text")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write to this `file` (created 0600) instead of standard output")
	return cmd
}

func runReport(ctx context.Context, a *app, id int64, f report.Format, out string) error {
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	eng := &round.Engine{Store: st, Actor: a.technician()}
	rd, err := eng.Load(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if id == 0 {
			return fmt.Errorf("report: no active round; name one with --round")
		}
		return fmt.Errorf("report: round %d: %w", id, err)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r, err := eng.Report(ctx, rd.ID)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if out == "" {
		return report.Write(a.stdout, f, r)
	}
	return writeReportFile(out, func(w *os.File) error { return report.Write(w, f, r) })
}

// writeReportFile writes through a temporary file in the same directory,
// synced, then renamed into place: a crash never leaves half a report.
func writeReportFile(path string, fn func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".rounds-report-*")
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := fn(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// scanGapFlag is --scan-gap: a slow scanner (or a terminal over a slow
// link) needs a longer gap.
var scanGapFlag time.Duration

// technicianFlag is --technician: who walks the round, for the journal
// and the report.
var technicianFlag string
