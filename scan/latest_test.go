package scan

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestLatestMatchesKey: Latest de-duplicates exactly by Key, keeping the
// last observation of each key in first-seen order, on random mixes of IP
// hosts, BLE addresses and rotating groups (a group key may even equal
// an address, as Key's shared "ble:" space allows).
func TestLatestMatchesKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var obs []Observation
		for i := 0; i < r.IntN(40); i++ {
			o := Observation{Source: SourceIP, IP: netip.AddrFrom4([4]byte{127, 0, 0, byte(r.IntN(5))}), Ports: []int{i}}
			switch r.IntN(4) {
			case 1:
				o = Observation{Source: SourceBLE, BLE: &BLE{Address: []string{"A", "B", "G1"}[r.IntN(3)], Count: i}}
			case 2:
				o = Observation{Source: SourceBLE, BLE: &BLE{Address: "X", GroupKey: []string{"G1", "G2"}[r.IntN(2)], Count: i}}
			case 3:
				o = Observation{Source: SourceBLE, IP: o.IP} // no BLE facts: keyed as IP
			}
			obs = append(obs, o)
		}
		// The reference: by Key strings.
		idx := map[string]int{}
		var want []Observation
		for _, o := range obs {
			if i, ok := idx[o.Key()]; ok {
				want[i] = o
				continue
			}
			idx[o.Key()] = len(want)
			want = append(want, o)
		}
		got := Latest(obs)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d kept, want %d", round, len(got), len(want))
		}
		for i := range got {
			if got[i].Key() != want[i].Key() || (got[i].BLE != want[i].BLE) || len(got[i].Ports) != len(want[i].Ports) || (len(got[i].Ports) > 0 && got[i].Ports[0] != want[i].Ports[0]) {
				t.Fatalf("round %d: #%d = %+v, want %+v", round, i, got[i], want[i])
			}
		}
	}
}
