package btsnoop

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Datalink is the link type named in the file header.
type Datalink uint32

// The datalinks this package reads and writes.
const (
	// H4 is HCI UART framing: each packet starts with a packet-type byte
	// (0x01 command, 0x02 ACL, 0x03 SCO, 0x04 event). Android writes it.
	H4 Datalink = 1002
	// Monitor is the Linux monitor channel: the packet type and the
	// adapter index travel in the record flags. btmon -w writes it.
	Monitor Datalink = 2001
)

func (d Datalink) String() string {
	switch d {
	case H4:
		return "H4 (1002)"
	case Monitor:
		return "Linux monitor (2001)"
	}
	return fmt.Sprintf("datalink %d", uint32(d))
}

// Monitor opcodes (the low 16 bits of a record's flags on the Monitor
// datalink), from BlueZ's btsnoop.h.
const (
	OpNewIndex   = 0
	OpDelIndex   = 1
	OpCommand    = 2
	OpEvent      = 3
	OpACLTx      = 4
	OpACLRx      = 5
	OpOpenIndex  = 8
	OpCloseIndex = 9
	OpIndexInfo  = 10
	OpSystemNote = 12
)

// H4 packet types (first byte of a record's data on the H4 datalink).
const (
	H4Command = 0x01
	H4ACL     = 0x02
	H4SCO     = 0x03
	H4Event   = 0x04
)

// H4 record flags: bit 0 is the direction (set: received by the host),
// bit 1 marks commands and events.
const (
	FlagReceived = 1 << 0
	FlagCmdEvt   = 1 << 1
)

// epochDelta is the Unix epoch in btsnoop time: microseconds from
// 0000-01-01 to 1970-01-01.
const epochDelta = 0x00dcddb30f2f8000

// MaxRecord bounds the included length of one record. HCI events are at
// most 257 bytes and ACL fragments at most 64 KiB; anything larger is damage,
// and the reader stops rather than allocate what a header claims.
const MaxRecord = 1<<16 + 64

var magic = [8]byte{'b', 't', 's', 'n', 'o', 'o', 'p', 0}

const (
	headerLen = 16
	recordLen = 24
)

// Errors reported by the reader. They are wrapped with the record number
// and byte offset where they occurred.
var (
	ErrFormat    = errors.New("btsnoop: not a btsnoop file")
	ErrVersion   = errors.New("btsnoop: unsupported version")
	ErrDatalink  = errors.New("btsnoop: unsupported datalink")
	ErrTooLarge  = errors.New("btsnoop: record larger than the limit")
	ErrTruncated = errors.New("btsnoop: truncated record")
)

// Record is one captured packet.
type Record struct {
	// OrigLen is the packet's length on the wire; Data may be shorter.
	OrigLen uint32
	// Flags are the record flags: direction and kind on H4, adapter index
	// (high 16 bits) and opcode (low 16 bits) on Monitor.
	Flags uint32
	// Drops is the capture's cumulative count of dropped packets.
	Drops uint32
	// Timestamp is in microseconds since 0000-01-01 (btsnoop time).
	Timestamp int64
	// Data holds the captured bytes. A Reader reuses it: it is valid
	// until the next call to Next.
	Data []byte
}

// Time returns the record's timestamp as a time.
func (r Record) Time() time.Time {
	return time.UnixMicro(r.Timestamp - epochDelta).UTC()
}

// Stamp converts a time to btsnoop time.
func Stamp(t time.Time) int64 { return t.UnixMicro() + epochDelta }

// Event returns the HCI event carried by the record (event code, parameter
// length, parameters), if it is one.
func (r Record) Event(dl Datalink) ([]byte, bool) {
	switch dl {
	case H4:
		if len(r.Data) > 0 && r.Data[0] == H4Event {
			return r.Data[1:], true
		}
	case Monitor:
		if r.Flags&0xffff == OpEvent {
			return r.Data, true
		}
	}
	return nil, false
}

// Adapter returns the controller index of a Monitor record (hci0 is 0).
func (r Record) Adapter() uint16 { return uint16(r.Flags >> 16) }

// Reader reads records from a btsnoop file.
type Reader struct {
	br       *bufio.Reader
	datalink Datalink
	hdr      [recordLen]byte
	buf      []byte
	n        int   // records read
	off      int64 // byte offset of the next record
}

// NewReader reads and checks the file header.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var h [headerLen]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: header is %d bytes, file is shorter", ErrFormat, headerLen)
		}
		return nil, fmt.Errorf("btsnoop: reading header: %w", err)
	}
	if [8]byte(h[:8]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, h[:8])
	}
	if v := binary.BigEndian.Uint32(h[8:]); v != 1 {
		return nil, fmt.Errorf("%w %d", ErrVersion, v)
	}
	dl := Datalink(binary.BigEndian.Uint32(h[12:]))
	if dl != H4 && dl != Monitor {
		return nil, fmt.Errorf("%w %d (want 1002 H4 or 2001 Linux monitor)", ErrDatalink, uint32(dl))
	}
	return &Reader{br: br, datalink: dl, off: headerLen}, nil
}

// Datalink returns the file's datalink.
func (r *Reader) Datalink() Datalink { return r.datalink }

// Count returns the number of records read so far.
func (r *Reader) Count() int { return r.n }

