package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
)

// TestTableMatchesTabwriter: a listing that fits one block is byte for
// byte what text/tabwriter printed before the table streamed.
func TestTableMatchesTabwriter(t *testing.T) {
	tests := map[string][][]string{
		"header only": nil,
		"plain": {{"BME-1", "infusion pump", "BD Alaris", "MAIN/3/3W-12", "in_service", "12.1", "10.0.0.1", "00:09:fb:00:00:01"},
			{"BME-22", "", " ", "", "missing", "", "", ""}},
		"wide runes": {{"Ü-1", "moniteur de fréquence", "日本光電 BSM", "東/1/室", "in_service", "v1", "", ""},
			{"A", "b", "c", "d", "e", "f", "g", "h"}},
		"a full block": func() [][]string {
			var rs [][]string
			for i := range tableBlock {
				rs = append(rs, []string{fmt.Sprint("T-", i), strings.Repeat("x", i%17), "m", "r", "s", "f", "ip", "mac"})
			}
			return rs
		}(),
	}
	header := []string{"ASSET TAG", "CLASS", "MODEL", "ROOM", "STATUS", "FIRMWARE", "IP", "MAC"}
	for name, rows := range tests {
		var want, got bytes.Buffer
		tw := tabwriter.NewWriter(&want, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		tw.Flush()
		tb := newTable(&got, header...)
		for _, r := range rows {
			if err := tb.row(r...); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.flush(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %q\nwant %q", name, got.String(), want.String())
		}
	}
}

// TestTableStreams: past the first block rows are written in the frozen
// widths without being held (memory stays bounded), a wider cell only
// pushes its own line, and no row is lost.
func TestTableStreams(t *testing.T) {
	var out bytes.Buffer
	tb := newTable(&out, "TAG", "CLASS", "MAC")
	n := 3*tableBlock + 5
	for i := range n {
		class := "pump"
		if i == 2*tableBlock {
			class = "a much longer class than the first block had"
		}
		if err := tb.row(fmt.Sprintf("T-%05d", i), class, "00:09:fb:00:00:01"); err != nil {
			t.Fatal(err)
		}
		if i == 2*tableBlock && len(tb.rows) != 0 {
			t.Fatalf("%d rows held after the first block", len(tb.rows))
		}
	}
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d lines, want %d", len(lines), n+1)
	}
	for i, l := range lines[1:] {
		want := fmt.Sprintf("T-%05d  pump   00:09:fb:00:00:01", i)
		if i == 2*tableBlock {
			want = fmt.Sprintf("T-%05d  a much longer class than the first block had  00:09:fb:00:00:01", i)
		}
		if l != want {
			t.Fatalf("line %d = %q, want %q", i+2, l, want)
		}
	}
}
