// Command coldfloor is the least a Go program pays to answer the room
// listing from the database: the Go runtime, modernc.org/sqlite's
// transpiled SQLite opened read-only without its connection mutex, one
// prepared query, the rows printed through a buffer. No rounds package,
// no command-line library, no configuration. bench/all runs it beside the
// sqlite3 shell and `rounds devices --room` so that the cold-start row
// shows how much of the gap is the language and the driver rather than
// rounds (docs/performance.md).
//
//	coldfloor DB ROOM-KEY
package main

import (
	"bufio"
	"fmt"
	"os"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

const query = `SELECT d.asset_tag, coalesce(m.device_class, ''), coalesce(m.manufacturer || ' ' || m.model, ''),
  coalesce(l.key, ''), d.status, d.firmware_version, d.ip, d.mac
  FROM devices d LEFT JOIN models m ON m.id = d.model_id LEFT JOIN locations l ON l.id = d.location_id
  WHERE d.location_id = (SELECT id FROM locations WHERE key = ?) ORDER BY d.asset_tag`

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: coldfloor DB ROOM-KEY")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "coldfloor:", err)
		os.Exit(1)
	}
}

// ptr views memory libc allocated (outside the Go heap) as a pointer.
func ptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func run(db, room string) error {
	tls := libc.NewTLS()
	defer tls.Close()
	name, err := libc.CString("file:" + db + "?mode=ro")
	if err != nil {
		return err
	}
	out := libc.Xmalloc(tls, 8)
	if rc := sqlite3.Xsqlite3_open_v2(tls, name, out, sqlite3.SQLITE_OPEN_READONLY|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("open %s: code %d", db, rc)
	}
	h := *(*uintptr)(ptr(out))
	defer sqlite3.Xsqlite3_close_v2(tls, h)
	q, err := libc.CString(query)
	if err != nil {
		return err
	}
	if rc := sqlite3.Xsqlite3_prepare_v2(tls, h, q, -1, out, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("prepare: %s", libc.GoString(sqlite3.Xsqlite3_errmsg(tls, h)))
	}
	st := *(*uintptr)(ptr(out))
	defer sqlite3.Xsqlite3_finalize(tls, st)
	key, err := libc.CString(room)
	if err != nil {
		return err
	}
	sqlite3.Xsqlite3_bind_text(tls, st, 1, key, int32(len(room)), 0)
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	for {
		switch rc := sqlite3.Xsqlite3_step(tls, st); rc {
		case sqlite3.SQLITE_ROW:
		case sqlite3.SQLITE_DONE:
			return w.Flush()
		default:
			return fmt.Errorf("step: %s", libc.GoString(sqlite3.Xsqlite3_errmsg(tls, h)))
		}
		for i := int32(0); i < 8; i++ {
			if i > 0 {
				w.WriteByte('|')
			}
			if p, n := sqlite3.Xsqlite3_column_text(tls, st, i), sqlite3.Xsqlite3_column_bytes(tls, st, i); p != 0 && n > 0 {
				w.Write(unsafe.Slice((*byte)(ptr(p)), n))
			}
		}
		w.WriteByte('\n')
	}
}
