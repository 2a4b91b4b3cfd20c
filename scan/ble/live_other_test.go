//go:build !linux

package ble

import (
	"context"
	"errors"
	"testing"

	"github.com/biomed-rounds/rounds/scan"
)

func TestLiveUnsupported(t *testing.T) {
	err := (&Live{}).Sweep(context.Background(), make(chan scan.Observation, 1))
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err %v", err)
	}
}
