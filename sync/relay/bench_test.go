package relay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// The relay's benchmarks (issue 18, README "Performance"): a member who
// was away catching up from the relay alone, compared with catching up
// from a member; what a relay holding many communities costs in memory
// and on disk; and how many pushed ops per second it checks and stores.
// Every one runs the code that ships: the relay's Ingest, Answerer and
// reconcile set, the members' exchange.Server and replica, sync/p2p's
// stream handlers over net.Pipe, and Badger stores in b.TempDir(). With
// -short each is cut to a size that runs in seconds.

// BenchmarkRelayCatchUp: Ben was away while Olivia posted n messages
// (10,000; 1,000 with -short). He catches up from the relay alone, and,
// in the same run, from Olivia herself, over the reconcile and fetch
// protocols members use, into a Badger store. Reported per catch-up: the
// time (ns/op), the bytes both ways on the stream (wire-B), the ops
// caught up per second, and the process's CPU time per op caught up
// (cpu-µs/op: both ends run in this process), which compares where the
// machine is shared.
func BenchmarkRelayCatchUp(b *testing.B) {
	n := 10_000
	if testing.Short() {
		n = 1_000
	}
	ctx := context.Background()
	tm := newTeam(b, true)
	cid := tm.olivia.cid
	rk := tm.relayKey.pub()
	away := heldOps(b, tm.olivia.rep, cid, tm.general) // what Ben holds: the community up to his join
	for i := range n {
		tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: fmt.Sprintf("Tip %d: follow up with every new customer within 48 hours.", i), Time: int64(10 + i)})
	}
	rst, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer rst.Close()
	r := openRelay(b, rk, rst, 0)
	if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Refused > 0 {
		b.Fatalf("the relay's pull from Olivia: %+v, %v", st, err)
	}
	ben := tm.ben.k.pub()
	for _, from := range []struct {
		name string
		rec  p2p.ReconcileResponder
		sync p2p.SyncResponder
	}{
		{"relay", r, Answerer{Relay: r}},
		{"member", tm.olivia.srv, tm.olivia.srv},
	} {
		b.Run(from.name, func(b *testing.B) {
			var wireBytes atomic.Int64
			var cpu time.Duration
			caught := 0
			for b.Loop() {
				b.StopTimer()
				st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := replica.Open(ctx, st, nil)
				if err != nil {
					b.Fatal(err)
				}
				rep.Expect(cid)
				for _, op := range away {
					if _, err := rep.Ingest(ctx, op); err != nil {
						b.Fatal(err)
					}
				}
				srv := exchange.New(exchange.Config{Replica: rep, Self: ben})
				rm := countingRemote{from: ben, rec: from.rec, sync: from.sync, n: &wireBytes}
				b.StartTimer()
				start := cpuTime()
				if _, err := srv.Pull(ctx, rm, cid, nil); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - start
				b.StopTimer()
				got := 0
				_ = rep.View(cid, func(c *crdt.Community) error { got = len(c.Entries(tm.general)); return nil })
				if got != n+1 {
					b.Fatalf("Ben holds %d messages after catching up, want %d", got, n+1)
				}
				caught += n
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(wireBytes.Load())/float64(b.N), "wire-B/op")
			b.ReportMetric(float64(caught)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(caught), "cpu-µs/op")
		})
	}
}

