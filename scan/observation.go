package scan

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
)

// Source names where an observation came from.
type Source string

// The sources of observations.
const (
	SourceIP  Source = "ip"
	SourceBLE Source = "ble"
)

// MaxRaw bounds the raw bytes an observation keeps of any single response,
// so that a hostile or chatty device cannot bloat the database.
const MaxRaw = 512

// Observation is one thing seen during a sweep: an IP host or a BLE
// advertiser. Sources fill what they know and leave the rest zero. The IP
// sweep emits one observation per host once its probes are done; the BLE
// source emits one per advertiser (or per group of rotating addresses) each
// time its aggregate changes.
type Observation struct {
	// Time is when the thing was last seen.
	Time time.Time `json:"time"`
	// Source is the discovery source.
	Source Source `json:"source"`

	// IP is the host address (IP source).
	IP netip.Addr `json:"ip,omitzero"`
	// MAC is the hardware address, lower case and colon separated
	// ("00:09:fb:12:34:56"), from the neighbour table; empty when the host
	// is not on the scanner's segment.
	MAC string `json:"mac,omitempty"`
	// Vendor is the organisation owning the MAC's OUI (IP) or the company
	// named by the first manufacturer-data entry (BLE).
	Vendor string `json:"vendor,omitempty"`
	// Hostname is a name the host gave for itself (reverse DNS is never
	// queried; this comes from fingerprints such as UPnP or SNMP).
	Hostname string `json:"hostname,omitempty"`
	// Ports lists the open TCP ports, ascending.
	Ports []int `json:"ports,omitempty"`
	// Alive reports that the host answered an ICMP echo or a TCP probe.
	Alive bool `json:"alive,omitempty"`
	// Fingerprints holds what the safe probes learnt.
	Fingerprints []Fingerprint `json:"fingerprints,omitempty"`

	// BLE holds the advertisement facts (BLE source).
	BLE *BLE `json:"ble,omitempty"`

	// Hints are identity facts distilled from fingerprints, DIS reads and
	// advertisements, in the form reconciliation matches on.
	Hints Hints `json:"hints,omitzero"`
}

// Fingerprint is what one safe probe learnt about a host or device.
type Fingerprint struct {
	// Kind names the probe: "http", "upnp", "dicom", "ssh", "telnet",
	// "snmp", "hl7", "ble-dis".
	Kind string `json:"kind"`
	// Port is the TCP port probed, zero for BLE.
	Port int `json:"port,omitempty"`
	// Fields are the parsed values, keyed by the protocol's own names
	// ("server", "title", "friendlyName", "serialNumber",
	// "implementationClassUID", "banner", ...).
	Fields map[string]string `json:"fields,omitempty"`
	// Raw holds at most MaxRaw bytes of the response, as received.
	Raw []byte `json:"raw,omitempty"`
}

// Hints are identity facts about the observed thing. Empty strings mean
// unknown. Values are as the device reported them; reconcile normalises.
type Hints struct {
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Firmware     string `json:"firmware,omitempty"`
	Software     string `json:"software,omitempty"`
	Hardware     string `json:"hardware,omitempty"`
	UDI          string `json:"udi,omitempty"`
	// SerialSource says where Serial came from ("upnp", "ble-dis",
	// "snmp", ...), because reconcile weighs identifiers by strength.
	SerialSource string `json:"serial_source,omitempty"`
}

// AddrType is the kind of a BLE device address.
type AddrType string

// The BLE address types (Bluetooth Core Spec Vol 6 Part B 1.3).
const (
	AddrPublic        AddrType = "public"
	AddrRandomStatic  AddrType = "random-static"
	AddrResolvable    AddrType = "resolvable-private"
	AddrNonResolvable AddrType = "non-resolvable-private"
)

// Rotating reports whether addresses of this type change over time, so
// that an address alone never identifies the device.
func (t AddrType) Rotating() bool {
	return t == AddrResolvable || t == AddrNonResolvable
}

// Placement says where a BLE advertiser is relative to the room, from its
// signal strength and dwell time.
type Placement string

// The placements of a BLE advertiser.
const (
	// InRoom: strong enough for long enough to be in this room.
	InRoom Placement = "in-room"
	// Nearby: heard, but weakly or briefly; likely through a wall.
	Nearby Placement = "nearby"
)

