package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/scan"
)

// newBLESweeper builds the BLE source from the options. (BLE issue.)
func newBLESweeper(cmd *cobra.Command, a *app, o scanOptions) (scan.Sweeper, error) {
	return nil, errors.New("BLE sweep is not built yet")
}
