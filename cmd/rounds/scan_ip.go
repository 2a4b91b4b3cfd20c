package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/scan"
)

// newIPSweeper builds the IP sweep from the options. (IP sweep issue.)
func newIPSweeper(cmd *cobra.Command, a *app, o scanOptions) (scan.Sweeper, error) {
	return nil, errors.New("IP sweep is not built yet")
}
