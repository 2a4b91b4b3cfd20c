package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/biomed-rounds/rounds/scan"
)

// The OIDs the SNMP identity probe reads.
const (
	oidSysDescr    = ".1.3.6.1.2.1.1.1.0"
	oidSysObjectID = ".1.3.6.1.2.1.1.2.0"
	oidSysName     = ".1.3.6.1.2.1.1.5.0"
	// ENTITY-MIB entPhysicalEntry columns (RFC 6933).
	oidEntPhysical = ".1.3.6.1.2.1.47.1.1.1.1"
	oidEntClass    = oidEntPhysical + ".5"
	// enterprises: sysObjectID names the vendor's private enterprise
	// number right below it.
	oidEnterprises = ".1.3.6.1.4.1."
)

// entColumns are the chassis columns read, by field name.
var entColumns = []struct {
	col   int
	field string
}{
	{11, "entPhysicalSerialNum"}, {13, "entPhysicalModelName"}, {9, "entPhysicalFirmwareRev"},
	{10, "entPhysicalSoftwareRev"}, {8, "entPhysicalHardwareRev"}, {12, "entPhysicalMfgName"},
}

// entChassis is entPhysicalClass chassis(3).
const entChassis = 3

// MaxEntities bounds the entPhysicalTable rows looked at to find the
// chassis: one GetBulk of this many repetitions.
const MaxEntities = 16

// SNMPAuth is how the identity probe talks to an agent: SNMPv2c with
// Community, or SNMPv3 (USM) when User is set.
type SNMPAuth struct {
	Community string
	// User, AuthProto ("MD5", "SHA", "SHA224", "SHA256", "SHA384",
	// "SHA512" or ""), AuthPass, PrivProto ("DES", "AES", "AES192",
	// "AES256" or "") and PrivPass are the SNMPv3 USM credentials.
	User      string
	AuthProto string
	AuthPass  string
	PrivProto string
	PrivPass  string
}

// ErrSNMPAuth reports SNMPv3 settings that cannot be used.
var ErrSNMPAuth = errors.New("probe: snmp: unusable SNMPv3 settings")

