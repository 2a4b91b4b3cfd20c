// Package ward simulates a hospital ward's networked devices on loopback
// addresses, for tests and the demo.
//
// Start binds each simulated device to its own 127.x address (Linux routes
// all of 127.0.0.0/8 to the loopback interface, so no set-up is needed)
// and serves what such devices serve: infusion pump and monitor web UIs
// with their Server banners and titles, UPnP device descriptions carrying
// serial numbers, DICOM nodes answering associations, HL7 MLLP listeners,
// SSH, Telnet and VNC banners, an SNMP agent, printers on 9100. Hostile
// devices (tarpits, garbage, endless data, escape sequences in banners)
// are there for tests. The ward counts every connection per address, so a
// test can prove what a sweep did and did not touch.
//
// Ports below 1024 need root; Config.PortOffset moves every port up for
// unprivileged runs.
//
// Addresses in tests come from a Base, 127.B.0.0/16, picked at random once
// per process (B in 100..250), so that two test processes on one machine
// never collide: StartFree builds the ward's config for the current base
// and, when an address is in use, moves to another base and tries again.
package ward
