package exchange

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/store"
)

// record is one row of a file: the value of each field and whether the
// row carries it.
type record struct {
	v   [numFields]string
	has [numFields]bool
}

// fieldError is a problem with one field of a row; the reader adds the
// file and line.
type fieldError struct {
	field  string
	reason string
}

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

func bad(f field, format string, args ...any) *fieldError {
	return &fieldError{field: f.String(), reason: fmt.Sprintf(format, args...)}
}

// limit returns the length limit of a field, from the inventory's field
// table (the limits sync pull and the TUI apply too), or 0 for none.
func limit(f field) int {
	name := f.String()
	switch f {
	case fBuilding, fFloor, fRoom:
		return inventory.MaxShort
	case fLocation:
		return inventory.MaxLocationKey
	case fName, fKey, fSite, fBarcode, fSegments:
		return inventory.LocationLimits[name]
	case fFDAClass, fMinFirmware, fLatestFirmware, fOSEOL, fSupportEnd, fAllowedTags, fAdvisoryAliases:
		return inventory.ModelLimits[name]
	}
	if fd, ok := inventory.FieldByName(name); ok {
		return fd.MaxLen
	}
	return 0
}

// clean checks a value: valid UTF-8, no control characters (a CMDB or a
// spreadsheet can hold anything, and these values reach the terminal),
// and trims surrounding space.
func clean(f field, s string) (string, *fieldError) {
	if !utf8.ValidString(s) {
		return "", bad(f, "invalid UTF-8 (save the file as UTF-8)")
	}
	if max := limit(f); max > 0 && inventory.CheckLen(f.String(), s, max) != nil {
		return "", bad(f, "longer than %d characters (%s); the limit of %s is %d", max, inventory.FormatSize(int64(len(s))), f, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", bad(f, "control character %U in %q", r, s)
		}
		if inert.Unsafe(r) {
			// Bidirectional and invisible characters make two tags look
			// alike and reorder what is shown; stored values hold none, so
			// that every stored value exports and imports back intact.
			return "", bad(f, "invisible or bidirectional control character %U in %q", r, s)
		}
	}
	return strings.TrimSpace(s), nil
}

// dateLayouts are the date forms accepted: ISO dates, ISO timestamps
// (ServiceNow, Snipe-IT) whose date part is kept. Day-first and
// month-first forms are refused: 03/04/2025 is ambiguous.
var dateLayouts = []string{store.DateLayout, "2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04"}

func parseDate(f field, s string) (time.Time, *fieldError) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, bad(f, "bad date %q (want YYYY-MM-DD)", s)
}

func parseInstant(f field, s string) (time.Time, *fieldError) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", store.DateLayout} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Second), nil
		}
	}
	return time.Time{}, bad(f, "bad time %q (want RFC 3339, e.g. 2025-03-01T14:05:00Z)", s)
}

func parseBool(f field, s string) (bool, *fieldError) {
	switch strings.ToLower(s) {
	case "", "0", "false", "no", "n", "f":
		return false, nil
	case "1", "true", "yes", "y", "t", "x":
		return true, nil
	}
	return false, bad(f, "%q is not yes or no", s)
}

