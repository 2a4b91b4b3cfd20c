package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// DICOM upper-layer constants (DICOM PS3.8 section 9.3).
const (
	pduAssociateRQ = 0x01
	pduAssociateAC = 0x02
	pduAssociateRJ = 0x03
	pduReleaseRQ   = 0x05
	pduReleaseRP   = 0x06
	pduAbort       = 0x07

	itemAppContext  = 0x10
	itemPresCtxRQ   = 0x20
	itemPresCtxAC   = 0x21
	itemAbstract    = 0x30
	itemTransfer    = 0x40
	itemUserInfo    = 0x50
	subMaxLength    = 0x51
	subImplClassUID = 0x52
	subImplVersion  = 0x55

	// maxPDU bounds the association answer read; an A-ASSOCIATE-AC is a
	// few hundred bytes.
	maxPDU = 16 << 10
)

// The UIDs of the association the probe asks for.
const (
	// AppContextUID is the DICOM Application Context Name.
	AppContextUID = "1.2.840.10008.3.1.1.1"
	// VerificationUID is the Verification SOP Class (C-ECHO), the most
	// harmless service a DICOM node offers. The probe never sends C-ECHO:
	// it only negotiates the association and releases it.
	VerificationUID = "1.2.840.10008.1.1"
	// ImplicitVRLittleEndian is the default transfer syntax every node
	// must accept.
	ImplicitVRLittleEndian = "1.2.840.10008.1.2"
	// ImplementationClassUID identifies rounds to the peer (a UUID-derived
	// UID under 2.25, as PS3.5 B.2 allows without a registered root).
	ImplementationClassUID = "2.25.310667917865482325659166278763953033150"
	// ImplementationVersion names rounds to the peer (at most 16 chars).
	ImplementationVersion = "ROUNDS_1"
)

// vendorRoots maps UID roots registered to device manufacturers to their
// names, so that an Implementation Class UID hints at who made the node.
// Toolkits (DCMTK, dcm4che) are deliberately absent: they say nothing of
// the device's maker.
var vendorRoots = []struct{ root, name string }{
	{"1.2.840.113619.", "GE Healthcare"},
	{"1.3.12.2.1107.", "Siemens Healthineers"},
	{"1.3.46.670589.", "Philips"},
	{"1.2.392.200036.9116.", "Canon Medical Systems"},
}

// AssociateRQ returns an A-ASSOCIATE-RQ PDU proposing the Verification SOP
// class in Implicit VR Little Endian, from callingAE to calledAE.
func AssociateRQ(callingAE, calledAE string) []byte {
	item := func(typ byte, value []byte) []byte {
		b := []byte{typ, 0, 0, 0}
		binary.BigEndian.PutUint16(b[2:], uint16(len(value)))
		return append(b, value...)
	}
	pc := append([]byte{1, 0, 0, 0}, item(itemAbstract, []byte(VerificationUID))...)
	pc = append(pc, item(itemTransfer, []byte(ImplicitVRLittleEndian))...)
	maxLen := binary.BigEndian.AppendUint32(nil, maxPDU)
	ui := item(subMaxLength, maxLen)
	ui = append(ui, item(subImplClassUID, []byte(ImplementationClassUID))...)
	ui = append(ui, item(subImplVersion, []byte(ImplementationVersion))...)

	body := []byte{0, 1, 0, 0} // protocol version 1, reserved
	body = append(body, aeTitle(calledAE)...)
	body = append(body, aeTitle(callingAE)...)
	body = append(body, make([]byte, 32)...)
	body = append(body, item(itemAppContext, []byte(AppContextUID))...)
	body = append(body, item(itemPresCtxRQ, pc)...)
	body = append(body, item(itemUserInfo, ui)...)
	return pdu(pduAssociateRQ, body)
}

// ReleaseRQ returns an A-RELEASE-RQ PDU.
func ReleaseRQ() []byte { return pdu(pduReleaseRQ, make([]byte, 4)) }

func pdu(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[2:], uint32(len(body)))
	return append(b, body...)
}

// aeTitle pads an AE title to its 16-byte field with spaces.
func aeTitle(s string) []byte {
	b := []byte(fmt.Sprintf("%-16s", s))
	return b[:16]
}

// DICOMAnswer is what the peer answered to an association request.
type DICOMAnswer struct {
	// PDU names the answer: "associate-ac", "associate-rj", "abort".
	PDU string
	// Result is, for an AC, the Verification presentation context's
	// result ("acceptance", "user-rejection", "no-reason",
	// "abstract-syntax-not-supported", "transfer-syntaxes-not-supported"),
	// and for an RJ "rejected-permanent" or "rejected-transient".
	Result string
	// Source and Reason are the RJ or ABORT diagnostic, as numbers.
	Source, Reason int
	// ImplementationClassUID and ImplementationVersion identify the peer's
	// DICOM implementation (from an AC's user information).
	ImplementationClassUID string
	ImplementationVersion  string
	MaxPDULength           uint32
}

// ReadPDU reads one PDU of at most max bytes (header included) from r.
func ReadPDU(r io.Reader, max int) ([]byte, error) {
	head := make([]byte, 6)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[2:])
	if head[0] < pduAssociateRQ || head[0] > pduAbort || int64(n) > int64(max-6) {
		return head, fmt.Errorf("%w: dicom: PDU type 0x%02x length %d", ErrNotProtocol, head[0], n)
	}
	b := make([]byte, 6+int(n))
	copy(b, head)
	if _, err := io.ReadFull(r, b[6:]); err != nil {
		return b, err
	}
	return b, nil
}

