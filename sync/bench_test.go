package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/synctest"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// The benchmark: against the local fake with 20 ms of latency per
// request, push 10,000 queued changes and pull 100,000 records (or
// ROUNDS_BENCH_PULL); report wall time, CPU, requests, bytes and the
// client's peak RSS (peak-rss-MB: the fake runs in its own process, see
// benchfake_test.go). Run with -benchtime=1x:
//
//	go test -run '^$' -bench . -benchtime=1x ./sync/

const latency = 20 * time.Millisecond

// benchServer is a fake loaded with records, in its own process, and a
// connector to it.
type benchServer struct {
	cl   *transport.Client
	conn sync.Connector
	// slow sets the fake's latency once the setup is done.
	slow func(time.Duration)
	done func()
}

func snBench(b *testing.B, records int) benchServer {
	u, slow, stop := startFake(b, "snow", records)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cl := synctest.Client(b, transport.Config{BaseURL: u, AllowInsecureHTTP: true, Auth: transport.Basic("svc", secret.New("pw")), RoundTripper: tr})
	conn, err := servicenow.New(servicenow.Config{Client: cl})
	if err != nil {
		stop()
		b.Fatal(err)
	}
	return benchServer{cl: cl, conn: conn, slow: slow, done: func() { tr.CloseIdleConnections(); stop() }}
}

func snipeBench(b *testing.B, records int) benchServer {
	return snipeBenchOf(b, "snipe", records)
}

func snipeBenchOf(b *testing.B, kind string, records int) benchServer {
	u, slow, stop := startFake(b, kind, records)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cl := synctest.Client(b, transport.Config{BaseURL: u, AllowInsecureHTTP: true, Auth: transport.Bearer(secret.New("tok")), RoundTripper: tr})
	conn, err := snipeit.New(snipeit.Config{Client: cl})
	if err != nil {
		stop()
		b.Fatal(err)
	}
	return benchServer{cl: cl, conn: conn, slow: slow, done: func() { tr.CloseIdleConnections(); stop() }}
}

func report(b *testing.B, cl *transport.Client, before transport.Stats, changes int, wall, cpu time.Duration) {
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	if mb := peakRSS(); mb > 0 {
		b.ReportMetric(mb, "peak-rss-MB")
	}
	st := cl.Stats()
	req := st.Requests - before.Requests
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(req), "requests")
	b.ReportMetric(float64(st.BytesSent-before.BytesSent), "bytes-sent")
	b.ReportMetric(float64(st.BytesReceived-before.BytesReceived), "bytes-received")
	if changes > 0 && req > 0 {
		b.ReportMetric(float64(changes)/float64(req), "changes/request")
	}
}

// benchPush pulls n records from the fake setup makes, edits each of them
// locally with edit, and times pushing the n changes at the benchmark
// latency.
func benchPush(b *testing.B, n int, target string, setup func(*testing.B, int) benchServer, edit func(*store.Device)) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := setup(b, n)
		st := synctest.Store(b)
		eng := &sync.Engine{Store: st, Target: target, Conn: srv.conn}
		if _, err := eng.Pull(ctx); err != nil {
			b.Fatal(err)
		}
		err := st.Write(ctx, "tech", func(w *store.Writer) error {
			for k := 0; k < n; k++ {
				if _, err := w.UpdateDevice(fmt.Sprintf("BME-%06d", k), store.OpUpdate, func(d *store.Device) error {
					edit(d)
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		srv.slow(latency)
		before := srv.cl.Stats()
		resetPeakRSS()
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		rep, err := eng.Push(ctx)
		wall, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		if err != nil || rep.Acked != n {
			b.Fatalf("push: %+v, %v", rep, err)
		}
		report(b, srv.cl, before, n, wall, cpu)
		srv.done()
	}
}

// benchPull times pulling ROUNDS_BENCH_PULL (default 100,000) records
// into an empty store at the benchmark latency.
func benchPull(b *testing.B, target string, setup func(*testing.B, int) benchServer) {
	n := synctest.EnvInt("ROUNDS_BENCH_PULL", 100000)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := setup(b, n)
		eng := &sync.Engine{Store: synctest.Store(b), Target: target, Conn: srv.conn}
		srv.slow(latency)
		before := srv.cl.Stats()
		resetPeakRSS()
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		rep, err := eng.Pull(ctx)
		wall, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		if err != nil || rep.Created != n {
			b.Fatalf("pull: %+v, %v", rep, err)
		}
		report(b, srv.cl, before, 0, wall, cpu)
		b.ReportMetric(float64(n)/wall.Seconds(), "records/s")
		srv.done()
	}
}

func BenchmarkServiceNowPush10k(b *testing.B) {
	benchPush(b, 10000, "snow", snBench, func(d *store.Device) { d.FirmwareVersion = "2.0" })
}

func BenchmarkServiceNowPull100k(b *testing.B) { benchPull(b, "snow", snBench) }

// BenchmarkSnipeITPush1k pushes 1,000 changes. Snipe-IT has no batch
// endpoint: a PATCH per device, and before them a listing of what changed
// since the pull (and its archived pass) to catch central edits. The
// assets were updated a minute apart, as an inventory edited over time:
// with the bulk-import timestamps of the pull benchmark (ten a second)
// all 1,000 fall inside the pull's two-minute overlap and the listing
// reads them all (10 more pages). The throttle is off; its pacing is
// tested in snipeit's TestPushRequestsAndPacing. With the default 120 a
// minute, 1,002 requests take at least 8 minutes.
func BenchmarkSnipeITPush1k(b *testing.B) {
	benchPush(b, 1000, "snipe", func(b *testing.B, n int) benchServer { return snipeBenchOf(b, "snipe-spread", n) },
		func(d *store.Device) { d.Serial = "X" + d.Serial })
}

func BenchmarkSnipeITPull100k(b *testing.B) { benchPull(b, "snipe", snipeBench) }
