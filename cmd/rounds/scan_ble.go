package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble"
)

// newBLESweeper builds the BLE source from the options: a replay of a
// btsnoop capture, or a live passive scan (Linux).
func newBLESweeper(cmd *cobra.Command, a *app, o scanOptions) (scan.Sweeper, error) {
	if o.bleReplay != "" {
		if o.bleActive || len(o.bleReadDIS) > 0 {
			return nil, usagef("--ble-active and --read-dis need a live scan (--ble); a replay cannot send anything")
		}
		return &bleReplay{r: &ble.Replay{Path: o.bleReplay, Fast: o.bleFast}, stderr: a.stderr}, nil
	}
	if o.bleFast {
		return nil, usagef("--fast applies to --ble-replay only")
	}
	if o.duration <= 0 {
		return nil, usagef("--duration must be positive")
	}
	l := &ble.Live{
		Adapter:  o.bleAdapter,
		Active:   o.bleActive,
		Duration: o.duration,
		ReadDIS:  o.bleReadDIS,
		Notef: func(format string, args ...any) {
			fmt.Fprintf(a.stderr, "ble: "+format+"\n", args...)
		},
	}
	if err := l.Validate(); err != nil {
		return nil, usageError{err}
	}
	if o.bleActive {
		fmt.Fprintln(a.stderr, "ble: active scanning: scan requests will be sent to every advertiser in range")
	}
	return &bleLive{l: l, stderr: a.stderr}, nil
}

// bleReplay reports what a replay skipped once it is done.
type bleReplay struct {
	r      *ble.Replay
	stderr io.Writer
}

func (s *bleReplay) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	err := s.r.Sweep(ctx, out)
	st := s.r.Stats()
	if (err == nil || errors.Is(err, scan.ErrIncomplete)) && (st.Malformed > 0 || st.BadAD > 0 || st.Panics > 0 || st.Damaged) {
		fmt.Fprintf(s.stderr, "ble replay %s: %d records, %d advertisements from %d addresses; skipped %d malformed events or reports and %d bad AD fields\n",
			s.r.Path, st.Records, st.Reports, st.Addresses, st.Malformed, st.BadAD)
		if st.Damaged {
			fmt.Fprintf(s.stderr, "ble replay %s: reading stopped at a damaged record: %s\n", s.r.Path, st.Damage)
		}
	}
	return err
}

// bleLive reports what a live scan dropped once it is done.
type bleLive struct {
	l      *ble.Live
	stderr io.Writer
}

func (s *bleLive) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	err := s.l.Sweep(ctx, out)
	if st := s.l.Stats(); err == nil && (st.Dropped > 0 || st.Malformed > 0) {
		fmt.Fprintf(s.stderr, "ble: %d advertisements from %d addresses; %d dropped (too many at once), %d malformed\n",
			st.Reports, st.Addresses, st.Dropped, st.Malformed)
	}
	return err
}
