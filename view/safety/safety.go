// Package safety keeps members' safety numbers (identity.SafetyNumber) for
// the members lists that show them. Each costs 5,200 SHA-512 rounds
// (2.5–3.5 ms), and the members list of a 5,000-member community is read
// again on every change of who is online: recomputing them would stall the
// app for seconds each time.
//
// A Cache computes what a list misses on every core when it is a few, and
// in the background (one goroutine, which Close stops and waits for) when
// it is many. It never imports the network stack.
package safety

import (
	"context"
	"runtime"
	"sync"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

// Cache remembers members' safety numbers, at most maxCached of them. It
// is safe for concurrent use.
type Cache struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// filled is called after a background fill ends.
	filled func()

	mu sync.Mutex
	m  map[crdt.PublicKey]string // guarded by mu
	// filling: a background fill runs; guarded by mu.
	filling bool
	// compute is identity.SafetyNumber; tests count its calls.
	compute func([]byte) string
}

// New returns an empty cache. filled, if not nil, is called (on the fill's
// goroutine) when a background fill that List started has ended, so that
// lists on screen read the numbers again.
func New(filled func()) *Cache {
	c := &Cache{filled: filled, compute: identity.SafetyNumber}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Close stops a background fill and waits for it. It is idempotent.
func (c *Cache) Close() {
	c.mu.Lock()
	c.cancel() // under mu: List checks ctx and adds to wg under mu
	c.mu.Unlock()
	c.wg.Wait()
}

// lookup returns the known safety numbers of keys, in order ("" for the
// others), and the indices of the others.
func (c *Cache) lookup(keys []crdt.PublicKey) (out []string, missing []int) {
	out = make([]string, len(keys))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		if s, ok := c.m[k]; ok {
			out[i] = s
		} else {
			missing = append(missing, i)
		}
	}
	return out, missing
}

// fill computes the safety numbers of keys[i] for i in missing into out
// on workers goroutines, and remembers them.
func (c *Cache) fill(keys []crdt.PublicKey, missing []int, out []string, workers int) {
	c.mu.Lock()
	compute := c.compute
	c.mu.Unlock()
	workers = max(1, min(workers, len(missing)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for j := w; j < len(missing); j += workers {
				i := missing[j]
				out[i] = compute(keys[i][:])
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[crdt.PublicKey]string)
	}
	for _, i := range missing {
		if len(c.m) >= maxCached {
			break
		}
		c.m[keys[i]] = out[i]
	}
}

// Numbers returns the safety numbers of keys, in order, computing the
// ones not known yet on every core.
func (c *Cache) Numbers(keys []crdt.PublicKey) []string {
	out, missing := c.lookup(keys)
	if len(missing) > 0 {
		c.fill(keys, missing, out, runtime.GOMAXPROCS(0))
	}
	return out
}

// List returns the safety numbers of keys for a members list. When more
// than inline are not known yet (a big community's first list since the
// node started) it leaves those empty and computes them in the
// background, leaving a core free, then calls the filled function given
// to New. Nothing computes them before a list asks: a relay never does.
func (c *Cache) List(keys []crdt.PublicKey) []string {
	out, missing := c.lookup(keys)
	switch {
	case len(missing) == 0:
	case len(missing) <= inline:
		c.fill(keys, missing, out, runtime.GOMAXPROCS(0))
	default:
		c.mu.Lock()
		start := !c.filling && c.ctx.Err() == nil
		c.filling = c.filling || start
		if start {
			c.wg.Add(1) // under mu, so that Close's Wait sees it
		}
		c.mu.Unlock()
		if start {
			todo := make([]crdt.PublicKey, len(missing))
			for j, i := range missing {
				todo[j] = keys[i]
			}
			go func() {
				defer c.wg.Done()
				c.background(todo)
				c.mu.Lock()
				c.filling = false
				c.mu.Unlock()
				if c.filled != nil {
					c.filled()
				}
			}()
		}
	}
	return out
}

// background computes the safety numbers of keys not known yet on all
// cores but one, in slices, so that a close is noticed within one.
func (c *Cache) background(keys []crdt.PublicKey) {
	workers := max(1, runtime.GOMAXPROCS(0)-1)
	for len(keys) > 0 && c.ctx.Err() == nil {
		k := min(len(keys), 128)
		out, missing := c.lookup(keys[:k])
		c.fill(keys[:k], missing, out, workers)
		keys = keys[k:]
	}
}
