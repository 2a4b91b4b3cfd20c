package probe

import (
	"encoding/asn1"
	"testing"
)

// snmpResponse answers req (a GetRequest from SNMPGet) with descr.
func snmpResponse(t testing.TB, req []byte, descr string) []byte {
	t.Helper()
	var m snmpMessage
	if _, err := asn1.Unmarshal(req, &m); err != nil {
		t.Fatal(err)
	}
	var id int
	if _, err := asn1.Unmarshal(m.PDU.Bytes, &id); err != nil {
		t.Fatal(err)
	}
	var inner []byte
	for _, v := range []int{id, 0, 0} {
		b, _ := asn1.Marshal(v)
		inner = append(inner, b...)
	}
	vb, err := asn1.Marshal([]struct {
		OID   asn1.ObjectIdentifier
		Value []byte
	}{{SysDescr, []byte(descr)}})
	if err != nil {
		t.Fatal(err)
	}
	m.PDU = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagGetResponse, IsCompound: true, Bytes: append(inner, vb...)}
	b, err := asn1.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
