// Package fault is the fault injection the fake CMDB servers share
// (snfake for ServiceNow, snipefake for Snipe-IT): the faults, the queues
// that pick one per request, and the transport-level ways a request
// fails (throttled, unavailable, slow, connection dropped after the
// commit, a truncated answer). What a fault means to one API (a partial
// batch, an item error, "status":"error" in HTTP 200) stays in its fake.
//
// It is a leaf package: the fakes import it and it imports neither them
// nor rounds.
package fault
