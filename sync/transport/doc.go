// Package transport is the HTTP client the CMDB connectors share: TLS
// verification always on with an optional extra CA bundle, basic or bearer
// authentication from secrets, a client-side rate limit, retries of 429
// and 5xx answers that honour Retry-After or back off exponentially with
// jitter, bounded response sizes, and error messages that never carry a
// credential. It counts requests and bytes for benchmarks.
package transport
