package main

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ward"
	"github.com/biomed-rounds/rounds/store"
)

// TestFieldSources: the TUI sweeps a room's segments, adds a live BLE
// source only when asked (--ble), and sweeps nothing for a room with
// neither. The sources are built, never run: there is no adapter here.
func TestFieldSources(t *testing.T) {
	room := store.Location{Key: "MAIN/3/3W-12", Segments: []store.Segment{{CIDR: netip.PrefixFrom(ward.Addr(12, 0), 28)}}}
	bare := store.Location{Key: "MAIN/3/3W-13"}
	tests := []struct {
		name  string
		ble   bool
		room  store.Location
		kinds []scan.Source
	}{
		{"segments only", false, room, []scan.Source{scan.SourceIP}},
		{"segments and ble", true, room, []scan.Source{scan.SourceBLE, scan.SourceIP}},
		{"ble only", true, bare, []scan.Source{scan.SourceBLE}},
		{"nothing", false, bare, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &app{tuiBLE: tt.ble, tuiBLEDuration: time.Second}
			srcs, err := fieldSources(a, config.Config{})(context.Background(), tt.room)
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) != len(tt.kinds) {
				t.Fatalf("%d sources, want %d", len(srcs), len(tt.kinds))
			}
			for i, s := range srcs {
				if s.Kind != tt.kinds[i] || s.Sweeper == nil {
					t.Errorf("source %d = %s %q, want %s", i, s.Kind, s.Name, tt.kinds[i])
				}
			}
		})
	}
	a := &app{tuiBLE: true, tuiBLEAdapter: -1, tuiBLEDuration: time.Second}
	if _, err := fieldSources(a, config.Config{})(context.Background(), room); err == nil {
		t.Error("a negative adapter index was accepted")
	}
}