// client returns the gosnmp client for auth, without retries.
func (a SNMPAuth) client(target netip.Addr, port int, timeout time.Duration) (*gosnmp.GoSNMP, error) {
	g := &gosnmp.GoSNMP{Target: target.String(), Port: uint16(port), Transport: "udp",
		Timeout: timeout, Retries: 0, MaxOids: 8, MaxRepetitions: MaxEntities}
	if a.User == "" {
		g.Version, g.Community = gosnmp.Version2c, a.Community
		if g.Community == "" {
			g.Community = "public"
		}
		return g, nil
	}
	auth := map[string]gosnmp.SnmpV3AuthProtocol{"": gosnmp.NoAuth, "MD5": gosnmp.MD5, "SHA": gosnmp.SHA,
		"SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512}
	priv := map[string]gosnmp.SnmpV3PrivProtocol{"": gosnmp.NoPriv, "DES": gosnmp.DES, "AES": gosnmp.AES,
		"AES192": gosnmp.AES192, "AES256": gosnmp.AES256}
	ap, ok := auth[strings.ToUpper(a.AuthProto)]
	if !ok {
		return nil, fmt.Errorf("%w: auth protocol %q", ErrSNMPAuth, a.AuthProto)
	}
	pp, ok := priv[strings.ToUpper(a.PrivProto)]
	if !ok {
		return nil, fmt.Errorf("%w: privacy protocol %q", ErrSNMPAuth, a.PrivProto)
	}
	flags := gosnmp.NoAuthNoPriv
	switch {
	case ap != gosnmp.NoAuth && pp != gosnmp.NoPriv:
		flags = gosnmp.AuthPriv
	case ap != gosnmp.NoAuth:
		flags = gosnmp.AuthNoPriv
	case pp != gosnmp.NoPriv:
		return nil, fmt.Errorf("%w: privacy needs authentication", ErrSNMPAuth)
	}
	g.Version, g.SecurityModel, g.MsgFlags = gosnmp.Version3, gosnmp.UserSecurityModel, flags
	g.SecurityParameters = &gosnmp.UsmSecurityParameters{UserName: a.User,
		AuthenticationProtocol: ap, AuthenticationPassphrase: a.AuthPass,
		PrivacyProtocol: pp, PrivacyPassphrase: a.PrivPass}
	return g, nil
}

// SNMPIdentity asks the agent at target:port who it is, in at most three
// requests, each one datagram with no retry: the system group (sysDescr,
// sysObjectID, sysName); one GetBulk of at most MaxEntities rows of
// ENTITY-MIB entPhysicalClass to find the chassis; and that chassis's
// serial, model, firmware, software and hardware revisions and maker.
// It never walks further and never sets anything. Every datagram is
// reported to sent first. Fields hold what was answered; the community
// (a credential) is never kept.
func SNMPIdentity(ctx context.Context, target netip.Addr, port int, auth SNMPAuth, timeout time.Duration, sent Sent) (fp scan.Fingerprint, err error) {
	fp = scan.Fingerprint{Kind: "snmp", Fields: map[string]string{}}
	// gosnmp decodes the agent's bytes; whatever it does with hostile
	// ones must not take the sweep down (FuzzSNMPDecode found no panic).
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: snmp: decoder panic: %v", ErrNotProtocol, r)
		}
	}()
	g, err := auth.client(target, port, timeout)
	if err != nil {
		return fp, err
	}
	g.Context = ctx
	what := ""
	g.PreSend = func(*gosnmp.GoSNMP) {
		if sent != nil {
			sent(what)
		}
	}
	if err = g.Connect(); err != nil {
		return fp, fmt.Errorf("probe: snmp: %w", err)
	}
	defer g.Conn.Close()

	what = "snmp-get sysDescr.0 sysObjectID.0 sysName.0"
	res, err := g.Get([]string{oidSysDescr, oidSysObjectID, oidSysName})
	if err != nil {
		return fp, fmt.Errorf("probe: snmp: %w", err)
	}
	if res.Error != gosnmp.NoError {
		return fp, fmt.Errorf("probe: snmp: agent returned error-status %v", res.Error)
	}
	for _, v := range res.Variables {
		switch v.Name {
		case oidSysDescr:
			if b, ok := v.Value.([]byte); ok {
				fp.Raw = raw(b)
				set(fp.Fields, "sysDescr", string(b))
			}
		case oidSysName:
			if b, ok := v.Value.([]byte); ok {
				set(fp.Fields, "sysName", string(b))
			}
		case oidSysObjectID:
			if s, ok := v.Value.(string); ok && v.Type == gosnmp.ObjectIdentifier {
				set(fp.Fields, "sysObjectID", strings.TrimPrefix(s, "."))
				if e := Enterprise(s); e > 0 {
					fp.Fields["enterprise"] = strconv.Itoa(e)
				}
			}
		}
	}
	if len(fp.Fields) == 0 {
		return fp, fmt.Errorf("%w: snmp: no system group in the answer", ErrNotProtocol)
	}

	// The chassis row of entPhysicalTable. An agent without ENTITY-MIB
	// answers with whatever follows; those rows are ignored.
	what = "snmp-getbulk entPhysicalClass"
	var rows *gosnmp.SnmpPacket
	if g.Version == gosnmp.Version1 {
		rows, err = g.GetNext([]string{oidEntClass})
	} else {
		rows, err = g.GetBulk([]string{oidEntClass}, 0, MaxEntities)
	}
	if err != nil || rows.Error != gosnmp.NoError {
		return fp, nil // the system group is what this agent offers
	}
	idx := -1
	first := -1
	for _, v := range rows.Variables {
		rest, ok := strings.CutPrefix(v.Name, oidEntClass+".")
		if !ok {
			break
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		if first < 0 {
			first = n
		}
		if c, ok := v.Value.(int); ok && c == entChassis {
			idx = n
			break
		}
	}
	if idx < 0 {
		idx = first
	}
	if idx < 0 {
		return fp, nil
	}
	fp.Fields["entPhysicalIndex"] = strconv.Itoa(idx)
	oids := make([]string, len(entColumns))
	for i, c := range entColumns {
		oids[i] = fmt.Sprintf("%s.%d.%d", oidEntPhysical, c.col, idx)
	}
	what = "snmp-get entPhysical{SerialNum,ModelName,FirmwareRev,SoftwareRev,HardwareRev,MfgName}." + strconv.Itoa(idx)
	res, err = g.Get(oids)
	if err != nil || res.Error != gosnmp.NoError {
		return fp, nil
	}
	for _, v := range res.Variables {
		i := slices.Index(oids, v.Name)
		if b, ok := v.Value.([]byte); ok && i >= 0 {
			set(fp.Fields, entColumns[i].field, string(b))
		}
	}
	return fp, nil
}

// Enterprise returns the private enterprise number a sysObjectID lies
// under (1.3.6.1.4.1.N...), or 0.
func Enterprise(oid string) int {
	rest, ok := strings.CutPrefix("."+strings.TrimPrefix(oid, "."), oidEnterprises)
	if !ok {
		return 0
	}
	n, _, _ := strings.Cut(rest, ".")
	e, err := strconv.Atoi(n)
	if err != nil || e < 1 {
		return 0
	}
	return e
}
