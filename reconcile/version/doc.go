// Package version compares the version strings medical devices and their
// vendors write (firmware "v2.1.0", "02.01.00b", "4.3 SP1", Philips-style
// "B.06.18") and parses the version expressions found in security
// advisories ("2.X", "<= 4.2", "4.X | 5.X", "vers:generic/>=1.0|<2.0",
// "All versions", "versions prior to 3.1", "v3.0 and prior").
//
// It is a package of its own so that both reconcile (firmware baselines)
// and reconcile/advisory (affected ranges) share one ordering.
package version
