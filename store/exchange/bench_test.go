package exchange_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/biomed-rounds/rounds/store/exchange"
)

// BenchmarkImportCSV imports 20,000 generated devices into a fresh
// database per iteration (baseline, then journalled). The 1,000,000-row
// comparison with the sqlite3 shell is bench/importbench.
func BenchmarkImportCSV(b *testing.B) {
	data := genCSV(b, 1, 20000)
	for _, baseline := range []bool{true, false} {
		name := "journalled"
		if baseline {
			name = "baseline"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				b.StopTimer()
				st := open(b)
				b.StartTimer()
				if _, err := exchange.Import(context.Background(), st, bytes.NewReader(data), exchange.Options{Baseline: baseline}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20000), "ns/row")
		})
	}
}
