package crdt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"runtime"
	"testing"
)

// progressFixture is buildMergeFixture's community with five admins, six
// first steps, and for every member a progress log with 0 to 5 ticks.
type progressFixture struct {
	genesis  *Op
	base     []*Op // the community without progress logs
	progress []*Op // the progress ops and their ticks
	logs     int
}

func buildProgressFixture(b *testing.B, members int) *progressFixture {
	m := buildMergeFixture(b, members)
	owner := newKey(1)
	f := &progressFixture{genesis: m.genesis, base: append([]*Op(nil), m.ops...)}
	last := m.ops[len(m.ops)-1]
	cid := m.genesis.ID()
	keys := make([]testKey, members)
	for i := range keys {
		seed := make([]byte, 32)
		binary.BigEndian.PutUint64(seed, uint64(i)+1)
		keys[i] = testKey{ed25519.NewKeyFromSeed(seed)}
	}
	chain := func(kind Kind, body interface{ check() error }) *Op {
		last = mustSign(b, Op{Community: cid, Kind: kind, Parents: []ID{last.ID()}, Height: last.Height + 1, Body: mustBody(b, body)}, owner)
		f.base = append(f.base, last)
		return last
	}
	for i := range 5 {
		chain(KindRole, &RoleBody{Member: keys[i].PublicKey(), Role: RoleAdmin})
	}
	var items []StepItem
	for i := range 6 {
		items = append(items, StepItem{ID: []byte{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}, Title: "Watch the welcome video"})
	}
	steps := chain(KindSteps, &StepsBody{Welcome: "Welcome {name}!", Steps: items, Time: 2000})
	for i, k := range keys {
		lg := mustSign(b, Op{Community: cid, Kind: KindProgress, Parents: []ID{steps.ID()}, Height: steps.Height + 1,
			Body: mustBody(b, &ProgressBody{Time: 3000})}, k)
		f.progress = append(f.progress, lg)
		f.logs++
		var tick *Op
		for n := range i % 6 {
			o := Op{Community: cid, Log: lg.ID(), Kind: KindStep, Deps: []ID{lg.ID()}, Height: 1,
				Body: mustBody(b, &StepBody{Step: items[n].ID, Done: true, Time: int64(4000 + n)})}
			if tick != nil {
				o.Parents, o.Height = []ID{tick.ID()}, tick.Height+1
			}
			tick = mustSign(b, o, k)
			f.progress = append(f.progress, tick)
		}
	}
	return f
}

// BenchmarkProgressLogHeap measures what members' progress logs add to
// the heap of a community rebuilt with Load (2,000 members, each with a
// progress log and 0 to 5 ticks): B/log is the live heap with them minus
// without them, per log, and B/log-op the same per op they add, the ops
// themselves (their decoded form and encodings) included.
func BenchmarkProgressLogHeap(b *testing.B) {
	f := buildProgressFixture(b, 2000)
	live := func(ops []*Op) (uint64, *Community) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		// Fresh decoded copies, as a store read gives them: the fixture's
		// ops must not count.
		opened := make([]Opened, len(ops))
		for i, o := range ops {
			d, err := DecodeStored(bytes.Clone(o.Bytes()), o.ID())
			if err != nil {
				b.Fatal(err)
			}
			opened[i] = Opened{Op: d}
		}
		c, err := Load(Opened{Op: f.genesis}, opened)
		if err != nil {
			b.Fatal(err)
		}
		opened = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		return after.HeapAlloc - before.HeapAlloc, c
	}
	var with, without uint64
	for b.Loop() {
		w, c := live(append(append([]*Op(nil), f.base...), f.progress...))
		if got := len(c.State().Progress); got != f.logs {
			b.Fatalf("%d progress logs, want %d", got, f.logs)
		}
		runtime.KeepAlive(c)
		c = nil
		wo, c2 := live(f.base)
		runtime.KeepAlive(c2)
		with, without = w, wo
	}
	b.ReportMetric(float64(with-without)/float64(f.logs), "B/log")
	b.ReportMetric(float64(with-without)/float64(len(f.progress)), "B/log-op")
}
