package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkReconcile: a node missing d of M = 100,000 ops reconciles with
// a node that holds them all. The missing ops are either the newest (a
// member who was away) or spread at random (a healed partition). Reported:
// round trips, bytes both ways, bytes per missing op, and the bytes of the
// baseline that sends the full id list (32 bytes an op) in one round trip.
func BenchmarkReconcile(b *testing.B) {
	const m = 100_000
	r := rand.New(rand.NewPCG(9, 9))
	full := make([]Item, m)
	for i := range full {
		full[i] = randomItem(r, 1)
		full[i].Key = Rank(i%10 != 0, uint64(i/7+1)) // a control op in ten, heights shared by several ops
	}
	slices.SortFunc(full, Item.compare)
	for _, d := range []int{1, 100, 1000} {
		for _, where := range []string{"newest", "random"} {
			missing := map[int]bool{}
			for len(missing) < d {
				if where == "newest" {
					missing[m-1-len(missing)] = true
				} else {
					missing[r.IntN(m)] = true
				}
			}
			var have []Item
			for i, it := range full {
				if !missing[i] {
					have = append(have, it)
				}
			}
			a, all := NewSet(have), NewSet(slices.Clone(full))
			b.Run(fmt.Sprintf("d=%d/%s", d, where), func(b *testing.B) {
				var rounds, sent int
				for b.Loop() {
					aRes, _, rt, n := session(b, a, all)
					if len(aRes.Need) != d {
						b.Fatalf("found %d of %d missing", len(aRes.Need), d)
					}
					rounds, sent = rt, n
				}
				b.ReportMetric(float64(rounds), "round-trips")
				b.ReportMetric(float64(sent), "bytes")
				b.ReportMetric(float64(sent-32*d)/float64(d), "overhead-B/missing")
				b.ReportMetric(float64(32*m), "full-id-list-bytes")
			})
		}
	}
}
