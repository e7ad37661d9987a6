package store

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

type key struct{ priv ed25519.PrivateKey }

func (k key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k key) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }

var signer = key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))}

// ops builds test ops; bodies are opaque to the store.
type ops struct {
	t       testing.TB
	genesis *crdt.Op
	n       int
}

func newOps(t testing.TB) *ops {
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: []byte{0xa1, 0x01, 0x61, 0x47}}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return &ops{t: t, genesis: g}
}

func (o *ops) control(parents ...*crdt.Op) *crdt.Op {
	return o.make(crdt.ZeroID, crdt.KindProfile, parents)
}

func (o *ops) content(log crdt.ID, parents ...*crdt.Op) *crdt.Op {
	return o.make(log, crdt.KindMessage, parents)
}

func (o *ops) make(log crdt.ID, kind crdt.Kind, parents []*crdt.Op) *crdt.Op {
	o.t.Helper()
	o.n++
	op := crdt.Op{Community: o.genesis.ID(), Log: log, Kind: kind, Height: 1, Body: []byte(fmt.Sprintf("body %d", o.n))}
	for _, p := range parents {
		op.Parents = append(op.Parents, p.ID())
		op.Height = max(op.Height, p.Height+1)
	}
	if kind.IsContent() {
		op.Deps = []crdt.ID{o.genesis.ID()}
	}
	s, err := crdt.Sign(op, signer)
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

// sealed returns a content op whose body has the shape of a sealed body.
func (o *ops) sealed(log crdt.ID) *crdt.Op {
	o.t.Helper()
	o.n++
	body, err := crdt.EncodeSealed(crdt.EpochID{byte(o.n)}, uint32(o.n), []byte("ciphertext"))
	if err != nil {
		o.t.Fatal(err)
	}
	s, err := crdt.Sign(crdt.Op{Community: o.genesis.ID(), Log: log, Kind: crdt.KindMessage, Height: 1, Deps: []crdt.ID{o.genesis.ID()}, Body: body}, signer)
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

// opened pairs ops with no clear body, as PutBatch takes them.
func opened(ops ...*crdt.Op) []crdt.Opened {
	out := make([]crdt.Opened, len(ops))
	for i, op := range ops {
		out[i] = crdt.Opened{Op: op}
	}
	return out
}

func put(t testing.TB, s OpStore, ops ...*crdt.Op) {
	t.Helper()
	for _, op := range ops {
		if err := s.Put(t.Context(), crdt.Opened{Op: op}); err != nil {
			t.Fatal(err)
		}
	}
}

func heads(t testing.TB, s OpStore, c, l crdt.ID) []crdt.ID {
	t.Helper()
	h, err := s.Heads(t.Context(), c, l)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func ids(ops ...*crdt.Op) []crdt.ID {
	var out []crdt.ID
	for _, o := range ops {
		out = append(out, o.ID())
	}
	return crdt.SortIDs(out)
}

// testOpStore is the conformance suite every OpStore passes.
func testOpStore(t *testing.T, open func(t *testing.T) OpStore) {
	t.Run("put get has", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		put(t, s, o.genesis, o.genesis) // idempotent
		got, err := s.Get(t.Context(), o.genesis.ID())
		if err != nil || !bytes.Equal(got.Bytes(), o.genesis.Bytes()) {
			t.Fatalf("get: %v", err)
		}
		if ok, _ := s.Has(t.Context(), o.genesis.ID()); !ok {
			t.Fatal("has = false")
		}
		if _, err := s.Get(t.Context(), crdt.ID{1}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get unknown: %v", err)
		}
		if ok, _ := s.Has(t.Context(), crdt.ID{1}); ok {
			t.Fatal("has unknown = true")
		}
		if n, _ := s.Count(t.Context(), o.genesis.ID(), crdt.ZeroID); n != 1 {
			t.Fatalf("count after duplicate put = %d", n)
		}
	})
	t.Run("missing parent", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		if err := s.Put(t.Context(), crdt.Opened{Op: o.control(o.genesis)}); !errors.Is(err, ErrMissingParents) {
			t.Fatalf("put without parent: %v", err)
		}
		if cs, _ := s.Communities(t.Context()); len(cs) != 0 {
			t.Fatal("refused put left a trace")
		}
	})
	t.Run("heads", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		c := o.genesis.ID()
		a := o.control(o.genesis)
		put(t, s, o.genesis, a)
		if got := heads(t, s, c, crdt.ZeroID); !slices.Equal(got, ids(a)) {
			t.Fatal("chain: want one head")
		}
		b1, b2 := o.control(a), o.control(a)
		put(t, s, b1, b2)
		if got := heads(t, s, c, crdt.ZeroID); !slices.Equal(got, ids(b1, b2)) {
			t.Fatal("fork: want two heads")
		}
		m := o.control(b1, b2)
		put(t, s, m)
		if got := heads(t, s, c, crdt.ZeroID); !slices.Equal(got, ids(m)) {
			t.Fatal("merge: want one head")
		}
		g1, g2 := crdt.ID{1}, crdt.ID{2}
		x := o.content(g1)
		y := o.content(g2)
		put(t, s, x, y)
		if !slices.Equal(heads(t, s, c, g1), ids(x)) || !slices.Equal(heads(t, s, c, g2), ids(y)) || !slices.Equal(heads(t, s, c, crdt.ZeroID), ids(m)) {
			t.Fatal("logs' heads are not independent")
		}
		logs, _ := s.Logs(t.Context(), c)
		if !slices.Equal(logs, []crdt.ID{crdt.ZeroID, g1, g2}) {
			t.Fatalf("logs = %v", logs)
		}
		if cs, _ := s.Communities(t.Context()); !slices.Equal(cs, []crdt.ID{c}) {
			t.Fatalf("communities = %v", cs)
		}
	})
	t.Run("ops order", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		c := o.genesis.ID()
		put(t, s, o.genesis)
		prev := []*crdt.Op{o.genesis}
		for range 5 {
			a, b := o.control(prev...), o.control(prev...) // two concurrent ops per height
			put(t, s, b, a)
			prev = []*crdt.Op{a, b}
		}
		var got []*crdt.Op
		s.Ops(t.Context(), c, crdt.ZeroID, func(x crdt.Opened) error { got = append(got, x.Op); return nil })
		if len(got) != 11 {
			t.Fatalf("ops = %d, want 11", len(got))
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if a.Height > b.Height || (a.Height == b.Height && a.ID().Compare(b.ID()) >= 0) {
				t.Fatalf("ops out of (height, id) order at %d", i)
			}
		}
		if n, _ := s.Count(t.Context(), c, crdt.ZeroID); n != 11 {
			t.Fatalf("count = %d", n)
		}
		stop := errors.New("stop")
		if err := s.Ops(t.Context(), c, crdt.ZeroID, func(crdt.Opened) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("Ops did not return fn's error: %v", err)
		}
	})
	t.Run("pending", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		a := o.control(o.genesis)
		b := o.control(o.genesis)
		w := o.control(a, b) // waits on a and b
		if err := s.AddPending(t.Context(), w, []crdt.ID{a.ID(), b.ID()}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPending(t.Context(), w, []crdt.ID{a.ID(), b.ID()}, t0); err != nil {
			t.Fatal(err)
		}
		if n, size, _ := s.PendingLen(t.Context()); n != 1 || size == 0 {
			t.Fatalf("pending len = %d, %d", n, size)
		}
		if err := s.AddPending(t.Context(), a, []crdt.ID{o.genesis.ID()}, t0); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Missing(t.Context(), o.genesis.ID(), 10)
		if !slices.Equal(got, ids(o.genesis, b)) { // a is parked, so not missing
			t.Fatalf("missing = %v", got)
		}
		put(t, s, o.genesis)
		ready, _ := s.TakeReady(t.Context(), o.genesis.ID())
		if len(ready) != 1 || ready[0].ID() != a.ID() {
			t.Fatalf("ready after genesis = %v", ready)
		}
		put(t, s, a)
		if ready, _ := s.TakeReady(t.Context(), a.ID()); len(ready) != 0 {
			t.Fatal("op waiting on two ids released after one")
		}
		put(t, s, b)
		ready, _ = s.TakeReady(t.Context(), b.ID())
		if len(ready) != 1 || ready[0].ID() != w.ID() {
			t.Fatalf("ready after both = %v", ready)
		}
		if n, size, _ := s.PendingLen(t.Context()); n != 0 || size != 0 {
			t.Fatalf("pending left: %d ops, %d bytes", n, size)
		}
	})
	t.Run("batch", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		c := o.genesis.ID()
		a := o.control(o.genesis)
		b1, b2 := o.control(a), o.control(a)
		x := o.content(crdt.ID{9})
		// A chain and a fork in one write, with a duplicate inside.
		if err := s.PutBatch(t.Context(), opened(o.genesis, a, b1, a, b2, x)); err != nil {
			t.Fatal(err)
		}
		if got := heads(t, s, c, crdt.ZeroID); !slices.Equal(got, ids(b1, b2)) {
			t.Fatalf("heads after batch = %v, want the fork's two tips", got)
		}
		if n, _ := s.Count(t.Context(), c, crdt.ZeroID); n != 4 {
			t.Fatalf("count = %d, want 4", n)
		}
		m := o.control(b1, b2)
		if err := s.PutBatch(t.Context(), opened(b1, m)); err != nil { // b1 stored before
			t.Fatal(err)
		}
		if got := heads(t, s, c, crdt.ZeroID); !slices.Equal(got, ids(m)) {
			t.Fatalf("heads after merge = %v", got)
		}
		if n, _ := s.Count(t.Context(), c, crdt.ZeroID); n != 5 {
			t.Fatalf("count = %d, want 5", n)
		}
		// A batch with an op whose parent is neither stored nor earlier
		// stores nothing at all.
		y := o.control(m)
		orphan := o.control(o.control(m))
		if err := s.PutBatch(t.Context(), opened(y, orphan)); !errors.Is(err, ErrMissingParents) {
			t.Fatalf("batch with orphan: %v", err)
		}
		if ok, _ := s.Has(t.Context(), y.ID()); ok {
			t.Fatal("refused batch stored part of itself")
		}
	})
	t.Run("clear bodies", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		c, g := o.genesis.ID(), crdt.ID{9}
		sealed := o.sealed(g)
		clear := o.content(g)
		unopened := o.sealed(g)
		plain := []byte{0xa1, 0x01, 0x62, 'h', 'i'}
		put(t, s, o.genesis)
		if err := s.PutBatch(t.Context(), []crdt.Opened{{Op: sealed, Plain: plain}, {Op: clear}, {Op: unopened}}); err != nil {
			t.Fatal(err)
		}
		got := map[crdt.ID][]byte{}
		err := s.Ops(t.Context(), c, g, func(x crdt.Opened) error {
			got[x.Op.ID()] = x.Plain
			if x.Op.ID() == sealed.ID() && !bytes.Equal(x.Op.Bytes(), sealed.Bytes()) {
				t.Error("the op read back is not the op stored")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !bytes.Equal(got[sealed.ID()], plain) || got[clear.ID()] != nil || got[unopened.ID()] != nil {
			t.Fatalf("clear bodies read back: %q", got)
		}
		back, err := s.Get(t.Context(), sealed.ID())
		if err != nil || !bytes.Equal(back.Bytes(), sealed.Bytes()) {
			t.Fatalf("get sealed op: %v", err)
		}
	})
	t.Run("an op read back keeps only its encoding", func(t *testing.T) {
		// A node keeps every op it loads at start: the clear body stored
		// beside the encoding must not ride along in the op's memory.
		s := open(t)
		o := newOps(t)
		c, g := o.genesis.ID(), crdt.ID{9}
		sealed := o.sealed(g)
		plain := bytes.Repeat([]byte{'x'}, 4000)
		put(t, s, o.genesis)
		if err := s.PutBatch(t.Context(), []crdt.Opened{{Op: sealed, Plain: plain}}); err != nil {
			t.Fatal(err)
		}
		err := s.Ops(t.Context(), c, g, func(x crdt.Opened) error {
			if raw := x.Op.Bytes(); cap(raw) >= len(raw)+len(plain) {
				t.Errorf("the op read back holds %d bytes for an encoding of %d: its clear body too", cap(raw), len(raw))
			}
			if !bytes.Equal(x.Plain, plain) {
				t.Error("clear body read back differs")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("encodings by log key", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		g := crdt.ID{9}
		sealed, clear := o.sealed(g), o.content(g)
		ctrl := o.control(o.genesis)
		put(t, s, o.genesis, ctrl)
		if err := s.PutBatch(t.Context(), []crdt.Opened{{Op: sealed, Plain: []byte{0xa1, 0x01, 0x62, 'h', 'i'}}, {Op: clear}}); err != nil {
			t.Fatal(err)
		}
		unknown := o.content(g, clear)
		want := []*crdt.Op{clear, unknown, sealed, ctrl}
		got, err := s.Encodings(t.Context(), want)
		if err != nil || len(got) != len(want) {
			t.Fatalf("encodings: %d, %v", len(got), err)
		}
		for i, op := range want {
			if op == unknown && got[i] != nil || op != unknown && !bytes.Equal(got[i], op.Bytes()) {
				t.Errorf("encoding %d (%s): %x, want %x", i, op.ID().Short(), got[i], op.Bytes())
			}
		}
	})
	t.Run("meta", func(t *testing.T) {
		s := open(t)
		if _, err := s.GetMeta(t.Context(), "secret/x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get unset meta: %v", err)
		}
		if err := s.PutMeta(t.Context(), "secret/x", []byte{1, 2}); err != nil {
			t.Fatal(err)
		}
		if v, err := s.GetMeta(t.Context(), "secret/x"); err != nil || !bytes.Equal(v, []byte{1, 2}) {
			t.Fatalf("meta = %v, %v", v, err)
		}
		if cs, _ := s.Communities(t.Context()); len(cs) != 0 {
			t.Fatal("meta shows up as a community")
		}
	})
	t.Run("concurrent puts", func(t *testing.T) {
		s := open(t)
		o := newOps(t)
		put(t, s, o.genesis)
		var children []*crdt.Op
		for range 16 {
			children = append(children, o.control(o.genesis))
		}
		var wg sync.WaitGroup
		for _, c := range children {
			wg.Go(func() {
				if err := s.Put(t.Context(), crdt.Opened{Op: c}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := heads(t, s, o.genesis.ID(), crdt.ZeroID); !slices.Equal(got, ids(children...)) {
			t.Fatalf("heads after concurrent puts: %d, want 16", len(got))
		}
	})
}

func TestMemoryStore(t *testing.T) {
	testOpStore(t, func(t *testing.T) OpStore { return NewMemory() })
}

func TestBadgerStore(t *testing.T) {
	testOpStore(t, func(t *testing.T) OpStore {
		s, err := OpenBadger(t.TempDir(), BadgerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestBadgerReopen: everything, including parked ops, survives a restart,
// and an encrypted store needs its key.
func TestBadgerReopen(t *testing.T) {
	for _, enc := range [][]byte{nil, bytes.Repeat([]byte{7}, 32)} {
		dir := t.TempDir()
		s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: enc})
		if err != nil {
			t.Fatal(err)
		}
		o := newOps(t)
		a := o.control(o.genesis)
		b := o.control(o.genesis)
		w := o.control(a, b)
		put(t, s, o.genesis, a)
		if err := s.AddPending(t.Context(), w, []crdt.ID{w.Parents[0], w.Parents[1]}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = OpenBadger(dir, BadgerOptions{EncryptionKey: enc})
		if err != nil {
			t.Fatal(err)
		}
		if got := heads(t, s, o.genesis.ID(), crdt.ZeroID); !slices.Equal(got, ids(a)) {
			t.Fatal("heads lost across reopen")
		}
		if n, _, _ := s.PendingLen(t.Context()); n != 1 {
			t.Fatalf("pending after reopen = %d", n)
		}
		// What parked ops wait for is known again after the restart.
		if ready, err := s.TakeReady(t.Context(), a.ID()); err != nil || len(ready) != 0 {
			t.Fatalf("take ready on one of two parents: %v, %v", ready, err)
		}
		put(t, s, b)
		if ready, err := s.TakeReady(t.Context(), b.ID()); err != nil || len(ready) != 1 || ready[0].ID() != w.ID() {
			t.Fatalf("parked op not released after a restart: %v, %v", ready, err)
		}
		s.Close()
		if enc != nil {
			if s, err := OpenBadger(dir, BadgerOptions{}); err == nil {
				s.Close()
				t.Fatal("encrypted store opened without its key")
			}
		}
	}
}

func benchStores(b *testing.B, fn func(b *testing.B, s OpStore)) {
	b.Run("memory", func(b *testing.B) { fn(b, NewMemory()) })
	b.Run("badger", func(b *testing.B) {
		s, err := OpenBadger(b.TempDir(), BadgerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		fn(b, s)
	})
}

func BenchmarkPut(b *testing.B) {
	benchStores(b, func(b *testing.B, s OpStore) {
		o := newOps(b)
		put(b, s, o.genesis)
		batch := make([]*crdt.Op, 0, b.N)
		prev := o.genesis
		for range b.N {
			prev = o.control(prev)
			batch = append(batch, prev)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for _, op := range batch {
			if err := s.Put(b.Context(), crdt.Opened{Op: op}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

func BenchmarkGet(b *testing.B) {
	benchStores(b, func(b *testing.B, s OpStore) {
		o := newOps(b)
		put(b, s, o.genesis)
		all := []*crdt.Op{}
		prev := o.genesis
		for range 1000 {
			prev = o.control(prev)
			all = append(all, prev)
			put(b, s, prev)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Get(b.Context(), all[i%len(all)].ID()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
