package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// direct is a read-only connection that calls SQLite's C API (transpiled,
// modernc.org/sqlite/lib) itself instead of going through database/sql and
// the driver. It serves the long listings of the CLI: in a profile of
// `rounds devices` over 100k devices, the driver's connection, opened
// SQLITE_OPEN_FULLMUTEX with no way to ask otherwise, took and released
// SQLite's connection mutex around every column read (31% of the CPU),
// and database/sql converted every column to a fresh string (another
// 10%). Opened SQLITE_OPEN_NOMUTEX and read as byte views, the same query
// costs what the sqlite3 shell's does (docs/performance.md).
//
// The connection is not safe for concurrent use by itself: a query holds
// mu for its whole run, and a libc.TLS is confined to the goroutine
// holding mu. A query that finds mu held (another goroutine's listing, or
// a store read from inside a listing's callback, which would deadlock)
// gets errDirectInUse before any row, and its caller reads through
// database/sql instead.
type direct struct {
	mu  sync.Mutex
	tls *libc.TLS
	db  uintptr
}

// directError is an error SQLite reported on a direct connection.
type directError struct {
	code int32
	msg  string
}

func (e *directError) Error() string {
	return fmt.Sprintf("%s (%d)", e.msg, e.code)
}

// errDirectInUse reports that the direct connection is running another
// query; nothing was read.
var errDirectInUse = errors.New("store: direct connection in use")

// translateDirect maps a direct connection's error to the package's
// sentinels as translate does for the driver's.
func translateDirect(err error) error {
	var de *directError
	if errors.As(err, &de) {
		switch de.code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return ErrBusy
		}
	}
	return err
}

// openDirect opens path read-only, without SQLite's connection mutex.
func openDirect(path string) (*direct, error) {
	d := &direct{tls: libc.NewTLS()}
	name, err := libc.CString("file:" + uriPath(path) + "?mode=ro")
	if err != nil {
		d.tls.Close()
		return nil, err
	}
	defer libc.Xfree(d.tls, name)
	pp := libc.Xmalloc(d.tls, ptrSize)
	if pp == 0 {
		d.tls.Close()
		return nil, errors.New("store: out of memory")
	}
	defer libc.Xfree(d.tls, pp)
	*(*uintptr)(cptr(pp)) = 0
	rc := sqlite3.Xsqlite3_open_v2(d.tls, name, pp,
		sqlite3.SQLITE_OPEN_READONLY|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	d.db = *(*uintptr)(cptr(pp))
	if rc != sqlite3.SQLITE_OK {
		err := d.errorOf(rc)
		d.close()
		return nil, err
	}
	sqlite3.Xsqlite3_extended_result_codes(d.tls, d.db, 1)
	sqlite3.Xsqlite3_busy_timeout(d.tls, d.db, busyTimeout)
	return d, nil
}

// cptr views an address SQLite returned, in memory libc allocated outside
// the Go heap, as a pointer. Reinterpreting the variable (rather than
// converting the uintptr) is the form go vet accepts; it is sound because
// the garbage collector neither moves nor frees that memory.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// ptrSize is the size of a pointer, the out-parameters of open and prepare.
const ptrSize = 8

// errorOf is the connection's error for return code rc.
func (d *direct) errorOf(rc int32) error {
	msg := ""
	if d.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(d.tls, d.db))
	}
	if msg == "" {
		msg = libc.GoString(sqlite3.Xsqlite3_errstr(d.tls, rc))
	}
	return &directError{code: rc, msg: msg}
}

// close closes the connection and frees its thread state.
func (d *direct) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tls == nil {
		return nil
	}
	var err error
	if d.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(d.tls, d.db); rc != sqlite3.SQLITE_OK {
			err = d.errorOf(rc)
		}
		d.db = 0
	}
	d.tls.Close()
	d.tls = nil
	return err
}