// parseTags reads a tag list: "clinical|imaging" (or commas, semicolons,
// spaces), sorted and without duplicates.
func parseTags(s string) []string {
	fs := strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' || r == ';' || r == ' ' || r == '+' })
	sort.Strings(fs)
	out := fs[:0]
	for i, t := range fs {
		if i == 0 || t != fs[i-1] {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// formatTags is parseTags' inverse.
func formatTags(tags []string) string { return strings.Join(tags, "|") }

// parseAliases reads a model's advisory aliases: "MyCareLink Monitor|24950"
// (or ";"-separated; names keep their spaces and commas), trimmed, blanks
// and case duplicates dropped, in the order given.
func parseAliases(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ';' }) {
		a = strings.TrimSpace(a)
		if a == "" || slices.ContainsFunc(out, func(b string) bool { return strings.EqualFold(a, b) }) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// parseSegments reads "10.3.12.0/24=clinical|imaging;10.3.99.0/24=guest".
func parseSegments(s string) ([]store.Segment, *fieldError) {
	var out []store.Segment
	seen := map[netip.Prefix]bool{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' }) {
		cidr, tags, _ := strings.Cut(part, "=")
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, bad(fSegments, "%q is not a CIDR (want CIDR=tag|tag;CIDR=tag)", cidr)
		}
		p = p.Masked()
		if seen[p] {
			return nil, bad(fSegments, "%s listed twice", p)
		}
		seen[p] = true
		out = append(out, store.Segment{CIDR: p, Tags: parseTags(tags)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CIDR.String() < out[j].CIDR.String() })
	return out, nil
}

func formatSegments(ss []store.Segment) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.CIDR.String()
		if len(s.Tags) > 0 {
			parts[i] += "=" + formatTags(s.Tags)
		}
	}
	return strings.Join(parts, ";")
}

// checkMAC validates a MAC-shaped value (MAC or BLE address).
func checkMAC(f field, s string) *fieldError {
	if s != "" && !macLike(s) {
		return bad(f, "%q is not a MAC address (want 00:09:fb:12:34:56)", s)
	}
	return nil
}

// macLike reports whether s is twelve hex digits with optional
// separators, the only shape NormalizeIdent rewrites.
func macLike(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			n++
		case c == ':' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return n == 12
}

// cleanAll checks every field the record carries.
func (r *record) cleanAll() *fieldError {
	for f := range numFields {
		if !r.has[f] {
			continue
		}
		v, err := clean(f, r.v[f])
		if err != nil {
			return err
		}
		r.v[f] = v
	}
	return nil
}

// deviceFields maps record fields to the store's field set.
var deviceFields = [...]struct {
	f   field
	set store.Fields
}{
	{fSerial, store.FieldSerial}, {fManufacturer, store.FieldModel}, {fModel, store.FieldModel},
	{fDeviceClass, store.FieldModel}, {fBuilding, store.FieldLocation}, {fLocation, store.FieldLocation},
	{fMAC, store.FieldMAC}, {fBLEAddress, store.FieldBLEAddress}, {fIP, store.FieldIP},
	{fHostname, store.FieldHostname}, {fFirmware, store.FieldFirmware}, {fOS, store.FieldOS},
	{fOSVersion, store.FieldOSVersion}, {fLastPM, store.FieldLastPM}, {fNextPMDue, store.FieldNextPMDue},
	{fNextAuditDue, store.FieldNextAuditDue}, {fStatus, store.FieldStatus}, {fCMDBID, store.FieldCMDBID},
	{fLastAudited, store.FieldLastAudited}, {fLastSeen, store.FieldLastSeen}, {fOwner, store.FieldOwner},
	{fCMDBVersion, store.FieldCMDBVersion},
}

// device turns a record into a device and the set of fields it carries.
// A location given by name is left in LocationKey for the caller to
// resolve (resolve is true).
func (r *record) device() (d store.Device, set store.Fields, resolve bool, ferr *fieldError) {
	if ferr = r.cleanAll(); ferr != nil {
		return
	}
	for _, df := range deviceFields {
		if r.has[df.f] {
			set |= df.set
		}
	}
	v := &r.v
	d.AssetTag = v[fAssetTag]
	if d.AssetTag == "" {
		return d, 0, false, bad(fAssetTag, "empty")
	}
	d.Serial = v[fSerial]
	d.Manufacturer, d.Model, d.DeviceClass = v[fManufacturer], v[fModel], v[fDeviceClass]
	if (d.Manufacturer == "") != (d.Model == "") {
		if d.Model == "" {
			return d, 0, false, bad(fModel, "empty while manufacturer is %q", d.Manufacturer)
		}
		return d, 0, false, bad(fManufacturer, "empty while model is %q", d.Model)
	}
	if r.has[fBuilding] {
		b, f, rm := v[fBuilding], v[fFloor], v[fRoom]
		switch {
		case b == "" && f == "" && rm == "":
		case b == "" || f == "" || rm == "":
			return d, 0, false, bad(fRoom, "building, floor and room must all be given or all be empty (got %q, %q, %q)", b, f, rm)
		case strings.Contains(b, "/"):
			return d, 0, false, bad(fBuilding, "%q contains '/'", b)
		case strings.Contains(f, "/"):
			return d, 0, false, bad(fFloor, "%q contains '/'", f)
		default:
			d.LocationKey = store.LocationKey(b, f, rm)
		}
	} else if r.has[fLocation] && v[fLocation] != "" {
		d.LocationKey, resolve = v[fLocation], true
	}
	if ferr = checkMAC(fMAC, v[fMAC]); ferr != nil {
		return
	}
	if ferr = checkMAC(fBLEAddress, v[fBLEAddress]); ferr != nil {
		return
	}
	d.MAC, d.BLEAddress = v[fMAC], v[fBLEAddress]
	if ip := v[fIP]; ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return d, 0, false, bad(fIP, "%q is not an IP address", ip)
		}
		d.IP = a.String()
	}
	d.Hostname, d.FirmwareVersion, d.OS, d.OSVersion = v[fHostname], v[fFirmware], v[fOS], v[fOSVersion]
	for _, dt := range []struct {
		f   field
		dst *time.Time
	}{{fLastPM, &d.LastPM}, {fNextPMDue, &d.NextPMDue}, {fNextAuditDue, &d.NextAuditDue}, {fLastAudited, &d.LastAudited}} {
		if *dt.dst, ferr = parseDate(dt.f, v[dt.f]); ferr != nil {
			return
		}
	}
	if d.LastSeen, ferr = parseInstant(fLastSeen, v[fLastSeen]); ferr != nil {
		return
	}
	if r.has[fStatus] {
		st, ok := store.ParseStatus(v[fStatus])
		if !ok {
			return d, 0, false, bad(fStatus, "unknown status %q (want one of %s)", v[fStatus], statusList())
		}
		d.Status = st
	}
	d.CMDBID, d.Owner, d.CMDBVersion = v[fCMDBID], v[fOwner], v[fCMDBVersion]
	return d, set, resolve, nil
}

