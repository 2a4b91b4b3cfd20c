//go:build tools

// Package rounds pins dependencies that packages under construction import,
// so that parallel work on them never races on go.mod. Removed once every
// dependency is imported by real code.
package rounds

import (
	_ "charm.land/bubbles/v2/key"
	_ "charm.land/bubbletea/v2"
	_ "charm.land/lipgloss/v2"
	_ "github.com/BurntSushi/toml"
	_ "github.com/charmbracelet/x/exp/golden"
	_ "github.com/go-ble/ble"
	_ "github.com/go-ble/ble/linux"
	_ "github.com/go-ble/ble/linux/adv"
	_ "github.com/go-ble/ble/linux/hci/evt"
	_ "github.com/google/uuid"
	_ "github.com/zalando/go-keyring"
	_ "github.com/spf13/cobra"
	_ "go.uber.org/goleak"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
