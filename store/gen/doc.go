// Package gen generates realistic hospital inventories of any size: a
// model catalog of real manufacturers and models with firmware baselines
// and operating-system end-of-life dates, buildings laid out floor by floor
// (wards, ICU, operating rooms, imaging with RF-shielded MRI suites, labs,
// the emergency department) with network segments tagged clinical, imaging
// and guest, and devices placed room by room with identifiers that are
// unique at any size.
//
// Output is a pure function of the options: the same seed, size and date
// give the same inventory, so tests, benchmarks and the demo can rely on
// it. Devices are produced as a stream, so a million of them never sit in
// memory at once.
package gen