// heldOps returns every op rep holds of community cid's control log and
// of logs, in that order, each log parents first.
func heldOps(tb testing.TB, rep *replica.Replica, cid crdt.ID, logs ...crdt.ID) []*crdt.Op {
	tb.Helper()
	var out []*crdt.Op
	err := rep.View(cid, func(c *crdt.Community) error {
		for _, l := range append([]crdt.ID{crdt.ZeroID}, logs...) {
			c.EachOp(l, func(o *crdt.Op) { out = append(out, o) })
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// countingRemote is pipeRemote that counts the bytes both ways.
type countingRemote struct {
	from crdt.PublicKey
	rec  p2p.ReconcileResponder
	sync p2p.SyncResponder
	n    *atomic.Int64
}

func (p countingRemote) String() string { return "counted pipe" }

func (p countingRemote) run(handle func(io.ReadWriteCloser) error, ask func(io.ReadWriteCloser) error) error {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- handle(b); b.Close() }()
	err := ask(countingConn{a, p.n})
	a.Close()
	<-done
	return err
}

func (p countingRemote) Reconcile(_ context.Context, cid crdt.ID, set *reconcile.Set) (need []reconcile.Item, sent int, err error) {
	err = p.run(func(rw io.ReadWriteCloser) error {
		return p2p.HandleReconcile(rw, p.from, p.rec, p2p.NewSessionSlots(4, 4))
	}, func(rw io.ReadWriteCloser) error {
		var err error
		need, sent, err = p2p.Reconcile(rw, cid, set)
		return err
	})
	return need, sent, err
}

func (p countingRemote) Fetch(_ context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error) {
	var resp wire.Response
	err := p.run(func(rw io.ReadWriteCloser) error {
		return p2p.HandleSync(rw, p.from, p.sync)
	}, func(rw io.ReadWriteCloser) error {
		return p2p.Call(rw, &wire.Request{Kind: wire.KindFetch, Community: cid[:], IDs: wire.FromIDs(ids)}, &resp)
	})
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	return resp.Ops, err
}

// countingConn counts what is read and written through it.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// benchComm is a community made for the relay's benchmarks without a
// replica, as a relay sees one: a genesis, General's creation and this
// relay's registration in the control log, then messages in General
// whose bodies are sealed (random bytes the size of a sealed tip), each
// on the previous one and citing the registration.
type benchComm struct {
	owner   key
	cid     crdt.ID
	general crdt.ID
	control [][]byte
	dep     crdt.ID
	prev    *crdt.Op
	seq     uint64
}

// newBenchComm makes community i (0 ≤ i < 200), registering relay rk.
func newBenchComm(tb testing.TB, i int, rk crdt.PublicKey) *benchComm {
	tb.Helper()
	c := &benchComm{owner: newKey(byte(40 + i))}
	sign := func(o crdt.Op) *crdt.Op {
		op, err := crdt.Sign(o, c.owner)
		if err != nil {
			tb.Fatal(err)
		}
		c.control = append(c.control, op.Bytes())
		return op
	}
	g := sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: enc(tb, &crdt.GenesisBody{Name: fmt.Sprintf("Team %d", i)})})
	c.cid = g.ID()
	gc := sign(crdt.Op{Community: c.cid, Kind: crdt.KindGroupCreate, Parents: []crdt.ID{g.ID()}, Height: 2, Body: enc(tb, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone})})
	c.general = gc.ID()
	reg := sign(crdt.Op{Community: c.cid, Kind: crdt.KindRelay, Parents: []crdt.ID{gc.ID()}, Height: 3, Body: enc(tb, &crdt.RelayBody{Peer: rk[:], Addrs: []string{"/ip4/203.0.113.5/udp/4001/quic-v1"}})})
	c.dep = reg.ID()
	return c
}

// sealedSize is the ciphertext length of a benchmark message: a tip of
// about 60 characters with its CBOR body, padding and AEAD tag.
const sealedSize = 120

