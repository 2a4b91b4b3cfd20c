package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchImportRows is the size of one import in BenchmarkSynchronous;
// ROUNDS_BENCH_IMPORT_ROWS overrides it (the figure is for
// 1,000,000; the default keeps a -bench run short on a laptop).
func benchImportRows(b *testing.B) int {
	if v := os.Getenv("ROUNDS_BENCH_IMPORT_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("ROUNDS_BENCH_IMPORT_ROWS=%q: want a positive count", v)
		}
		return n
	}
	return 20000
}

// BenchmarkSynchronous measures what synchronous=FULL (the setting that
// makes an acknowledged commit survive power loss) costs against NORMAL:
// per action (one journalled device update, as the TUI writes it) and per
// import (one transaction of generated devices, as import writes it).
// Compare the ns/op of the FULL and NORMAL sub-benchmarks.
func BenchmarkSynchronous(b *testing.B) {
	saved := synchronous
	defer func() { synchronous = saved }()
	ctx := context.Background()
	rows := benchImportRows(b)
	for _, mode := range []string{"NORMAL", "FULL"} {
		b.Run("action/"+mode, func(b *testing.B) {
			synchronous = mode
			s, err := Open(ctx, filepath.Join(b.TempDir(), "r.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Write(ctx, "bench", func(w *Writer) error {
				_, err := w.PutDevice(Device{AssetTag: "A1", Status: StatusInService})
				return err
			}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				fw := fmt.Sprintf("1.%d", i)
				if err := s.Write(ctx, "bench", func(w *Writer) error {
					_, err := w.UpdateDevice("A1", OpUpdate, func(d *Device) error { d.FirmwareVersion = fw; return nil })
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("import%d/%s", rows, mode), func(b *testing.B) {
			synchronous = mode
			for b.Loop() {
				b.StopTimer()
				s, err := Open(ctx, filepath.Join(b.TempDir(), "r.db"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for lo := 0; lo < rows; {
					// One transaction per import, as store/exchange does;
					// devices go in bulk chunks inside it.
					err := s.BulkWrite(ctx, "import", func(w *Writer) error {
						for ; lo < rows; lo += 1000 {
							ds := make([]Device, min(1000, rows-lo))
							for j := range ds {
								n := lo + j
								ds[j] = Device{AssetTag: fmt.Sprintf("T%07d", n), Serial: fmt.Sprintf("S%07d", n),
									Manufacturer: "Acme", Model: "Pump", Status: StatusInService,
									LocationKey: fmt.Sprintf("B%d/%d/%d", n%7, n%5, n%300)}
							}
							if err := w.CreateDevices(ds); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}
