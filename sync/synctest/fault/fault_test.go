package fault_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/sync/synctest/fault"
)

func TestQueueOrder(t *testing.T) {
	get := httptest.NewRequest(http.MethodGet, "/", nil)
	post := httptest.NewRequest(http.MethodPost, "/", nil)
	pick := func(*http.Request) fault.Kind { return fault.Slow }
	tests := []struct {
		name        string
		all, writes []fault.Kind
		pick        func(*http.Request) fault.Kind
		reqs        []*http.Request
		want        []fault.Kind
	}{
		{"nothing queued, no picker", nil, nil, nil, []*http.Request{get, post}, []fault.Kind{fault.None, fault.None}},
		{"queue before picker", []fault.Kind{fault.Throttle}, nil, pick, []*http.Request{get, get}, []fault.Kind{fault.Throttle, fault.Slow}},
		{"writes queue skips reads", nil, []fault.Kind{fault.DropAfterCommit}, nil, []*http.Request{get, post, post},
			[]fault.Kind{fault.None, fault.DropAfterCommit, fault.None}},
		{"any-request queue first", []fault.Kind{fault.Unavailable}, []fault.Kind{fault.Malformed}, pick, []*http.Request{post, post, post},
			[]fault.Kind{fault.Unavailable, fault.Malformed, fault.Slow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q fault.Queue
			q.Add(tt.all...)
			q.AddWrites(tt.writes...)
			for i, r := range tt.reqs {
				if got := q.Next(r, r.Method == http.MethodPost, tt.pick); got != tt.want[i] {
					t.Errorf("request %d: %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		kind     fault.Kind
		wantCode int
		wantBody string
		dropped  bool
	}{
		{fault.None, http.StatusCreated, `{"result":"abcd"}`, false},
		{fault.Malformed, http.StatusOK, `{"result`, false},
		{fault.DropAfterCommit, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			var acted atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				acted.Add(1)
				rec.WriteHeader(http.StatusCreated)
				rec.WriteString(`{"result":"abcd"}`)
				fault.Answer(w, rec, tt.kind)
			}))
			defer srv.Close()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
			if tt.dropped {
				if err == nil {
					resp.Body.Close()
					t.Fatal("the connection was not dropped")
				}
				if n := acted.Load(); n != 1 {
					t.Errorf("acted %d times", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := make([]byte, 64)
			n, _ := resp.Body.Read(b)
			if resp.StatusCode != tt.wantCode || string(b[:n]) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b[:n], tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestWaitGivesUpWithClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	cancel()
	if fault.Wait(r, time.Hour) {
		t.Error("Wait outlived the client")
	}
	if !fault.Wait(httptest.NewRequest(http.MethodGet, "/", nil), time.Millisecond) {
		t.Error("Wait gave up without a reason")
	}
}

func TestKindNames(t *testing.T) {
	if got := fault.StatusError.String(); got != "status-error" {
		t.Errorf("StatusError = %q", got)
	}
	if got := fault.Kind(99).String(); got != "fault-99" {
		t.Errorf("Kind(99) = %q", got)
	}
}
