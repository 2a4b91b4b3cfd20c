package sync_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
)

// The sync benchmarks measure the client: connector, engine and store.
// The fake server and its records (hundreds of megabytes at a million
// records) live in another process, this test binary started again with
// fakeEnv set, so that the benchmark process's peak RSS and CPU are the
// client's alone.

// fakeEnv names the fake a re-executed test binary serves:
// "snow:RECORDS", "snipe:RECORDS" or "snipe-spread:RECORDS".
const fakeEnv = "ROUNDS_BENCH_FAKE"

// latencyPath sets the fake's added latency (?d=20ms): the setup runs
// at full speed, the timed part at the benchmark latency.
const latencyPath = "/__bench/latency"

// serveFake runs the fake spec names on a free loopback port, prints its
// URL on stdout and serves until stdin closes.
func serveFake(spec string) int {
	kind, n, _ := strings.Cut(spec, ":")
	records, err := strconv.Atoi(n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: want snow:N or snipe:N\n", fakeEnv, spec)
		return 2
	}
	var h http.Handler
	var setLatency func(time.Duration)
	switch kind {
	case "snow":
		f := snFake(records)
		h, setLatency = f, func(d time.Duration) { f.Latency = d }
	case "snipe":
		f := snipeFake(records, time.Second/10)
		h, setLatency = f, func(d time.Duration) { f.Latency = d }
	case "snipe-spread":
		f := snipeFake(records, time.Minute)
		h, setLatency = f, func(d time.Duration) { f.Latency = d }
	default:
		fmt.Fprintf(os.Stderr, "%s=%q: unknown fake\n", fakeEnv, spec)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc(latencyPath, func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// Set before any timed request is sent, and read only by
		// requests sent after this answer.
		setLatency(d)
	})
	mux.Handle("/", h)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Printf("URL http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin) // the parent closes stdin when done
	srv.Close()
	return 0
}

// startFake starts the fake in a child process and returns its URL, a
// function setting its latency and one stopping it.
func startFake(b *testing.B, kind string, records int) (string, func(time.Duration), func()) {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d", fakeEnv, kind, records))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() {
		in.Close()
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if err != nil || !ok {
		stop()
		b.Fatalf("fake %s: no URL (%q, %v)", kind, line, err)
	}
	slow := func(d time.Duration) {
		resp, err := http.Get(u + latencyPath + "?d=" + d.String())
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("fake %s: set latency: %s", kind, resp.Status)
		}
	}
	return u, slow, stop
}

func snFake(records int) *snfake.Server {
	fake := snfake.New()
	fake.User, fake.Password = "svc", "pw"
	for i := 0; i < 50; i++ {
		fake.Put("cmn_location", snfake.Record{"name": fmt.Sprintf("MAIN/%d/R-%d", i/10, i), "sys_id": fmt.Sprintf("loc-%d", i)})
	}
	fake.Put("cmdb_model", snfake.Record{"name": "Alaris 8015", "sys_id": "model-1"})
	fake.Put("core_company", snfake.Record{"name": "BD", "sys_id": "co-1"})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < records; i++ {
		tag := fmt.Sprintf("BME-%06d", i)
		fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": tag, "name": tag, "serial_number": "S" + tag,
			"install_status": "1", "location": fmt.Sprintf("loc-%d", i%50), "model_id": "model-1", "manufacturer": "co-1",
			"firmware_version": "1.0", "ip_address": fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
			"sys_updated_on": base.Add(time.Duration(i/10) * time.Second).Format("2006-01-02 15:04:05")})
	}
	return fake
}

// snipeFake holds records assets updated every, ten to a second as a bulk
// import leaves them (ties that the pull must handle), or spread out as
// an inventory edited over time.
func snipeFake(records int, every time.Duration) *snipefake.Server {
	fake := snipefake.New()
	fake.Token, fake.PerMinute = "tok", -1 // the throttle is left out here; see the report
	loc := fake.AddLocation("MAIN/1/R-1")
	model := fake.AddModel("BD", "Alaris 8015")
	status := fake.StatusID("Ready to Deploy")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < records; i++ {
		fake.Put(snipefake.Asset{Tag: fmt.Sprintf("BME-%06d", i), Serial: fmt.Sprintf("S%06d", i), ModelID: model,
			StatusID: status, LocationID: loc, UpdatedAt: base.Add(time.Duration(i) * every).Truncate(time.Second).Format("2006-01-02 15:04:05")})
	}
	return fake
}
