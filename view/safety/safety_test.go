package safety

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

func testKeys(n int) []crdt.PublicKey {
	keys := make([]crdt.PublicKey, n)
	for i := range keys {
		keys[i][0], keys[i][1], keys[i][2] = byte(i), byte(i>>8), byte(i>>16)
	}
	return keys
}

// TestNoNetwork: the cache builds without the network and storage stacks.
func TestNoNetwork(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "umbrella/sync/", "=net")
}

// TestSafetyNumbersCached: a member's safety number is computed once,
// then read from the cache, in the order asked; the cache stays bounded.
func TestSafetyNumbersCached(t *testing.T) {
	var calls atomic.Int64
	c := New(nil)
	defer c.Close()
	c.compute = func(k []byte) string { calls.Add(1); return identity.SafetyNumber(k) }
	keys := testKeys(40)
	first := c.Numbers(keys)
	for i, k := range keys {
		if want := identity.SafetyNumber(k[:]); first[i] != want {
			t.Fatalf("key %d: %q, want %q", i, first[i], want)
		}
	}
	if calls.Load() != 40 {
		t.Fatalf("%d computed, want 40", calls.Load())
	}
	again := c.Numbers(append(keys[20:], testKeys(45)[40:]...))
	if calls.Load() != 45 {
		t.Fatalf("%d computed after asking for 20 known and 5 new keys, want 45", calls.Load())
	}
	if again[0] != first[20] || again[19] != first[39] {
		t.Fatal("cached numbers out of order")
	}

	c = New(nil)
	defer c.Close()
	c.compute = func([]byte) string { return "x" }
	c.Numbers(testKeys(maxCached + 10))
	if len(c.m) != maxCached {
		t.Fatalf("%d numbers kept, want at most %d", len(c.m), maxCached)
	}
}

// TestSafetyNumbersLazyForBigLists: a members list missing a few safety
// numbers computes them before it returns; one missing many returns at
// once without them, computes them in the background and then says so.
func TestSafetyNumbersLazyForBigLists(t *testing.T) {
	filled := make(chan struct{}, 1)
	c := New(func() { filled <- struct{}{} })
	defer c.Close()
	few := testKeys(inline)
	for i, s := range c.List(few) {
		if s != identity.SafetyNumber(few[i][:]) {
			t.Fatalf("few keys: number %d is %q", i, s)
		}
	}
	select {
	case <-filled:
		t.Fatal("a list missing few numbers started a background fill")
	default:
	}
	many := testKeys(inline + 200)[inline:]
	for i, s := range c.List(many) {
		if s != "" {
			t.Fatalf("many keys: number %d computed before returning", i)
		}
	}
	<-filled
	for i, s := range c.List(many) {
		if s != identity.SafetyNumber(many[i][:]) {
			t.Fatalf("many keys after the fill: number %d is %q", i, s)
		}
	}
}

// TestCloseStopsTheFill: Close stops a background fill and waits for it;
// a list asked for after Close starts none.
func TestCloseStopsTheFill(t *testing.T) {
	var calls atomic.Int64
	filled := make(chan struct{}, 2)
	c := New(func() { filled <- struct{}{} })
	c.compute = func([]byte) string { calls.Add(1); return "x" }
	c.List(testKeys(10 * inline))
	c.Close()
	c.Close()
	if len(filled) != 1 {
		t.Fatalf("%d fills ended by Close, want the one started", len(filled))
	}
	before := calls.Load()
	c.List(testKeys(20 * inline))
	if calls.Load() != before || len(filled) != 1 {
		t.Fatal("a list after Close started a background fill")
	}
}

// BenchmarkSafetyNumbers5000 measures the safety numbers of a 5,000-member
// community's members list, which the info pane reads on each change of
// who is online: the first time (computed on every core, and as the
// background fill does it) and after.
func BenchmarkSafetyNumbers5000(b *testing.B) {
	keys := testKeys(5000)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			c := New(nil)
			c.Numbers(keys)
		}
	})
	b.Run("background", func(b *testing.B) { // as a big list is filled: all cores but one
		for b.Loop() {
			c := New(nil)
			out, missing := c.lookup(keys)
			c.fill(keys, missing, out, max(1, runtime.GOMAXPROCS(0)-1))
		}
	})
	b.Run("warm", func(b *testing.B) {
		c := New(nil)
		c.Numbers(keys)
		b.ReportAllocs()
		for b.Loop() {
			c.Numbers(keys)
		}
	})
}
