package node

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// BenchmarkCatchUp: a new member joins a community of 100,000 ops over
// loopback TCP and holds all of them when Join returns (reconciliation,
// fetch, verification, and Badger on the joiner's side). Reported: seconds
// and MB/s of op bytes, the CPU time both nodes (one process) spent on it
// (cpu-s/catch-up, which other load on the machine blurs less than the
// wall clock), and as a baseline the seconds it takes only to decode and
// verify the same ops on every core. UMBRELLA_CATCHUP_PROFILE=file writes
// a CPU profile of the catch-up alone (both nodes, Join only), which a
// whole-benchmark -cpuprofile mixes with writing the fixture.
func BenchmarkCatchUp(b *testing.B) {
	const posts = 100_000
	ctx := context.Background()
	open := func(home, name string, st store.OpStore) *Node {
		if err := Init(home, name); err != nil {
			b.Fatal(err)
		}
		cfg := DefaultConfig(home)
		cfg.MDNS = false
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
		cfg.Store = st
		n, err := Open(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	a := open(b.TempDir(), "Olivia", nil) // Badger: the in-memory store scans all keys per lookup
	defer a.Close()
	comm, err := a.CreateCommunity(ctx, "Glow Team")
	if err != nil {
		b.Fatal(err)
	}
	var gid crdt.ID
	gs, _ := a.Groups(comm.ID)
	for _, g := range gs {
		if g.Name == api.DefaultGroupName {
			gid = g.ID
		}
	}
	bytes := 0
	var raws [][]byte
	for i := range posts {
		id, err := a.Post(ctx, comm.ID, gid, fmt.Sprintf("Tip %d: follow up with every new customer within 48 hours.", i))
		if err != nil {
			b.Fatal(err)
		}
		op, _ := a.rep.Get(ctx, id)
		bytes += len(op.Bytes())
		raws = append(raws, op.Bytes())
	}
	var secs, verify, cpu float64
	for b.Loop() {
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		home := b.TempDir()
		j := open(home, "Ben", nil)
		stop := catchUpProfile(b)
		start, cpu0 := time.Now(), processCPU()
		var joinErr error
		// Labelled so that a CPU profile of the benchmark tells the
		// joiner's work (and the goroutines it starts) from the setup's.
		pprof.Do(ctx, pprof.Labels("phase", "catch-up"), func(ctx context.Context) { _, joinErr = j.Join(ctx, link) })
		if joinErr != nil {
			b.Fatal(joinErr)
		}
		secs, cpu = time.Since(start).Seconds(), (processCPU() - cpu0).Seconds()
		stop()
		ms, err := j.Messages(comm.ID, gid)
		if err != nil || len(ms) != posts {
			b.Fatalf("joiner holds %d of %d messages (%v)", len(ms), posts, err)
		}
		j.Close()
		// Baseline from the same run: only decoding and verifying the same
		// ops on every core, no network and no disk.
		start = time.Now()
		replica.DecodeOps(raws)
		verify = time.Since(start).Seconds()
	}
	b.ReportMetric(secs, "s/catch-up")
	b.ReportMetric(cpu, "cpu-s/catch-up")
	b.ReportMetric(verify, "s/verify-only")
	b.ReportMetric(float64(bytes)/(1<<20)/secs, "MB/s")
	b.ReportMetric(posts, "ops")
}

// catchUpProfile starts a CPU profile of the catch-up into the file
// UMBRELLA_CATCHUP_PROFILE names (none when unset) and returns what stops it.
func catchUpProfile(b *testing.B) (stop func()) {
	path := os.Getenv("UMBRELLA_CATCHUP_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}