// BLE holds the facts of one BLE advertiser, aggregated over the sweep.
type BLE struct {
	// Address is the most recent device address, upper case
	// ("C4:7C:8D:6A:12:34").
	Address     string   `json:"address"`
	AddressType AddrType `json:"address_type"`
	// Addresses lists every address grouped into this advertiser when it
	// rotates its private address; it includes Address.
	Addresses []string `json:"addresses,omitempty"`
	// GroupKey is the stable payload fingerprint used to group rotating
	// addresses; empty for public and static addresses.
	GroupKey string `json:"group_key,omitempty"`

	Name string `json:"name,omitempty"`
	// CompanyVendor is the company named by the manufacturer data
	// (Bluetooth SIG company identifier), when it names the device's
	// maker: company 0x0000, the test ID 0xFFFF and iBeacon frames (any
	// maker's tag uses Apple's ID for them) do not.
	CompanyVendor string `json:"company_vendor,omitempty"`
	// OUIVendor is the IEEE registrant of a public address's OUI.
	OUIVendor        string             `json:"oui_vendor,omitempty"`
	ManufacturerData []ManufacturerData `json:"manufacturer_data,omitempty"`
	ServiceData      []ServiceData      `json:"service_data,omitempty"`
	// Services are the advertised service UUIDs, in the short form for
	// SIG-assigned 16-bit ones ("1808") and canonical form otherwise.
	Services    []string `json:"services,omitempty"`
	TxPower     *int     `json:"tx_power,omitempty"`
	Connectable bool     `json:"connectable,omitempty"`
	Appearance  uint16   `json:"appearance,omitempty"`

	// RSSI statistics over the sweep, in dBm.
	RSSI       int `json:"rssi"`
	RSSIMax    int `json:"rssi_max"`
	RSSIMedian int `json:"rssi_median"`
	// Count is the number of advertisements heard.
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	Placement Placement `json:"placement,omitempty"`
}

// ManufacturerData is one manufacturer-specific data AD structure.
type ManufacturerData struct {
	CompanyID uint16 `json:"company_id"`
	Company   string `json:"company,omitempty"`
	Data      []byte `json:"data,omitempty"`
}

// ServiceData is one service-data AD structure.
type ServiceData struct {
	UUID string `json:"uuid"`
	Data []byte `json:"data,omitempty"`
}

// Key returns a stable identity for the observation within one sweep: the
// IP for hosts, the group key or address for BLE advertisers. A later
// observation with the same key supersedes an earlier one.
func (o Observation) Key() string {
	if o.Source == SourceBLE && o.BLE != nil {
		if o.BLE.GroupKey != "" {
			return "ble:" + o.BLE.GroupKey
		}
		return "ble:" + o.BLE.Address
	}
	return "ip:" + o.IP.String()
}

// Latest keeps the last observation of each Key, in first-seen order: a
// later observation of the same host or advertiser supersedes an earlier
// one. It is the one de-duplication of a sweep's observations (reconcile
// and round both use it); it computes the keys of Key without building
// their strings.
func Latest(obs []Observation) []Observation {
	byIP := make(map[netip.Addr]int, len(obs))
	byBLE := map[string]int{} // group keys and addresses share Key's "ble:" space
	out := make([]Observation, 0, len(obs))
	for _, o := range obs {
		var i int
		var ok bool
		switch {
		case o.Source == SourceBLE && o.BLE != nil:
			k := o.BLE.Address
			if o.BLE.GroupKey != "" {
				k = o.BLE.GroupKey
			}
			if i, ok = byBLE[k]; !ok {
				byBLE[k] = len(out)
			}
		default:
			if i, ok = byIP[o.IP]; !ok {
				byIP[o.IP] = len(out)
			}
		}
		if ok {
			out[i] = o
			continue
		}
		out = append(out, o)
	}
	return out
}

// Label is a short human description for lists: the best name known.
// It is not sanitised; renderers must make it inert.
func (o Observation) Label() string {
	switch {
	case o.Hints.Model != "" && o.Hints.Manufacturer != "":
		return o.Hints.Manufacturer + " " + o.Hints.Model
	case o.BLE != nil && o.BLE.Name != "":
		return o.BLE.Name
	case o.Hints.Model != "":
		return o.Hints.Model
	case o.Hostname != "":
		return o.Hostname
	case o.Vendor != "":
		return o.Vendor
	case o.BLE != nil:
		return o.BLE.Address
	default:
		return o.IP.String()
	}
}

// NormalizeMAC is inventory.NormalizeMAC, the one MAC normaliser: lower-case
// colon-separated form, accepting
// colons, dashes, dots (Cisco), spaces or no separators. It returns "" when mac is
// not a 48-bit address.
func NormalizeMAC(mac string) string { return inventory.NormalizeMAC(mac) }

// ErrIncomplete reports that a source stopped before it had looked
// everywhere it should have: a damaged or unreadable capture, a capture
// cut short, an adapter that failed, a cap on advertisers reached. What it
// saw was delivered and is true, but what it did not see proves nothing:
// the room's expected devices are unverified, never missing. Sources wrap
// it with the reason.
var ErrIncomplete = errors.New("scan: sweep incomplete")

// Sweeper is a discovery source. Sweep sends observations on out until the
// source is exhausted or ctx is cancelled, then returns; it never closes
// out, and it returns promptly (within 200 ms) once ctx is done, leaving no
// goroutine behind.
type Sweeper interface {
	Sweep(ctx context.Context, out chan<- Observation) error
}
