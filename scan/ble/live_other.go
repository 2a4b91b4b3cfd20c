//go:build !linux

package ble

import (
	"context"
	"fmt"
	"runtime"

	"github.com/biomed-rounds/rounds/scan"
)

// sweep reports that this platform has no live scanning: go-ble's macOS
// backend needs cgo and there is none for Windows, while this binary is
// built without cgo for every platform.
func (l *Live) sweep(ctx context.Context, out chan<- scan.Observation) error {
	return fmt.Errorf("%w (this is %s)", ErrUnsupported, runtime.GOOS)
}
