package sync

import "context"

// Capability is one thing a target will or will not do for this instance,
// found out at connect time.
type Capability struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail says what was found and, when not OK, what to do.
	Detail string `json:"detail"`
}

// Checker is a connector that can say, reading only, what will and will
// not work with its server: `rounds sync --check`.
type Checker interface {
	Check(ctx context.Context) ([]Capability, error)
}
