package exchange

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// BenchmarkServeCatchUp measures what a member's node spends answering a
// newcomer's catch-up of a group of 10,000 messages (-short: 2,000), in
// fetches of wire.MaxFetch ids as the pull asks, over Badger: with the ops
// written since the node started (their encodings in memory), and after a
// restart (content ops keep no encoding: each is read from Badger by its
// log key). Reported per op served: wall time, and the process's CPU time
// (which the load of a shared machine blurs less).
func BenchmarkServeCatchUp(b *testing.B) {
	messages := 10_000
	if testing.Short() {
		messages = 2000
	}
	st, err := store.OpenBadger(filepath.Join(b.TempDir(), "db"), store.BadgerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	w := newWorldOn(b, st)
	ben := newKey(2)
	w.admit(ben)
	var ids []crdt.ID
	for i := range messages {
		ids = append(ids, w.author(w.owner, w.general, crdt.KindMessage, &crdt.MessageBody{Text: fmt.Sprintf("Tip %d: follow up with every new customer within 48 hours.", i)}).ID())
	}
	restarted, err := replica.Open(b.Context(), st, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		srv  *Server
	}{
		{"in-memory", w.srv},
		{"from-store", New(Config{Replica: restarted, Self: w.owner.pub()})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				served := 0
				for start := 0; start < len(ids); start += wire.MaxFetch {
					req := &wire.Request{Kind: wire.KindFetch, Community: w.cid[:], IDs: wire.FromIDs(ids[start:min(start+wire.MaxFetch, len(ids))])}
					served += len(tc.srv.AnswerSync(ben.pub(), req).Ops)
				}
				if served != len(ids) {
					b.Fatalf("served %d of %d ops", served, len(ids))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ids)), "µs/op-served")
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N*len(ids)), "cpu-µs/op-served")
		})
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
