package node

import (
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

func testKeys(n int) []crdt.PublicKey {
	keys := make([]crdt.PublicKey, n)
	for i := range keys {
		keys[i][0], keys[i][1], keys[i][2] = byte(i), byte(i>>8), byte(i>>16)
	}
	return keys
}

// TestSafetyNumbersCached: a member's safety number is computed once,
// then read from the cache, in the order asked; the cache stays bounded.
func TestSafetyNumbersCached(t *testing.T) {
	var calls atomic.Int64
	c := &safetyCache{compute: func(k []byte) string { calls.Add(1); return identity.SafetyNumber(k) }}
	keys := testKeys(40)
	first := c.numbers(keys)
	for i, k := range keys {
		if want := identity.SafetyNumber(k[:]); first[i] != want {
			t.Fatalf("key %d: %q, want %q", i, first[i], want)
		}
	}
	if calls.Load() != 40 {
		t.Fatalf("%d computed, want 40", calls.Load())
	}
	again := c.numbers(append(keys[20:], testKeys(45)[40:]...))
	if calls.Load() != 45 {
		t.Fatalf("%d computed after asking for 20 known and 5 new keys, want 45", calls.Load())
	}
	if again[0] != first[20] || again[19] != first[39] {
		t.Fatal("cached numbers out of order")
	}

	c = &safetyCache{compute: func([]byte) string { return "x" }}
	c.numbers(testKeys(maxSafetyCached + 10))
	if len(c.m) != maxSafetyCached {
		t.Fatalf("%d numbers kept, want at most %d", len(c.m), maxSafetyCached)
	}
}

// BenchmarkSafetyNumbers5000 measures the safety numbers of a 5,000-member
// community's members list, which the info pane reads on each change of
// who is online: the first time (computed on every core, and as the
// node's background fill does it) and after.
func BenchmarkSafetyNumbers5000(b *testing.B) {
	keys := testKeys(5000)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			c := &safetyCache{}
			c.numbers(keys)
		}
	})
	b.Run("background", func(b *testing.B) { // as a node fills a big list: all cores but one
		for b.Loop() {
			c := &safetyCache{}
			out, missing := c.lookup(keys)
			c.fill(keys, missing, out, max(1, runtime.GOMAXPROCS(0)-1))
		}
	})
	b.Run("warm", func(b *testing.B) {
		c := &safetyCache{}
		c.numbers(keys)
		b.ReportAllocs()
		for b.Loop() {
			c.numbers(keys)
		}
	})
}

// TestSafetyNumbersLazyForBigLists: a members list missing a few safety
// numbers computes them before it returns; one missing many returns at
// once without them, computes them in the background and then says so
// with EventPeers.
func TestSafetyNumbersLazyForBigLists(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sn := newSimNet(t)
		n := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer n.Close()
		few := testKeys(safetyInline)
		for i, s := range n.safetyNumbers(few) {
			if s != identity.SafetyNumber(few[i][:]) {
				t.Fatalf("few keys: number %d is %q", i, s)
			}
		}
		events, cancel := n.Subscribe()
		defer cancel()
		many := testKeys(safetyInline + 200)[safetyInline:]
		for i, s := range n.safetyNumbers(many) {
			if s != "" {
				t.Fatalf("many keys: number %d computed before returning", i)
			}
		}
		for e := range events {
			if e.Kind == api.EventPeers {
				break
			}
		}
		for i, s := range n.safetyNumbers(many) {
			if s != identity.SafetyNumber(many[i][:]) {
				t.Fatalf("many keys after EventPeers: number %d is %q", i, s)
			}
		}
	})
}
