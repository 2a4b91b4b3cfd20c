package synctest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/sync"
)

// Conn is what the contract suite speaks to: a connector that can also
// fetch records by asset tag.
type Conn interface {
	sync.Connector
	sync.Fetcher
}

// Contract runs the steps of a connector contract suite. It speaks only
// through the connector, so a suite runs unchanged against the fake and
// a real server; against a real one it leaves records tagged
// ROUNDS-CT-*, since rounds never deletes.
type Contract struct {
	T    *testing.T
	Ctx  context.Context
	Conn Conn
	// Tag is the asset tag of the record the suite creates, unique per run.
	Tag string
}

// RunTargets runs suite against each named target, the fake always and
// "real" only when the environment variable realEnv is set (real is
// then called to build the connector); it logs how to run the real one.
func RunTargets[C any](t *testing.T, realEnv string, fake, real func(*testing.T) C, suite func(*testing.T, C)) {
	targets := map[string]func(*testing.T) C{"fake": fake}
	if os.Getenv(realEnv) != "" {
		targets["real"] = real
	}
	for name, mk := range targets {
		t.Run(name, func(t *testing.T) { suite(t, mk(t)) })
	}
	if os.Getenv(realEnv) == "" {
		t.Logf("real server skipped: set %s and its companions (see the suite's comment) to run it", realEnv)
	}
}

// NewContract starts a contract run bounded by timeout.
func NewContract(t *testing.T, conn Conn, timeout time.Duration) *Contract {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return &Contract{T: t, Ctx: ctx, Conn: conn, Tag: fmt.Sprintf("ROUNDS-CT-%d-%06d", time.Now().Unix(), rand.IntN(1e6))}
}

// Must fails the test on err.
func (c *Contract) Must(err error) {
	c.T.Helper()
	if err != nil {
		c.T.Fatal(err)
	}
}

// Push sends one op and returns its one result, which must carry the op's ID.
func (c *Contract) Push(op sync.Op) sync.Result {
	c.T.Helper()
	res, err := c.Conn.Push(c.Ctx, []sync.Op{op})
	c.Must(err)
	if len(res) != 1 || res[0].ID != op.ID {
		c.T.Fatalf("results = %+v", res)
	}
	return res[0]
}

// Fetch reads the server's records for the run's tag.
func (c *Contract) Fetch() []sync.Record {
	c.T.Helper()
	recs, err := c.Conn.Fetch(c.Ctx, []string{c.Tag})
	c.Must(err)
	return recs
}

// CreateTwice creates the run's record with set, then sends the same
// create again as after a lost answer: both must be acknowledged with
// the same remote record, and the server must hold exactly one, whose
// fields named in check read as set.
func (c *Contract) CreateTwice(set map[string]string, check ...string) sync.Result {
	c.T.Helper()
	create := sync.Op{ID: "ct-create-" + c.Tag, AssetTag: c.Tag, Create: true, Set: set}
	r1 := c.Push(create)
	if r1.Outcome != sync.Acked || r1.RemoteID == "" {
		c.T.Fatalf("create: %+v", r1)
	}
	create.Retry = true
	if r2 := c.Push(create); r2.Outcome != sync.Acked || r2.RemoteID != r1.RemoteID {
		c.T.Fatalf("retried create: %+v, first %+v", r2, r1)
	}
	recs := c.Fetch()
	if len(recs) != 1 || recs[0].RemoteID != r1.RemoteID {
		c.T.Fatalf("after two creates: %+v", recs)
	}
	for _, f := range check {
		if v := set[f]; recs[0].Fields[f] != v {
			c.T.Fatalf("after two creates: %s = %q, want %q: %+v", f, recs[0].Fields[f], v, recs)
		}
	}
	return r1
}

// UpdateTwice sets set on the record remoteID with a note "contract
// note", then sends the same op again as a retry: it must be
// acknowledged and the note must stand in the server's notes once.
func (c *Contract) UpdateTwice(remoteID string, set map[string]string) []sync.Record {
	c.T.Helper()
	note := sync.Note{ID: "ct-note-" + c.Tag, At: time.Now(), Actor: "contract", Text: "contract note"}
	upd := sync.Op{ID: "ct-upd-" + c.Tag, AssetTag: c.Tag, RemoteID: remoteID, Set: set, Notes: []sync.Note{note}, Server: map[string]string{}}
	r := c.Push(upd)
	if r.Outcome != sync.Acked {
		c.T.Fatalf("update: %+v", r)
	}
	upd.Server, upd.Retry = r.Server, true
	c.Push(upd)
	recs := c.Fetch()
	if len(recs) != 1 || strings.Count(recs[0].Fields[sync.FieldNotes], "contract note") != 1 {
		c.T.Fatalf("after update: %+v", recs)
	}
	for f, v := range set {
		if recs[0].Fields[f] != v {
			c.T.Fatalf("after update: %s = %q, want %q: %+v", f, recs[0].Fields[f], v, recs)
		}
	}
	return recs
}

// PullFinds reports whether an incremental pull from mark returns the
// run's record with every field of want and, with noteOnce, the note of
// UpdateTwice exactly once.
func (c *Contract) PullFinds(mark sync.Mark, want map[string]string, noteOnce bool) bool {
	c.T.Helper()
	found := false
	c.Must(c.Conn.Pull(c.Ctx, mark, func(_ context.Context, p sync.Page) error {
		for _, r := range p.Records {
			if r.AssetTag != c.Tag || noteOnce && strings.Count(r.Fields[sync.FieldNotes], "contract note") != 1 {
				continue
			}
			ok := true
			for f, v := range want {
				ok = ok && r.Fields[f] == v
			}
			found = found || ok
		}
		return nil
	}))
	return found
}

// RejectsUnknownLocation moves the record to a location that does not
// exist: the server's refusal must come back as Rejected with its words.
func (c *Contract) RejectsUnknownLocation(remoteID string) {
	c.T.Helper()
	bad := c.Push(sync.Op{ID: "ct-bad-" + c.Tag, AssetTag: c.Tag, RemoteID: remoteID,
		Set: map[string]string{sync.FieldLocation: "NO SUCH ROOM " + c.Tag}})
	if bad.Outcome != sync.Rejected || !strings.Contains(bad.Message, "NO SUCH ROOM") {
		c.T.Errorf("unknown location: %+v", bad)
	}
}