// next signs the community's next message.
func (c *benchComm) next(tb testing.TB) []byte {
	tb.Helper()
	raw, err := c.nextOp()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// nextOp signs the community's next message (for goroutines, which may
// not call Fatal).
func (c *benchComm) nextOp() ([]byte, error) {
	c.seq++
	var epoch [16]byte
	var nonce [24]byte
	binary.BigEndian.PutUint64(nonce[:], c.seq)
	ct := make([]byte, sealedSize)
	for i := range ct { // incompressible, as ciphertext is
		ct[i] = byte((c.seq*2654435761 + uint64(i)*40503) >> 7)
	}
	body, err := crdt.Marshal([]any{epoch[:], nonce[:], ct})
	if err != nil {
		return nil, err
	}
	o := crdt.Op{Community: c.cid, Log: c.general, Kind: crdt.KindMessage, Height: 1, Deps: []crdt.ID{c.dep}, Body: body}
	if c.prev != nil {
		o.Parents, o.Height = []crdt.ID{c.prev.ID()}, c.prev.Height+1
	}
	op, err := crdt.Sign(o, c.owner)
	if err != nil {
		return nil, err
	}
	c.prev = op
	return op.Bytes(), nil
}

// register offers r the community's control log, as its first pull
// would.
func (c *benchComm) register(tb testing.TB, r *Relay) {
	tb.Helper()
	errs, err := r.Ingest(context.Background(), c.cid, c.control)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range errs {
		if e != nil {
			tb.Fatalf("registering: %v", e)
		}
	}
}

// ingestAll offers r raws in one batch and fails on any refusal.
func ingestAll(tb testing.TB, r *Relay, cid crdt.ID, raws [][]byte) {
	errs, err := r.Ingest(context.Background(), cid, raws)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range errs {
		if e != nil {
			tb.Fatalf("refused: %v", e)
		}
	}
}

// BenchmarkRelayHolds: a relay takes 50 communities × 20,000 ops (5 ×
// 2,000 with -short) into a Badger store, in fetch batches of
// wire.MaxFetch as its pulls do. The communities' ops are signed with
// the clock stopped, one community per core, then ingested (ns/op: all
// the ingests). Reported: the ingest rate (ops/s) and the process's CPU time
// per op ingested (cpu-µs/op, Badger's goroutines included), the heap in
// use after a GC with everything held (heap-MB, and per op; Badger's
// memtables and caches included), the relay's own index of the ops once
// the store is closed and let go (index-B/op), the
// process's resident memory (rss-MB: Badger's mapped tables count), and
// the disk the store takes per op once closed (disk-B/op), beside the op
// encoding's own size (op-B).
func BenchmarkRelayHolds(b *testing.B) {
	comms, per := 50, 20_000
	if testing.Short() {
		comms, per = 5, 2_000
	}
	rk := newKey(7).pub()
	signers := runtime.GOMAXPROCS(0)
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		dir := b.TempDir()
		st, err := store.OpenBadger(dir, store.BadgerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		r := openRelay(b, rk, st, 0)
		var cpu time.Duration
		opBytes := 0
		for first := 0; first < comms; first += signers {
			// A community's chain is signed in order (an op names its
			// parent by id, which covers the signature): several
			// communities at once, one per core.
			group := make([]*benchComm, min(signers, comms-first))
			raws := make([][][]byte, len(group))
			errs := make([]error, len(group))
			for k := range group {
				group[k] = newBenchComm(b, first+k, rk)
			}
			var wg sync.WaitGroup
			for k, c := range group {
				wg.Go(func() {
					raws[k] = make([][]byte, per)
					for j := range raws[k] {
						if raws[k][j], errs[k] = c.nextOp(); errs[k] != nil {
							return
						}
					}
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				b.Fatal(err)
			}
			for k, c := range group {
				for _, raw := range raws[k] {
					opBytes += len(raw)
				}
				b.StartTimer()
				start := cpuTime()
				c.register(b, r)
				for s := 0; s < per; s += wire.MaxFetch {
					ingestAll(b, r, c.cid, raws[k][s:min(s+wire.MaxFetch, per)])
				}
				cpu += cpuTime() - start
				b.StopTimer()
				raws[k] = nil
			}
		}
		ops := comms * per
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := residentBytes()
		if len(r.Communities()) != comms {
			b.Fatalf("the relay keeps %d communities, want %d", len(r.Communities()), comms)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		// With the store closed, and let go by the relay too (a closed
		// Badger keeps its fixed caches, about 1 MB, which are not the
		// index), what is left on the heap is the relay's own index of the
		// ops it holds.
		st, r.cfg.Store = nil, nil
		runtime.GC()
		debug.FreeOSMemory()
		var idx runtime.MemStats
		runtime.ReadMemStats(&idx)
		runtime.KeepAlive(r)
		disk := diskBytes(b, dir)
		b.ReportMetric(float64(int64(idx.HeapInuse)-int64(base.HeapInuse))/float64(ops), "index-B/op")
		b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "ops/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(ops), "cpu-µs/op")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
		b.ReportMetric(float64(ms.HeapInuse)/float64(ops), "heap-B/op")
		b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
		b.ReportMetric(float64(disk)/float64(ops), "disk-B/op")
		b.ReportMetric(float64(opBytes)/float64(ops), "op-B")
		b.StartTimer()
	}
}

// residentBytes is the process's resident set size (Linux), or 0.
func residentBytes() int64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// diskBytes is what the files under dir take on disk (allocated blocks,
// so sparse preallocation does not count).
func diskBytes(tb testing.TB, dir string) int64 {
	tb.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total += allocated(fi)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return total
}

// BenchmarkRelayPushes: members push new ops to the relay one at a time
// (one Ingest each, as a pushed op arrives), from one goroutine per
// community, GOMAXPROCS×2 communities at once, into a Badger store: each
// op decoded, its signature and links checked, and stored. Reported:
// pushes/s, and as the ceiling from the same run, the same ops only
// decoded and their signatures verified (crdt.DecodeOp, the relay's
// check), one goroutine per community as well (decode-verify/s).
func BenchmarkRelayPushes(b *testing.B) {
	rk := newKey(7).pub()
	st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := openRelay(b, rk, st, 0)
	g := runtime.GOMAXPROCS(0) * 2
	comms := make([]*benchComm, g)
	for i := range comms {
		comms[i] = newBenchComm(b, 100+i, rk)
		comms[i].register(b, r)
	}
	for _, bench := range []string{"pushes", "decode-verify"} {
		b.Run(bench, func(b *testing.B) {
			// Sign b.N ops, spread over the communities, before the clock.
			chains := make([][][]byte, g)
			errs := make([]error, g)
			var wg sync.WaitGroup
			for i := range g {
				wg.Go(func() {
					for range b.N/g + 1 {
						raw, err := comms[i].nextOp()
						if err != nil {
							errs[i] = err
							return
						}
						chains[i] = append(chains[i], raw)
					}
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				b.Fatal(err)
			}
			var refused atomic.Int64
			b.ResetTimer()
			start := cpuTime()
			for i := range g {
				wg.Go(func() {
					for _, raw := range chains[i] {
						if bench == "decode-verify" { // the relay's signature check alone
							if _, err := crdt.DecodeOp(raw); err != nil {
								refused.Add(1)
							}
							continue
						}
						errs, err := r.Ingest(context.Background(), comms[i].cid, [][]byte{raw})
						if err != nil || errs[0] != nil {
							refused.Add(1)
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			cpu := cpuTime() - start
			if refused.Load() > 0 {
				b.Fatalf("%d of %d pushes refused", refused.Load(), g*(b.N/g+1))
			}
			n := g * (b.N/g + 1)
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), bench+"/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/op")
		})
	}
}
