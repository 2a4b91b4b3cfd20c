// Package snfake is an in-memory ServiceNow instance for tests and
// benchmarks: the Table API (sysparm_query with ORDERBY, sysparm_limit,
// sysparm_offset, sysparm_fields with dot-walking, Link and X-Total-Count
// headers), the Identification and Reconciliation API (per-item
// errorCount inside HTTP 200, identification by source native key, sys_id,
// serial number or name) and the Batch API (base64 bodies,
// serviced_requests and unserviced_requests), in the documented shapes,
// with basic and bearer authentication.
//
// Faults can be injected per request: 429 with Retry-After, 500 and 503,
// the connection dropped after the server committed, slow answers,
// malformed JSON, partial batches and per-item IRE errors. Central edits
// made through Edit are recorded with their author, so that tests can
// prove no value was overwritten silently.
package snfake