// each runs query with its text arguments and calls fn for every row with
// the columns as bytes. The bytes are SQLite's own and valid only until
// fn returns: fn copies what it keeps. A NULL reads as empty. Cancelling
// ctx stops the loop within a few hundred rows.
func (d *direct) each(ctx context.Context, query string, args []any, fn func(cols [][]byte) error) (err error) {
	if !d.mu.TryLock() {
		return errDirectInUse
	}
	defer d.mu.Unlock()
	if d.tls == nil {
		return errors.New("store: database is closed")
	}
	tls := d.tls
	zSQL, err := libc.CString(query)
	if err != nil {
		return err
	}
	defer libc.Xfree(tls, zSQL)
	pp := libc.Xmalloc(tls, ptrSize)
	if pp == 0 {
		return errors.New("store: out of memory")
	}
	defer libc.Xfree(tls, pp)
	*(*uintptr)(cptr(pp)) = 0
	if rc := sqlite3.Xsqlite3_prepare_v2(tls, d.db, zSQL, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return translateDirect(d.errorOf(rc))
	}
	stmt := *(*uintptr)(cptr(pp))
	// SQLite reads bound text in place (SQLITE_STATIC): the copies live
	// until the statement is finalised.
	var bound []uintptr
	defer func() {
		sqlite3.Xsqlite3_finalize(tls, stmt)
		for _, p := range bound {
			libc.Xfree(tls, p)
		}
	}()
	for i, a := range args {
		var rc int32
		switch a := a.(type) {
		case string:
			p, err := libc.CString(a)
			if err != nil {
				return err
			}
			bound = append(bound, p)
			rc = sqlite3.Xsqlite3_bind_text(tls, stmt, int32(i+1), p, int32(len(a)), 0)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(tls, stmt, int32(i+1), a)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(tls, stmt, int32(i+1), int64(a))
		default:
			return fmt.Errorf("store: cannot bind %T", a)
		}
		if rc != sqlite3.SQLITE_OK {
			return translateDirect(d.errorOf(rc))
		}
	}
	n := sqlite3.Xsqlite3_column_count(tls, stmt)
	cols := make([][]byte, n)
	for row := 0; ; row++ {
		if row&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch rc := sqlite3.Xsqlite3_step(tls, stmt); rc {
		case sqlite3.SQLITE_ROW:
		case sqlite3.SQLITE_DONE:
			return nil
		default:
			return translateDirect(d.errorOf(rc))
		}
		for i := range n {
			// column_text before column_bytes, as SQLite asks: the length
			// is then that of the text form.
			p := sqlite3.Xsqlite3_column_text(tls, stmt, i)
			l := sqlite3.Xsqlite3_column_bytes(tls, stmt, i)
			if p == 0 || l <= 0 {
				cols[i] = nil
				continue
			}
			cols[i] = unsafe.Slice((*byte)(cptr(p)), l)
		}
		if err := fn(cols); err != nil {
			return err
		}
	}
}

// eachRow is each with the columns scanned into dest as sql.Rows.Scan
// would, for the types the store reads this way (string, int64, int,
// bool); a NULL scans as the zero value.
func (d *direct) eachRow(ctx context.Context, q string, args []any, fn func(scan func(dest ...any) error) error) error {
	return d.each(ctx, q, args, func(cols [][]byte) error {
		return fn(func(dest ...any) error {
			if len(dest) != len(cols) {
				return fmt.Errorf("store: scan: %d destinations for %d columns", len(dest), len(cols))
			}
			for i, c := range cols {
				if err := scanBytes(c, dest[i]); err != nil {
					return fmt.Errorf("store: scan column %d: %w", i, err)
				}
			}
			return nil
		})
	})
}

func scanBytes(c []byte, dest any) error {
	switch p := dest.(type) {
	case *string:
		*p = string(c)
	case *int64, *int, *bool:
		var n int64
		if len(c) > 0 {
			v, err := strconv.ParseInt(string(c), 10, 64)
			if err != nil {
				return err
			}
			n = v
		}
		switch p := p.(type) {
		case *int64:
			*p = n
		case *int:
			*p = int(n)
		case *bool:
			*p = n != 0
		}
	default:
		return fmt.Errorf("cannot scan into %T", dest)
	}
	return nil
}

// readSource reads through a direct connection, and through database/sql
// when the direct connection is busy.
type readSource struct {
	d        *direct
	fallback sqlRows
}

func (r readSource) eachRow(ctx context.Context, q string, args []any, fn func(scan func(dest ...any) error) error) error {
	err := r.d.eachRow(ctx, q, args, fn)
	if errors.Is(err, errDirectInUse) {
		return r.fallback.eachRow(ctx, q, args, fn)
	}
	return err
}

// scanFunc gives a row's scanner the Scan method scanDevice reads with.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// rowSource runs a read query and calls fn with a scanner per row: a
// direct connection, or database/sql (sqlRows) outside and inside a
// transaction, so that readers such as the location look-up are written
// once.
type rowSource interface {
	eachRow(ctx context.Context, q string, args []any, fn func(scan func(dest ...any) error) error) error
}

// sqlRows is a rowSource over database/sql.
type sqlRows struct{ q queryer }

func (s sqlRows) eachRow(ctx context.Context, q string, args []any, fn func(scan func(dest ...any) error) error) error {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(func(dest ...any) error { return translate(rows.Scan(dest...)) }); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}
