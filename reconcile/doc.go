// Package reconcile is pure logic: from a room's expected devices, the
// inventory's identifier index, the observations of a sweep, the model
// catalog, advisories, recalls, policy and the current time, it derives
// findings (verified, missing, unverified, moved here, unknown, heard
// nearby) and the flags on each matched device, each with its evidence.
//
// It does no I/O: callers load what it needs from store and pass it in.
package reconcile
