// Package scan turns the world into a stream of observations: BLE
// advertisements (live through go-ble, or replayed from btsnoop captures) and
// IP hosts found by the safe sweep with its fingerprint probes.
//
// scan knows nothing of the inventory. Its only product is the Observation,
// a value that both sources share and that reconcile matches on. The sources
// live in subpackages (scan/ip, scan/ble); this package holds the shared
// types and the rules every source obeys.
package scan
