// Package ip is the safe IP sweep of a room's network segment.
//
// A Sweeper probes the hosts of the segments it is given, and only those:
// it refuses public ranges and segments larger than a /20 unless forced,
// always skips excluded addresses, MACs and OUIs, never touches the
// printer ports 9100-9107, and resolves no names. Discovery is an ICMP
// echo where the OS allows unprivileged ping sockets, then TCP connects to
// a short list of ports that medical and clinical-IT devices use; the MAC
// comes from the kernel's neighbour table and the vendor from the embedded
// IEEE registry. Open ports get the safe fingerprint probes of package
// probe on the same connection. The safety Profile bounds connections per
// host, spaces them, and caps the global probe rate; a packet log can
// record every probe sent. See docs/ip-sweep.md.
package ip
