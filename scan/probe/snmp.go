package probe

import (
	"context"
	"encoding/asn1"
	"fmt"
	"net"

	"github.com/biomed-rounds/rounds/scan"
)

// SysDescr is the OID of SNMPv2-MIB::sysDescr.0.
var SysDescr = asn1.ObjectIdentifier{1, 3, 6, 1, 2, 1, 1, 1, 0}

const (
	snmpV2c         = 1
	tagGetRequest   = 0
	tagGetResponse  = 2
	maxSNMPResponse = 1500
)

type snmpMessage struct {
	Version   int
	Community []byte
	PDU       asn1.RawValue
}

type varBind struct {
	OID   asn1.ObjectIdentifier
	Value asn1.RawValue
}

// SNMPGet returns an SNMPv2c GetRequest for sysDescr.0.
func SNMPGet(community string, requestID int32) ([]byte, error) {
	vb, err := asn1.Marshal([]varBind{{OID: SysDescr, Value: asn1.NullRawValue}})
	if err != nil {
		return nil, err
	}
	var inner []byte
	for _, v := range []int{int(requestID), 0, 0} {
		b, err := asn1.Marshal(v)
		if err != nil {
			return nil, err
		}
		inner = append(inner, b...)
	}
	inner = append(inner, vb...)
	return asn1.Marshal(snmpMessage{
		Version:   snmpV2c,
		Community: []byte(community),
		PDU:       asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagGetRequest, IsCompound: true, Bytes: inner},
	})
}

// ParseSNMP parses a GetResponse to SNMPGet and returns sysDescr, cleaned
// by Field.
func ParseSNMP(b []byte, requestID int32) (string, error) {
	v, err := sysDescr(b, requestID)
	return Field(string(v)), err
}

// sysDescr returns the raw sysDescr value of a GetResponse.
func sysDescr(b []byte, requestID int32) ([]byte, error) {
	var m snmpMessage
	if _, err := asn1.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: snmp: %v", ErrNotProtocol, err)
	}
	if m.PDU.Class != asn1.ClassContextSpecific || m.PDU.Tag != tagGetResponse {
		return nil, fmt.Errorf("%w: snmp: PDU tag %d is not a response", ErrNotProtocol, m.PDU.Tag)
	}
	rest := m.PDU.Bytes
	var nums [3]int
	for i := range nums {
		var err error
		if rest, err = asn1.Unmarshal(rest, &nums[i]); err != nil {
			return nil, fmt.Errorf("%w: snmp: %v", ErrNotProtocol, err)
		}
	}
	if int32(nums[0]) != requestID {
		return nil, fmt.Errorf("%w: snmp: request id %d, want %d", ErrNotProtocol, nums[0], requestID)
	}
	if nums[1] != 0 {
		return nil, fmt.Errorf("probe: snmp: agent returned error-status %d", nums[1])
	}
	var vbs []varBind
	if _, err := asn1.Unmarshal(rest, &vbs); err != nil {
		return nil, fmt.Errorf("%w: snmp: %v", ErrNotProtocol, err)
	}
	for _, vb := range vbs {
		if vb.OID.Equal(SysDescr) && vb.Value.Class == asn1.ClassUniversal && vb.Value.Tag == asn1.TagOctetString {
			return vb.Value.Bytes, nil
		}
	}
	return nil, fmt.Errorf("%w: snmp: no sysDescr in the response", ErrNotProtocol)
}

// SNMP sends one SNMPv2c GET for sysDescr.0 on conn (a UDP socket
// connected to port 161) and reads one answer. It never retries, walks or
// sets anything.
func SNMP(ctx context.Context, conn net.Conn, community string, requestID int32, sent Sent) (scan.Fingerprint, error) {
	defer bind(ctx, conn)()
	fp := scan.Fingerprint{Kind: "snmp"}
	req, err := SNMPGet(community, requestID)
	if err != nil {
		return fp, fmt.Errorf("probe: snmp: %w", err)
	}
	if err := writeAll(conn, req, sent, "snmp-get sysDescr.0"); err != nil {
		return fp, fmt.Errorf("probe: snmp: %w", err)
	}
	buf := make([]byte, maxSNMPResponse)
	n, err := conn.Read(buf)
	if err != nil {
		return fp, fmt.Errorf("probe: snmp: %w", err)
	}
	// Raw keeps only the value: the message itself echoes the community
	// string, a credential that must not reach the database.
	v, err := sysDescr(buf[:n], requestID)
	if err != nil {
		return fp, err
	}
	fp.Raw = raw(v)
	fp.Fields = map[string]string{}
	set(fp.Fields, "sysDescr", string(v))
	return fp, nil
}
