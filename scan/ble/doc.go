// Package ble is the Bluetooth Low Energy source of observations: it
// decodes LE Advertising Reports and LE Extended Advertising Reports (HCI
// LE Meta event 0x3E, subevents 0x02 and 0x0D), aggregates them per room,
// and reports one scan.Observation per advertiser.
//
// Advertisements come from a btsnoop capture (Replay) or, on Linux, from
// the controller through go-ble (Live, passive by default). Both feed the
// same Decoder and Room: the decoder turns events into Reports without
// allocating, counting and skipping whatever is malformed; the Room keeps
// one entry per address with its RSSI statistics, applies the room gate
// (median RSSI and dwell) to tell a device in the room from one heard
// through the wall, and groups the rotating private addresses of one
// device by the stable part of their payload.
//
// go-ble's decoders are used where they are sound and guarded where they
// are not; see Decoder.Event and AD for the known faults worked around.
package ble
