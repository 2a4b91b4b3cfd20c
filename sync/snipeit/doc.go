// Package snipeit connects rounds to Snipe-IT (/api/v1, bearer token).
// Snipe-IT has no "updated since" filter, so a pull lists hardware sorted
// by updated_at, newest first, and stops at the watermark (less an overlap
// window); the watermark moves only once the whole pull is stored. Push
// updates assets with PATCH, creates them with POST after looking the tag
// up, and records round audits through POST /hardware/{id}/audit. Audits
// are not idempotent, so a retried audit first reads the asset's last
// audit date. HTTP 200 with "status":"error" is an error. The client-side
// rate limit follows Snipe-IT's default throttle (120 requests a minute).
package snipeit
