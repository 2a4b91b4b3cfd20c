package exchange

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"

	"github.com/biomed-rounds/rounds/store"
)

// Options control an import.
type Options struct {
	// Name is the file name used in errors ("devices.csv").
	Name string
	// Kind forces what the file holds; empty detects it from the header
	// (CSV) or the keys (JSON).
	Kind Kind
	// Map maps column names to fields (ParseMap builds it from --map);
	// the field "-" ignores a column.
	Map map[string]string
	// SkipBad imports the good rows and reports the bad ones in
	// Result.Skipped instead of aborting the file.
	SkipBad bool
	// Baseline marks the file as the CMDB's own state (its export): the
	// rows are written without journal entries, so sync never pushes them
	// back. Without it every real change is journalled as a local change.
	Baseline bool
	// Actor names who made the changes in the journal.
	Actor string
	// Progress, if set, is called with the number of rows read so far
	// every ProgressEvery rows (default 10000).
	Progress      func(rows int)
	ProgressEvery int
}

// Result summarises an import.
type Result struct {
	Format    Format      `json:"format"`
	Kinds     []Kind      `json:"kinds"`
	Rows      int         `json:"rows"`
	Created   int         `json:"created"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Skipped   []*RowError `json:"skipped,omitempty"`
}

// RowError is a problem with one line of a file, printed as
// FILE:LINE: field: reason.
type RowError struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Reason)
}

// Import reads an inventory file and writes it to st in one transaction.
// On error nothing is written and the Result is zero; the error is a
// *RowError when a line is to blame.
func Import(ctx context.Context, st *store.Store, r io.Reader, o Options) (Result, error) {
	if o.Name == "" {
		o.Name = "input"
	}
	if o.Actor == "" {
		o.Actor = "import"
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 10000
	}
	br := bufio.NewReaderSize(r, 256<<10)
	format, err := sniff(br)
	if err == io.EOF {
		return Result{}, &RowError{File: o.Name, Line: 1, Field: "header", Reason: "empty file (no header)"}
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", o.Name, err)
	}
	var res Result
	err = st.BulkWrite(ctx, o.Actor, func(w *store.Writer) error {
		w.NoJournal = o.Baseline
		res = Result{Format: format}
		var src source
		var err error
		if format == CSV {
			src, err = newCSVSource(o.Name, br, &o)
		} else {
			src, err = newJSONSource(o.Name, br, &o)
		}
		if err != nil {
			return err
		}
		im := &importer{ctx: ctx, w: w, o: &o, res: &res, seen: map[uint64]int32{}}
		// Into an empty inventory, load the rows and build the indexes
		// afterwards (store.Writer.BeginLoad). Skipping bad rows needs the
		// row-by-row checks, which need the indexes.
		if !o.SkipBad {
			if _, err := w.BeginLoad(); err != nil {
				return err
			}
		}
		if err := im.run(src); err != nil {
			return err
		}
		return im.endLoad()
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// importer writes the records of one file.
type importer struct {
	ctx  context.Context
	w    *store.Writer
	o    *Options
	res  *Result
	seed maphash.Seed
	// seen maps a hash of each record's key to its line, to refuse a
	// record given twice. Hashes keep a million keys in a few tens of
	// megabytes; a 64-bit collision is far rarer than a real duplicate.
	seen  map[uint64]int32
	rec   record
	batch []pendingDevice
}

func (im *importer) run(src source) error {
	im.seed = maphash.MakeSeed()
	for {
		kind, line, err := src.next(&im.rec)
		if err == io.EOF {
			if err := im.flush(); err != nil {
				return err
			}
			slices.SortStableFunc(im.res.Skipped, func(a, b *RowError) int { return a.Line - b.Line })
			return nil
		}
		if err == nil {
			im.noteKind(kind)
			err = im.apply(kind, line)
		}
		if err != nil {
			// Rows still batched come before this one: write them first,
			// so that the first bad line is the one reported.
			if ferr := im.flush(); ferr != nil {
				return ferr
			}
			var re *RowError
			if !im.o.SkipBad || !errors.As(err, &re) || re.Field == "json" || re.Field == "header" {
				return err
			}
			im.res.Skipped = append(im.res.Skipped, re)
		}
		im.res.Rows++
		if im.res.Rows%1000 == 0 {
			if err := im.ctx.Err(); err != nil {
				return err
			}
		}
		if im.o.Progress != nil && im.res.Rows%im.o.ProgressEvery == 0 {
			im.o.Progress(im.res.Rows)
		}
	}
}

func (im *importer) noteKind(k Kind) {
	for _, have := range im.res.Kinds {
		if have == k {
			return
		}
	}
	im.res.Kinds = append(im.res.Kinds, k)
}

// batchSize is how many device rows are written together.
const batchSize = 128

// pendingDevice is a parsed device row waiting in the batch.
type pendingDevice struct {
	d       store.Device
	set     store.Fields
	resolve bool
	line    int
}

// apply validates one record and writes it: devices in batches, models
// and rooms at once.
func (im *importer) apply(kind Kind, line int) error {
	rowErr := func(fe *fieldError) error {
		return &RowError{File: im.o.Name, Line: line, Field: fe.field, Reason: fe.reason}
	}
	var write func() (store.Op, error)
	var key string
	var keyField field
	switch kind {
	case Devices:
		d, set, resolve, fe := im.rec.device()
		if fe != nil {
			return rowErr(fe)
		}
		if err := im.once(kind, d.AssetTag, fAssetTag, line); err != nil {
			return err
		}
		im.batch = append(im.batch, pendingDevice{d: d, set: set, resolve: resolve, line: line})
		if len(im.batch) >= batchSize {
			return im.flush()
		}
		return nil
	case Models:
		if err := im.flush(); err != nil {
			return err
		}
		if fe := im.rec.cleanAll(); fe != nil {
			return rowErr(fe)
		}
		old, err := im.w.Model(im.rec.v[fManufacturer], im.rec.v[fModel])
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		m, fe := im.rec.model(old)
		if fe != nil {
			return rowErr(fe)
		}
		key, keyField = m.Manufacturer+"\x00"+m.Model, fModel
		write = func() (store.Op, error) { return putOp(exists, im.w.PutModel, m) }
	case Locations:
		if err := im.flush(); err != nil {
			return err
		}
		k, fe := im.rec.locationKey()
		if fe != nil {
			return rowErr(fe)
		}
		old, err := im.w.Location(k)
		exists := err == nil && old.Key == k
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if !exists {
			old = store.Location{}
		}
		l, fe := im.rec.location(k, old)
		if fe != nil {
			return rowErr(fe)
		}
		key, keyField = k, fKey
		write = func() (store.Op, error) { return putOp(exists, im.w.PutLocation, l) }
	default:
		return fmt.Errorf("exchange: unknown kind %q", kind)
	}
	if err := im.once(kind, key, keyField, line); err != nil {
		return err
	}
	op, err := im.write(write)
	if err != nil {
		return im.blame(err, line)
	}
	im.count(op)
	return nil
}

// once refuses a record whose key an earlier line already gave.
func (im *importer) once(kind Kind, key string, f field, line int) error {
	h := maphash.String(im.seed, string(kind)+"\x00"+key)
	if first, dup := im.seen[h]; dup {
		return &RowError{File: im.o.Name, Line: line, Field: f.String(),
			Reason: fmt.Sprintf("%s appears again (first on line %d)", strings.ReplaceAll(key, "\x00", " "), first)}
	}
	im.seen[h] = int32(line)
	return nil
}

// write runs one record's write, in its own savepoint when bad rows are
// skipped so that a row failing halfway leaves nothing.
func (im *importer) write(fn func() (store.Op, error)) (store.Op, error) {
	var op store.Op
	do := func() error {
		var err error
		op, err = fn()
		return err
	}
	if im.o.SkipBad {
		return op, im.w.Savepoint(do)
	}
	return op, do()
}

func (im *importer) count(op store.Op) {
	switch op {
	case store.OpCreate:
		im.res.Created++
	case store.OpUpdate:
		im.res.Updated++
	default:
		im.res.Unchanged++
	}
}

// flush writes the batched device rows. A batch of only new devices goes
// through the store's multi-row path; if that fails, or the batch holds
// updates or rooms given by name, the rows are written one by one in file
// order, so that errors name the same line and field as without batching.
// Bad rows are skipped or returned as the options say.
func (im *importer) flush() error {
	batch := im.batch
	im.batch = im.batch[:0]
	if len(batch) == 0 {
		return nil
	}
	fast := true
	for _, p := range batch {
		fast = fast && !p.resolve
	}
	if fast && im.w.Loading() {
		ds := make([]store.Device, len(batch))
		for i, p := range batch {
			ds[i] = p.d
		}
		err := im.w.CreateDevices(ds)
		if err == nil {
			im.res.Created += len(batch)
			return nil
		}
		if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrConstraint) {
			return err
		}
		fast = false
	}
	// The row-by-row path looks devices up: it needs the indexes.
	if err := im.endLoad(); err != nil {
		return err
	}
	if fast {
		ds := make([]store.Device, len(batch))
		for i, p := range batch {
			ds[i] = p.d
		}
		err := im.w.CreateDevices(ds)
		if err == nil {
			im.res.Created += len(batch)
			return nil
		}
		if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrConstraint) {
			return err
		}
		// An update, or a bad row (CreateDevices wrote nothing): write
		// row by row.
	}
	for _, p := range batch {
		op, err := im.write(func() (store.Op, error) {
			if p.resolve {
				k, err := im.resolve(p.d.LocationKey)
				if err != nil {
					return "", err
				}
				p.d.LocationKey = k
			}
			op, _, err := im.w.MergeDevice(p.d, p.set)
			return op, err
		})
		if err != nil {
			err = im.blame(err, p.line)
			var re *RowError
			if im.o.SkipBad && errors.As(err, &re) {
				im.res.Skipped = append(im.res.Skipped, re)
				continue
			}
			return err
		}
		im.count(op)
	}
	return nil
}

// endLoad ends the load, if one is on, and names the line of a device
// whose unique identifier an earlier device of the file holds.
func (im *importer) endLoad() error {
	err := im.w.EndLoad()
	var de *store.DuplicateError
	if errors.As(err, &de) {
		line := int(im.seen[maphash.String(im.seed, string(Devices)+"\x00"+de.AssetTag)])
		return im.blame(&de.Conflict, line)
	}
	return err
}

// putOp runs a catalog or room upsert and says what it did.
func putOp[T any](exists bool, put func(T) (bool, error), v T) (store.Op, error) {
	changed, err := put(v)
	switch {
	case err != nil:
		return "", err
	case !exists:
		return store.OpCreate, nil
	case changed:
		return store.OpUpdate, nil
	}
	return "", nil
}

// resolve turns a location column's value into a room key: a key as
// given, else the barcode or display name of a known room.
func (im *importer) resolve(v string) (string, error) {
	if k, _, ok := splitKey(v); ok {
		return k, nil
	}
	k, err := im.w.ResolveLocation(v)
	if err != nil {
		return "", &fieldError{field: "location", reason: strings.TrimPrefix(err.Error(), "store: ")}
	}
	return k, nil
}

// blame turns a write error into a row error naming the field, when the
// row is at fault (a MAC another device holds, a bad room).
func (im *importer) blame(err error, line int) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return &RowError{File: im.o.Name, Line: line, Field: fe.field, Reason: fe.reason}
	}
	var ce *store.IdentConflictError
	if errors.As(err, &ce) {
		reason := fmt.Sprintf("%s already belongs to another device", ce.Value)
		if ce.Owner != "" {
			reason = fmt.Sprintf("%s already belongs to device %s", ce.Value, ce.Owner)
		}
		return &RowError{File: im.o.Name, Line: line, Field: string(ce.Kind), Reason: reason}
	}
	if errors.Is(err, store.ErrConstraint) || errors.Is(err, store.ErrConflict) {
		return &RowError{File: im.o.Name, Line: line, Field: "row", Reason: strings.TrimPrefix(err.Error(), "store: ")}
	}
	return fmt.Errorf("%s:%d: %w", im.o.Name, line, err)
}
