// Package oui names the organisation that owns a MAC address, from the IEEE
// registries (MA-L, MA-M, MA-S and the older IAB) embedded in the binary.
//
// The table is generated from Debian's ieee-data package by
// internal/ouigen; regenerate it with `go generate` after installing a
// newer ieee-data.
package oui