// Next returns the next record. It returns io.EOF at a clean end of file
// and an error wrapping ErrTruncated when the file ends inside a record.
// Record.Data is only valid until the next call.
func (r *Reader) Next() (Record, error) {
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return Record{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, r.errorf(ErrTruncated, "header cut short")
		}
		return Record{}, r.errorf(err, "reading header")
	}
	incl := binary.BigEndian.Uint32(r.hdr[4:])
	if incl > MaxRecord {
		return Record{}, r.errorf(ErrTooLarge, "included length %d > %d", incl, MaxRecord)
	}
	rec := Record{
		OrigLen:   binary.BigEndian.Uint32(r.hdr[0:]),
		Flags:     binary.BigEndian.Uint32(r.hdr[8:]),
		Drops:     binary.BigEndian.Uint32(r.hdr[12:]),
		Timestamp: int64(binary.BigEndian.Uint64(r.hdr[16:])),
	}
	if cap(r.buf) < int(incl) {
		r.buf = make([]byte, incl, max(incl, 512))
	}
	r.buf = r.buf[:incl]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, r.errorf(ErrTruncated, "data cut short (want %d bytes)", incl)
		}
		return Record{}, r.errorf(err, "reading data")
	}
	rec.Data = r.buf
	r.n++
	r.off += recordLen + int64(incl)
	return rec, nil
}

func (r *Reader) errorf(err error, format string, args ...any) error {
	return fmt.Errorf("btsnoop: record %d at offset %d: %s: %w", r.n+1, r.off, fmt.Sprintf(format, args...), err)
}

// Writer writes a btsnoop file.
type Writer struct {
	bw       *bufio.Writer
	datalink Datalink
	// Adapter is the controller index written in Monitor record flags.
	Adapter uint16
	hdr     [recordLen]byte
}

// NewWriter writes the file header for datalink dl to w.
func NewWriter(w io.Writer, dl Datalink) (*Writer, error) {
	if dl != H4 && dl != Monitor {
		return nil, fmt.Errorf("%w %d", ErrDatalink, uint32(dl))
	}
	bw := bufio.NewWriter(w)
	var h [headerLen]byte
	copy(h[:], magic[:])
	binary.BigEndian.PutUint32(h[8:], 1)
	binary.BigEndian.PutUint32(h[12:], uint32(dl))
	if _, err := bw.Write(h[:]); err != nil {
		return nil, fmt.Errorf("btsnoop: writing header: %w", err)
	}
	return &Writer{bw: bw, datalink: dl}, nil
}

// Datalink returns the datalink the writer was created with.
func (w *Writer) Datalink() Datalink { return w.datalink }

// Write writes rec as is. A zero OrigLen is taken as len(rec.Data).
func (w *Writer) Write(rec Record) error {
	orig := rec.OrigLen
	if orig == 0 {
		orig = uint32(len(rec.Data))
	}
	binary.BigEndian.PutUint32(w.hdr[0:], orig)
	binary.BigEndian.PutUint32(w.hdr[4:], uint32(len(rec.Data)))
	binary.BigEndian.PutUint32(w.hdr[8:], rec.Flags)
	binary.BigEndian.PutUint32(w.hdr[12:], rec.Drops)
	binary.BigEndian.PutUint64(w.hdr[16:], uint64(rec.Timestamp))
	if _, err := w.bw.Write(w.hdr[:]); err != nil {
		return fmt.Errorf("btsnoop: writing record: %w", err)
	}
	if _, err := w.bw.Write(rec.Data); err != nil {
		return fmt.Errorf("btsnoop: writing record: %w", err)
	}
	return nil
}

// WriteEvent writes an HCI event (event code, parameter length,
// parameters) received from the controller at t, framed for the datalink.
func (w *Writer) WriteEvent(t time.Time, evt []byte) error {
	return w.writePacket(t, H4Event, OpEvent, FlagReceived|FlagCmdEvt, evt)
}

// WriteCommand writes an HCI command sent to the controller at t.
func (w *Writer) WriteCommand(t time.Time, cmd []byte) error {
	return w.writePacket(t, H4Command, OpCommand, FlagCmdEvt, cmd)
}

func (w *Writer) writePacket(t time.Time, h4type byte, op uint32, h4flags uint32, pkt []byte) error {
	rec := Record{Timestamp: Stamp(t)}
	switch w.datalink {
	case H4:
		buf := make([]byte, 1+len(pkt))
		buf[0] = h4type
		copy(buf[1:], pkt)
		rec.Data, rec.Flags = buf, h4flags
	default:
		rec.Data, rec.Flags = pkt, uint32(w.Adapter)<<16|op
	}
	return w.Write(rec)
}

// WriteNewIndex writes the Monitor record announcing a controller, as
// btmon does at the start of a capture. It is a no-op on H4.
func (w *Writer) WriteNewIndex(t time.Time, addr [6]byte, name string) error {
	if w.datalink != Monitor {
		return nil
	}
	// type (0 primary), bus (1 USB), bdaddr, 8-byte name.
	b := make([]byte, 16)
	b[1] = 1
	copy(b[2:8], addr[:])
	copy(b[8:], name)
	return w.Write(Record{Timestamp: Stamp(t), Flags: uint32(w.Adapter)<<16 | OpNewIndex, Data: b})
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("btsnoop: %w", err)
	}
	return nil
}
