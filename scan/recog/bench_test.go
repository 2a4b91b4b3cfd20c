package recog

import (
	"testing"
)

// sample is every example Recog ships, with its database: real banners,
// titles and sysDescr strings.
func sample(tb testing.TB) (dbsOf []string, texts []string) {
	for name := range Loaded() {
		d := get(name)
		for i := range d.fps {
			for _, e := range d.fps[i].Examples {
				dbsOf = append(dbsOf, name)
				texts = append(texts, e.Text)
			}
		}
	}
	if len(texts) == 0 {
		tb.Fatal("no examples")
	}
	return dbsOf, texts
}

// BenchmarkLookup matches Recog's own examples against their databases
// (first match wins, as in a sweep). Reported: texts fingerprinted per
// second.
//
//	go test -run '^$' -bench Lookup ./scan/recog
func BenchmarkLookup(b *testing.B) {
	names, texts := sample(b)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		i := n % len(texts)
		n++
		if _, ok := Lookup(names[i], texts[i]); !ok {
			b.Fatalf("%s: example %q matched nothing", names[i], texts[i])
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(n)/s, "fingerprints/s")
}

// BenchmarkLoad measures the first use: decompressing the table and
// compiling every pattern (a sweep compiles only those whose literal
// prefix a text passes).
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		load()
		for name := range dbs {
			d := dbs[name]
			for i := range d.fps {
				_, _ = compile(d.fps[i].Pattern, d.fps[i].Flags, false)
			}
		}
	}
}