// ParseDICOM parses an association answer PDU (header included).
func ParseDICOM(b []byte) (DICOMAnswer, error) {
	var a DICOMAnswer
	if len(b) < 6 {
		return a, fmt.Errorf("%w: dicom: short PDU", ErrNotProtocol)
	}
	n := binary.BigEndian.Uint32(b[2:])
	if uint64(n) != uint64(len(b)-6) {
		return a, fmt.Errorf("%w: dicom: PDU length %d, have %d", ErrNotProtocol, n, len(b)-6)
	}
	body := b[6:]
	switch b[0] {
	case pduAssociateRJ:
		if len(body) < 4 {
			return a, fmt.Errorf("%w: dicom: short A-ASSOCIATE-RJ", ErrNotProtocol)
		}
		a.PDU = "associate-rj"
		a.Result = map[byte]string{1: "rejected-permanent", 2: "rejected-transient"}[body[1]]
		a.Source, a.Reason = int(body[2]), int(body[3])
		return a, nil
	case pduAbort:
		if len(body) < 4 {
			return a, fmt.Errorf("%w: dicom: short A-ABORT", ErrNotProtocol)
		}
		a.PDU = "abort"
		a.Source, a.Reason = int(body[2]), int(body[3])
		return a, nil
	case pduAssociateAC:
	default:
		return a, fmt.Errorf("%w: dicom: unexpected PDU type 0x%02x", ErrNotProtocol, b[0])
	}
	a.PDU = "associate-ac"
	if len(body) < 68 {
		return a, fmt.Errorf("%w: dicom: short A-ASSOCIATE-AC", ErrNotProtocol)
	}
	err := eachItem(body[68:], func(typ byte, v []byte) error {
		switch typ {
		case itemPresCtxAC:
			if len(v) < 4 {
				return errors.New("short presentation context")
			}
			a.Result = map[byte]string{0: "acceptance", 1: "user-rejection", 2: "no-reason",
				3: "abstract-syntax-not-supported", 4: "transfer-syntaxes-not-supported"}[v[2]]
			if a.Result == "" {
				a.Result = "result-" + strconv.Itoa(int(v[2]))
			}
		case itemUserInfo:
			return eachItem(v, func(typ byte, v []byte) error {
				switch typ {
				case subMaxLength:
					if len(v) == 4 {
						a.MaxPDULength = binary.BigEndian.Uint32(v)
					}
				case subImplClassUID:
					a.ImplementationClassUID = Field(uid(v))
				case subImplVersion:
					a.ImplementationVersion = Field(uid(v))
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("%w: dicom: %v", ErrNotProtocol, err)
	}
	return a, nil
}

// eachItem walks a sequence of DICOM items (type, reserved, 2-byte length).
func eachItem(b []byte, fn func(typ byte, v []byte) error) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return errors.New("truncated item header")
		}
		n := int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < 4+n {
			return fmt.Errorf("item 0x%02x of length %d overruns the PDU", b[0], n)
		}
		if err := fn(b[0], b[4:4+n]); err != nil {
			return err
		}
		b = b[4+n:]
	}
	return nil
}

// uid trims the NUL or space padding some implementations add.
func uid(v []byte) string { return strings.TrimRight(string(v), "\x00 ") }

// Vendor returns the manufacturer whose registered root the
// implementation class UID sits under, or "".
func (a DICOMAnswer) Vendor() string {
	for _, r := range vendorRoots {
		if strings.HasPrefix(a.ImplementationClassUID, r.root) {
			return r.name
		}
	}
	return ""
}

// Fields returns the answer as fingerprint fields.
func (a DICOMAnswer) Fields() map[string]string {
	f := map[string]string{"pdu": a.PDU}
	set(f, "result", a.Result)
	set(f, "implementationClassUID", a.ImplementationClassUID)
	set(f, "implementationVersionName", a.ImplementationVersion)
	if a.MaxPDULength > 0 {
		f["maxPDULength"] = strconv.FormatUint(uint64(a.MaxPDULength), 10)
	}
	if a.PDU != "associate-ac" {
		f["source"] = strconv.Itoa(a.Source)
		f["reason"] = strconv.Itoa(a.Reason)
	}
	return f
}

// DICOM requests an association for the Verification SOP class from the
// node on conn, reads its answer, and if it accepted, releases the
// association cleanly (A-RELEASE-RQ, then waits for A-RELEASE-RP). No
// DIMSE message is ever sent. The fingerprint records whether the release
// completed ("release": "ok", or the failure).
func DICOM(ctx context.Context, conn net.Conn, callingAE, calledAE string, sent Sent) (scan.Fingerprint, error) {
	defer bind(ctx, conn)()
	fp := scan.Fingerprint{Kind: "dicom"}
	if err := writeAll(conn, AssociateRQ(callingAE, calledAE), sent, "dicom-associate-rq "+VerificationUID); err != nil {
		return fp, fmt.Errorf("probe: dicom: %w", err)
	}
	b, err := ReadPDU(conn, maxPDU)
	fp.Raw = raw(b)
	if err != nil {
		return fp, fmt.Errorf("probe: dicom: %w", err)
	}
	a, err := ParseDICOM(b)
	if err != nil {
		return fp, err
	}
	fp.Fields = a.Fields()
	if a.PDU != "associate-ac" {
		return fp, nil
	}
	fp.Fields["release"] = release(conn, sent)
	return fp, nil
}

// release ends an accepted association: A-RELEASE-RQ, then the RP.
func release(conn net.Conn, sent Sent) string {
	if err := writeAll(conn, ReleaseRQ(), sent, "dicom-release-rq"); err != nil {
		return "write failed"
	}
	b, err := ReadPDU(conn, 64)
	switch {
	case err != nil && isTimeout(err):
		return "no reply"
	case err != nil:
		return "failed"
	case b[0] == pduReleaseRP:
		return "ok"
	default:
		return fmt.Sprintf("unexpected PDU 0x%02x", b[0])
	}
}
