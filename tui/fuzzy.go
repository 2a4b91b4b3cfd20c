package tui

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fuzzyScore scores how well pattern matches s as a subsequence, ignoring
// case: consecutive runs and matches at word starts score higher, as in
// editors' file pickers. It returns false when pattern is not a
// subsequence of s.
func fuzzyScore(pattern, s string) (int, bool) {
	if pattern == "" {
		return 0, true
	}
	score, run := 0, 0
	pi := 0
	prev := ' '
	pr, psize := utf8.DecodeRuneInString(pattern)
	pr = unicode.ToLower(pr)
	for i, r := range s {
		lr := unicode.ToLower(r)
		if lr == pr {
			score++
			if run > 0 {
				score += 2 * run
			}
			if i == 0 || !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
				score += 3
			}
			run++
			pi += psize
			if pi == len(pattern) {
				return score, true
			}
			pr, psize = utf8.DecodeRuneInString(pattern[pi:])
			pr = unicode.ToLower(pr)
		} else {
			run = 0
		}
		prev = r
	}
	return 0, false
}

// fuzzyFilter returns the indexes of the items matching pattern, best
// first (ties keep their order), at most limit of them. An exact
// substring match beats any scattered one.
func fuzzyFilter(pattern string, n int, text func(int) string, limit int) []int {
	pattern = strings.TrimSpace(pattern)
	type hit struct{ i, score int }
	var hits []hit
	lp := strings.ToLower(pattern)
	for i := 0; i < n; i++ {
		t := text(i)
		sc, ok := fuzzyScore(pattern, t)
		if !ok {
			continue
		}
		if pattern != "" && strings.Contains(strings.ToLower(t), lp) {
			sc += 1000
		}
		hits = append(hits, hit{i, sc})
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.i
	}
	return out
}
