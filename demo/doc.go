// Package demo builds the built-in demo of rounds: a small hospital wing
// with its inventory (catalog, advisories and a few planted problems), a
// simulated ward of devices listening on 127.77.x.x loopback addresses
// (a fixed range, since the demo database records it; the ward moves to
// another port offset when another process holds its ports),
// and a synthesised BLE capture per room, replayed as if an adapter heard
// it. A newcomer walks a realistic round with one command and no
// hardware; CI runs the same round headless.
//
// The demo never touches the user's database: it lives in its own
// directory. Its sweeps target only the loopback segments it configures.
package demo
