// Package btsnoop reads and writes btsnoop capture files, the format of
// Android's HCI snoop log (datalink 1002, H4 framing) and of the Linux
// monitor as written by `btmon -w` (datalink 2001).
//
// A file is a 16-byte header ("btsnoop\0", version 1, datalink) followed by
// records, each a 24-byte big-endian header (original length, included
// length, flags, cumulative drops, timestamp in microseconds since year 0)
// and the packet bytes. The Reader validates every length against a limit and
// reuses one buffer, so a hostile or damaged file costs neither memory nor a
// crash; the Writer exists so that tests and the demo can build captures from
// known advertisements.
package btsnoop
