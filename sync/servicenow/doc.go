// Package servicenow connects rounds to a ServiceNow CMDB. Pull reads a
// configurable CI table (default cmdb_ci_med_device) through the Table API
// incrementally, by a (sys_updated_on, sys_id) watermark with keyset
// paging and an overlap window for late commits. Push writes through the
// Identification and Reconciliation API with sys_object_source_info
// (source_name + source_native_key = the asset tag), so that a create
// retried after a lost answer finds the CI it made instead of making
// another; IRE payloads are grouped into Batch API calls, and per-item
// errors (errorCount inside HTTP 200) and unserviced requests are mapped
// back to each change.
package servicenow
