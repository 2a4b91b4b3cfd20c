package tui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestScannerBursts feeds the scanner layer keys at given gaps and checks
// whether Enter ends a scan or is a key.
func TestScannerBursts(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		text string
		gaps []time.Duration // before each key after the first, then before Enter
		scan bool
	}{
		{"scanner at 5 ms", "BME-3021", []time.Duration{5 * ms}, true},
		{"scanner at 1 ms", "LOC-DEMO-3W14", []time.Duration{ms}, true},
		{"one late key on a busy machine", "BME-3021", []time.Duration{5 * ms, 5 * ms, 80 * ms, 5 * ms}, true},
		{"two late keys", "BME-3021", []time.Duration{5 * ms, 50 * ms, 5 * ms, 50 * ms, 5 * ms}, false},
		{"a pause longer than a hiccup", "BM", []time.Duration{5 * ms, 200 * ms}, false},
		{"fast typist at 45 ms", "cmx", []time.Duration{45 * ms}, false},
		{"person at 150 ms", "BME-1", []time.Duration{150 * ms}, false},
		{"too short", "ab", []time.Duration{2 * ms}, false},
		{"enter long after", "BME-3021", []time.Duration{5 * ms, 5 * ms, 5 * ms, 5 * ms, 5 * ms, 5 * ms, 5 * ms, 300 * ms}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			s := newScanner(Options{keyClock: func() time.Time { return now },
				scanTimer: func(time.Duration, int) tea.Cmd { return nil }})
			gap := func(i int) time.Duration { return tt.gaps[min(i, len(tt.gaps)-1)] }
			var keys []tea.KeyPressMsg
			i := 0
			for j, r := range tt.text {
				if j > 0 {
					now = now.Add(gap(i))
					i++
				}
				res := s.key(keyMsg(string(r)))
				keys = append(keys, res.keys...)
			}
			now = now.Add(gap(i))
			res := s.key(keyMsg("enter"))
			keys = append(keys, res.keys...)
			if got := res.scan != ""; got != tt.scan {
				t.Fatalf("scan %q, keys %d; want scan %v", res.scan, len(keys), tt.scan)
			}
			if tt.scan && (res.scan != tt.text || len(keys) != 0) {
				t.Fatalf("scan %q with %d keys handed on", res.scan, len(keys))
			}
			if !tt.scan && len(keys) != len([]rune(tt.text))+1 {
				t.Fatalf("%d keys handed on, want every key and enter", len(keys))
			}
		})
	}
}

// Keys typed before a pause go on as keys; the burst after it is the scan.
func TestScannerKeysThenScan(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := newScanner(Options{keyClock: func() time.Time { return now },
		scanTimer: func(time.Duration, int) tea.Cmd { return nil }})
	var keys []tea.KeyPressMsg
	for _, r := range "xx" {
		keys = append(keys, s.key(keyMsg(string(r))).keys...)
		now = now.Add(300 * time.Millisecond)
	}
	var res result
	for _, r := range "BME-9001" {
		res = s.key(keyMsg(string(r)))
		keys = append(keys, res.keys...)
		now = now.Add(5 * time.Millisecond)
	}
	res = s.key(keyMsg("enter"))
	if res.scan != "BME-9001" || len(keys) != 2 || keys[0].Text != "x" {
		t.Fatalf("scan %q after %d keys", res.scan, len(keys))
	}
}

// FuzzScanner feeds arbitrary keystrokes at arbitrary gaps: nothing
// panics and no keystroke is lost or duplicated: every one comes out as a
// key or inside a scan.
func FuzzScanner(f *testing.F) {
	f.Add("BME-3021\r", []byte{5, 5, 5, 5, 5, 5, 5, 5, 5})
	f.Add("cmx\r", []byte{200, 200, 200, 1})
	f.Add("LOC-DEMO-3W14\t", []byte{1})
	f.Add("ab\x00\r\r\r", []byte{0, 255})
	f.Fuzz(func(t *testing.T, text string, gaps []byte) {
		if len(text) > 256 {
			return
		}
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		s := newScanner(Options{keyClock: func() time.Time { return now },
			scanTimer: func(time.Duration, int) tea.Cmd { return nil }})
		in, out := 0, 0
		for i, r := range text {
			if len(gaps) > 0 {
				now = now.Add(time.Duration(gaps[i%len(gaps)]) * time.Millisecond)
			}
			k := tea.KeyPressMsg{Code: r, Text: string(r)}
			switch r {
			case '\r':
				k = tea.KeyPressMsg{Code: tea.KeyEnter}
			case '\t':
				k = tea.KeyPressMsg{Code: tea.KeyTab}
			}
			in++
			res := s.key(k)
			out += len(res.keys)
			if res.scan != "" {
				out += len([]rune(res.scan)) + 1 // its characters and the Enter
			}
			if i%7 == 0 {
				ks, _ := s.flush(s.gen)
				out += len(ks)
			}
		}
		for range 6 {
			ks, _ := s.flush(s.gen)
			out += len(ks)
		}
		if in != out {
			t.Fatalf("%d keys in, %d out", in, out)
		}
	})
}

// A slow frame between two keys of a burst is not a pause: on a loaded
// machine every key can wait behind a frame longer than the gap.
func TestScannerSlowFrames(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := newScanner(Options{keyClock: func() time.Time { return now },
		scanTimer: func(time.Duration, int) tea.Cmd { return nil }})
	var keys []tea.KeyPressMsg
	for _, r := range "bme-3002" {
		keys = append(keys, s.key(keyMsg(string(r))).keys...)
		now = now.Add(45 * time.Millisecond) // drawing a frame
		s.drew()
		now = now.Add(time.Millisecond) // the next key was already queued
	}
	res := s.key(keyMsg("enter"))
	if res.scan != "bme-3002" || len(keys) != 0 {
		t.Fatalf("scan %q, %d keys handed on", res.scan, len(keys))
	}
	// A timer that fires right after a frame, with keys still queued,
	// waits rather than handing the burst on as keys.
	s.key(keyMsg("x"))
	s.drew()
	if ks, _ := s.flush(s.gen); len(ks) != 0 {
		t.Fatalf("flushed %d keys right after a frame", len(ks))
	}
}
