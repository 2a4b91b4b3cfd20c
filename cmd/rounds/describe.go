package main

import (
	"fmt"
	"strings"

	inertpkg "github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/scan"
)

// describeObservation renders one observation as a line of plain text.
// Every outside string is made inert first.
func describeObservation(o scan.Observation) string {
	var b strings.Builder
	switch o.Source {
	case scan.SourceBLE:
		if o.BLE != nil {
			fmt.Fprintf(&b, "ble %s %-22s rssi %d", inert(o.BLE.Address), o.BLE.AddressType, o.BLE.RSSIMax)
			if o.BLE.Count > 0 {
				fmt.Fprintf(&b, " (median %d, %d heard)", o.BLE.RSSIMedian, o.BLE.Count)
			}
			if o.BLE.Placement != "" {
				fmt.Fprintf(&b, " %s", o.BLE.Placement)
			}
			if n := len(o.BLE.Addresses); n > 1 {
				fmt.Fprintf(&b, " [%d rotating addresses]", n)
			}
		}
	default:
		fmt.Fprintf(&b, "ip  %-15s", o.IP)
		if o.MAC != "" {
			fmt.Fprintf(&b, " %s", o.MAC)
		}
		if len(o.Ports) > 0 {
			fmt.Fprintf(&b, " ports %v", o.Ports)
		}
	}
	if o.Vendor != "" {
		fmt.Fprintf(&b, "  %s", inert(o.Vendor))
	}
	if l := o.Label(); l != "" && l != o.Vendor {
		fmt.Fprintf(&b, "  %q", inert(l))
	}
	if o.Hints.Serial != "" {
		fmt.Fprintf(&b, "  serial %s", inert(o.Hints.Serial))
	}
	return b.String()
}

// inert makes an outside string safe to print: whole escape sequences,
// control characters and bidirectional overrides become one mark each
// (package inert, the canonical sanitiser).
func inert(s string) string { return inertpkg.String(s) }
