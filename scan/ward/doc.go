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
package ward