func statusList() string {
	s := make([]string, len(store.Statuses))
	for i, st := range store.Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// model turns a record into a catalog entry, keeping from old the fields
// the record does not carry.
func (r *record) model(old store.Model) (store.Model, *fieldError) {
	if ferr := r.cleanAll(); ferr != nil {
		return store.Model{}, ferr
	}
	m := old
	v := &r.v
	m.Manufacturer, m.Model = v[fManufacturer], v[fModel]
	if m.Manufacturer == "" {
		return m, bad(fManufacturer, "empty")
	}
	if m.Model == "" {
		return m, bad(fModel, "empty")
	}
	set := func(f field, dst *string) {
		if r.has[f] {
			*dst = v[f]
		}
	}
	set(fDeviceClass, &m.DeviceClass)
	set(fFDAClass, &m.FDAClass)
	set(fMinFirmware, &m.MinFirmware)
	set(fLatestFirmware, &m.LatestFirmware)
	set(fOS, &m.OS)
	var ferr *fieldError
	if r.has[fOSEOL] {
		if m.OSEOL, ferr = parseDate(fOSEOL, v[fOSEOL]); ferr != nil {
			return m, ferr
		}
	}
	if r.has[fSupportEnd] {
		if m.SupportEnd, ferr = parseDate(fSupportEnd, v[fSupportEnd]); ferr != nil {
			return m, ferr
		}
	}
	if r.has[fAllowedTags] {
		m.AllowedTags = parseTags(v[fAllowedTags])
	}
	if r.has[fAdvisoryAliases] {
		m.AdvisoryAliases = parseAliases(v[fAdvisoryAliases])
	}
	return m, nil
}

// splitKey splits a room key into its trimmed building, floor and room,
// and rebuilds it, so that "MAIN /3/ 3W-12" and "MAIN/3/3W-12" are the
// same room and a key always matches its own columns.
func splitKey(k string) (key string, parts []string, ok bool) {
	parts = strings.SplitN(k, "/", 3)
	if len(parts) != 3 {
		return k, nil, false
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			return k, nil, false
		}
	}
	return store.LocationKey(parts[0], parts[1], parts[2]), parts, true
}

// locationKey returns the key a location record names.
func (r *record) locationKey() (string, *fieldError) {
	if ferr := r.cleanAll(); ferr != nil {
		return "", ferr
	}
	v := &r.v
	if r.has[fKey] && v[fKey] != "" {
		k, _, ok := splitKey(v[fKey])
		if !ok {
			return "", bad(fKey, "%q is not BUILDING/FLOOR/ROOM", v[fKey])
		}
		return k, nil
	}
	if v[fBuilding] == "" || v[fFloor] == "" || v[fRoom] == "" {
		return "", bad(fKey, "empty, and building, floor and room are not all given")
	}
	return store.LocationKey(v[fBuilding], v[fFloor], v[fRoom]), nil
}

// location turns a record into a room, keeping from old the fields the
// record does not carry. key comes from locationKey.
func (r *record) location(key string, old store.Location) (store.Location, *fieldError) {
	l := old
	v := &r.v
	key, parts, ok := splitKey(key)
	if !ok {
		return l, bad(fKey, "%q is not BUILDING/FLOOR/ROOM", key)
	}
	l.Key = key
	for _, p := range []struct {
		f    field
		want string
	}{{fBuilding, parts[0]}, {fFloor, parts[1]}, {fRoom, parts[2]}} {
		if r.has[p.f] && v[p.f] != "" && v[p.f] != p.want {
			return l, bad(p.f, "%q does not match key %q", v[p.f], key)
		}
	}
	l.Building, l.Floor, l.Room = parts[0], parts[1], parts[2]
	set := func(f field, dst *string) {
		if r.has[f] {
			*dst = v[f]
		}
	}
	set(fSite, &l.Site)
	set(fName, &l.Name)
	set(fBarcode, &l.Barcode)
	var ferr *fieldError
	if r.has[fRFShielded] {
		if l.RFShielded, ferr = parseBool(fRFShielded, v[fRFShielded]); ferr != nil {
			return l, ferr
		}
	}
	if r.has[fSegments] {
		if l.Segments, ferr = parseSegments(v[fSegments]); ferr != nil {
			return l, ferr
		}
	}
	return l, nil
}
