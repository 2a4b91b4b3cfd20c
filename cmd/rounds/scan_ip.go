package main

import (
	"context"
	"fmt"

	"github.com/biomed-rounds/rounds/scan"
)

// closingSweeper closes the plan (its packet log) once the sweep is over.
type closingSweeper struct {
	scan.Sweeper
	close func() error
}

func (c closingSweeper) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	err := c.Sweeper.Sweep(ctx, out)
	if cerr := c.close(); err == nil && cerr != nil {
		err = fmt.Errorf("--packet-log: %w", cerr)
	}
	return err
}
