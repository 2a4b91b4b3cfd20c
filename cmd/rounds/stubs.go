package main

import (
	"context"
	"errors"
)

// The commands below are filled in by their issues.

func runTUI(ctx context.Context, a *app) error { return errors.New("the TUI is not built yet") }
