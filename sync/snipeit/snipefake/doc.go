// Package snipefake is an in-memory Snipe-IT for tests and benchmarks: the
// /api/v1 hardware endpoints (list with sort, order, limit <= 500 and
// offset; bytag; PATCH; create; audit), locations, models and status
// labels, in the documented shapes, with bearer authentication and
// Snipe-IT's habit of answering errors as HTTP 200 with "status":"error".
// It enforces a per-minute throttle (429 with Retry-After) and can inject
// the same faults as snfake.
package snipefake
