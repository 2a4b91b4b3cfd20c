package exchange_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store/exchange"
)

// BenchmarkImportCSV imports 20,000 generated devices into a fresh
// database per iteration (baseline, then journalled). The 1,000,000-row
// comparison with the sqlite3 shell is `go run ./bench/all -rows import`.
// ROUNDS_BENCH_IMPORT=N imports N devices instead (to profile a large
// import: go test -run - -bench ImportCSV/journalled -benchtime 1x
// -cpuprofile cpu.out ./store/exchange).
func BenchmarkImportCSV(b *testing.B) {
	n := 20000
	if v := os.Getenv("ROUNDS_BENCH_IMPORT"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("ROUNDS_BENCH_IMPORT=%q", v)
		}
	}
	data := genCSV(b, 1, n)
	for _, baseline := range []bool{true, false} {
		name := "journalled"
		if baseline {
			name = "baseline"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				st := open(b)
				b.StartTimer()
				c0 := cpuTime()
				if _, err := exchange.Import(context.Background(), st, bytes.NewReader(data), exchange.Options{Baseline: baseline}); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - c0
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
			// CPU time is the figure to compare on a shared machine.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/row")
		})
	}
}

// BenchmarkImportLocations imports 10,000 and 100,000 rooms (with
// barcodes and a segment each) into a fresh database per iteration; the
// time per row must stay flat as the file grows (linear import).
// ROUNDS_BENCH_LOCATIONS=N measures one other size instead.
func BenchmarkImportLocations(b *testing.B) {
	sizes := []int{10000, 100000}
	if v := os.Getenv("ROUNDS_BENCH_LOCATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("ROUNDS_BENCH_LOCATIONS=%q", v)
		}
		sizes = []int{n}
	}
	for _, n := range sizes {
		var buf bytes.Buffer
		buf.WriteString("key,name,barcode,segments\n")
		for i := range n {
			fmt.Fprintf(&buf, "B%d/%d/R%d,Room %d,LOC-%07d,10.%d.%d.0/24=clinical\n", i%20, i%15, i, i, i, (i>>8)&255, i&255)
		}
		data := buf.Bytes()
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := open(b)
				b.StartTimer()
				if _, err := exchange.Import(context.Background(), st, bytes.NewReader(data), exchange.Options{Name: "rooms.csv"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/row")
		})
	}
}

// BenchmarkImportIncremental imports 20,000 new devices (journalled) into
// an inventory that already holds 20,000 (ROUNDS_BENCH_INCREMENTAL=N for
// N and N): the path without a load, where the store's unique constraints,
// not look-ups before each batch, find a tag or an identifier already held.
func BenchmarkImportIncremental(b *testing.B) {
	n := 20000
	if v := os.Getenv("ROUNDS_BENCH_INCREMENTAL"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("ROUNDS_BENCH_INCREMENTAL=%q", v)
		}
	}
	data := genCSV(b, 1, 2*n)
	// The header and the first n rows are the stored inventory; the
	// header and the other n rows the file.
	cut := 0
	for range n + 1 {
		cut += bytes.IndexByte(data[cut:], '\n') + 1
	}
	header := data[:bytes.IndexByte(data, '\n')+1]
	first := data[:cut]
	second := append(append([]byte{}, header...), data[cut:]...)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		st := open(b)
		if _, err := exchange.Import(context.Background(), st, bytes.NewReader(first), exchange.Options{Baseline: true}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		res, err := exchange.Import(context.Background(), st, bytes.NewReader(second), exchange.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		if res.Created != n {
			b.Fatalf("created %d, want %d", res.Created, n)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/row")
}
