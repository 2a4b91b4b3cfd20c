package servicenow

import (
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// Sentinel errors.
var (
	// ErrResponse reports an answer that does not have the documented
	// shape.
	ErrResponse = errors.New("servicenow: malformed response")
)

// DefaultFields maps canonical fields to columns of cmdb_ci_med_device;
// "" leaves a field unsynced. last_seen is unsynced by default: the
// column that looks like it, last_discovered, is stamped by the IRE on
// every item a data source reports, so it would read back as the push
// time for devices nobody saw (map it to a custom column such as
// u_rounds_last_seen). Sites override entries with the target
// options field.NAME = "column" (or "-").
var DefaultFields = map[string]string{
	sync.FieldSerial: "serial_number", sync.FieldManufacturer: "manufacturer", sync.FieldModel: "model_id",
	sync.FieldLocation: "location", sync.FieldStatus: "install_status", sync.FieldFirmware: "firmware_version",
	sync.FieldOS: "os", sync.FieldOSVersion: "os_version", sync.FieldHostname: "host_name",
	sync.FieldIP: "ip_address", sync.FieldMAC: "mac_address", sync.FieldBLEAddress: "u_ble_address",
	sync.FieldLastSeen: "-", sync.FieldLastAudited: "u_last_audited",
	sync.FieldNextAuditDue: "u_next_audit_due", sync.FieldLastPM: "u_last_pm", sync.FieldNextPMDue: "u_next_pm_due",
	sync.FieldNotes: "comments",
}

// DefaultRefs names the tables reference columns point at; their "name"
// is the display value rounds stores.
var DefaultRefs = map[string]string{"location": "cmn_location", "model_id": "cmdb_model", "manufacturer": "core_company"}

// DefaultStatus maps rounds statuses to install_status codes. Statuses
// without a code (loaned, disposed) are refused on push rather than
// mapped lossily, which would silently change them on the next pull.
var DefaultStatus = map[string]string{"in_service": "1", "in_repair": "3", "retired": "7", "missing": "100"}

// pullStatus maps install_status codes to rounds statuses.
var pullStatus = map[string]string{"1": "in_service", "2": "in_service", "3": "in_repair", "4": "in_service",
	"5": "in_repair", "6": "in_service", "7": "retired", "8": "missing", "100": "missing"}

// Config configures a Connector.
type Config struct {
	Client *transport.Client
	// Table is the CI table (default cmdb_ci_med_device); Class the IRE
	// className (default Table).
	Table, Class string
	// SourceName is the IRE source_name and sysparm_data_source (default
	// "rounds"; it must be a discovery_source choice on the instance).
	SourceName string
	// Query is an extra encoded query that scopes the pull, for example
	// "location.nameSTARTSWITHMAIN/".
	Query string
	// PageSize is the pull's sysparm_limit (default 1000).
	PageSize int
	// Overlap is how far before the watermark a pull starts again, to
	// catch records committed late with an older sys_updated_on (default
	// 60 s).
	Overlap time.Duration
	// ItemsPerPayload and PayloadsPerBatch shape a push: IRE items per
	// payload, payloads per Batch API call (defaults 50 and 10).
	ItemsPerPayload, PayloadsPerBatch int
	// Fields maps canonical fields to columns (default DefaultFields);
	// Refs reference columns to tables (default DefaultRefs); Status
	// rounds statuses to install_status codes (default DefaultStatus).
	Fields, Refs, Status map[string]string
}

// Connector is a ServiceNow target. It is safe for concurrent use.
type Connector struct {
	cfg      Config
	pullStat map[string]string
	mu       gosync.Mutex
	// refs caches name -> sys_id per referenced table, learnt from pulls
	// and lookups.
	refs map[string]map[string]string
}

var _ sync.Connector = (*Connector)(nil)
var _ sync.Fetcher = (*Connector)(nil)
var _ sync.Describer = (*Connector)(nil)

// New returns a connector.
func New(cfg Config) (*Connector, error) {
	if cfg.Client == nil {
		return nil, errors.New("servicenow: no HTTP client")
	}
	if cfg.Table == "" {
		cfg.Table = "cmdb_ci_med_device"
	}
	if cfg.Class == "" {
		cfg.Class = cfg.Table
	}
	if cfg.SourceName == "" {
		cfg.SourceName = "rounds"
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = time.Minute
	}
	if cfg.ItemsPerPayload <= 0 {
		cfg.ItemsPerPayload = 50
	}
	if cfg.PayloadsPerBatch <= 0 {
		cfg.PayloadsPerBatch = 10
	}
	if cfg.Fields == nil {
		cfg.Fields = DefaultFields
	}
	if cfg.Refs == nil {
		cfg.Refs = DefaultRefs
	}
	if cfg.Status == nil {
		cfg.Status = DefaultStatus
	}
	if cfg.Fields[sync.FieldLastSeen] == "last_discovered" {
		return nil, errors.New("servicenow: field.last_seen = \"last_discovered\": the IRE stamps last_discovered on every item it processes, so it cannot carry when a device was seen; map last_seen to a custom column (e.g. u_rounds_last_seen) or \"-\"")
	}
	for _, s := range []string{cfg.Table, cfg.Class} {
		if !safeName(s) {
			return nil, fmt.Errorf("servicenow: table name %q: only letters, digits and _", s)
		}
	}
	ps := map[string]string{}
	for k, v := range pullStatus {
		ps[k] = v
	}
	for st, code := range cfg.Status {
		ps[code] = st
	}
	// An explicit mapping wins over the defaults for the code it names.
	for st, code := range cfg.Status {
		if DefaultStatus[st] != code {
			ps[code] = st
		}
	}
	return &Connector{cfg: cfg, pullStat: ps, refs: map[string]map[string]string{}}, nil
}

func safeName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// MaxBatch is the number of ops one Batch API call carries.
func (c *Connector) MaxBatch() int { return c.cfg.ItemsPerPayload * c.cfg.PayloadsPerBatch }

const stamp = "2006-01-02 15:04:05"
