package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

type benchKey struct{ priv ed25519.PrivateKey }

func (k benchKey) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k benchKey) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }

func seedKey(i int) benchKey {
	seed := make([]byte, 32)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	return benchKey{ed25519.NewKeyFromSeed(seed)}
}

// bigCommunity is the benchmark fixture: a community as a node's store
// would hold it.
type bigCommunity struct {
	genesis          *crdt.Op
	genesisPlain     []byte     // the genesis's clear body when it is sealed
	ops              []*crdt.Op // everything but genesis, parents first
	members, removed int
	messages, polls  int
	reactions, votes int
	// cards are the wins, events and promotions among the posts, and
	// teamActs the answers to events and the saves to collections among
	// the reactions (crdt's team kinds), at a team's weekly volume.
	cards, teamActs int
	// progress counts the members' progress logs (crdt/steps.go) and
	// ticks the step ops in them; answers counts the Q&A answer marks.
	progress, ticks, answers int
	general                  crdt.ID
}

// posts counts the posts a group view shows: messages, polls and cards.
func (f *bigCommunity) posts() int { return f.messages + f.polls + f.cards }

// buildCommunity writes a community of the given size the way nodes would:
// every join written on the invite alone (joiners know nothing else), the
// owner's later ops merging the heads 16 at a time, some promotions and
// removals, then a General group where members post, run polls, react and
// vote. Ops are built directly (all valid by construction) so the fixture
// is quick to make; the benchmarks then judge them.
//
// With seal, every body but the invite and join ops' is sealed under one
// epoch per log, as nodes write them (each author with its own keyring, as
// each node has); the genesis is sealed under the control log's epoch
// before the community has an id, as the founder's node does.
func buildCommunity(tb testing.TB, members, messages, reactsVotes int, seal bool) *bigCommunity {
	return buildTeamCommunity(tb, members, messages, reactsVotes, seal, false)
}

// buildTeamCommunity is buildCommunity; with progress (clear bodies
// only), the owner also sets six first steps and every member left opens
// its progress log and ticks 0 to 6 of them, as newcomers do.
func buildTeamCommunity(tb testing.TB, members, messages, reactsVotes int, seal, progress bool) *bigCommunity {
	rng := rand.New(rand.NewPCG(1, 1))
	owner := seedKey(0)
	keyrings := map[crdt.PublicKey]*e2ee.Keyring{}
	var sealedLogs []crdt.ID
	var cid crdt.ID
	keysOf := func(a crdt.PublicKey) *e2ee.Keyring {
		if keyrings[a] == nil {
			keyrings[a] = e2ee.NewKeyring()
			addSealEpochs(keyrings[a], cid, sealedLogs...)
		}
		return keyrings[a]
	}
	if seal {
		founder := e2ee.NewKeyring()
		founder.AddEpoch(e2ee.EpochKey{ID: sealEpoch(crdt.ZeroID, crdt.ZeroID), Secret: crdt.ZeroID[:]})
		var pk crdt.PublicKey
		copy(pk[:], owner.PublicKey())
		keyrings[pk] = founder
	}
	sign := func(o crdt.Op, k benchKey) *crdt.Op {
		if seal && o.Kind.Sealable() {
			copy(o.Author[:], k.PublicKey())
			if err := keysOf(o.Author).Seal(&o, sealEpoch(o.Community, o.Log)); err != nil {
				tb.Fatal(err)
			}
		}
		op, err := crdt.Sign(o, k)
		if err != nil {
			tb.Fatal(err)
		}
		return op
	}
	body := func(b any) []byte {
		raw, err := crdt.EncodeAny(b)
		if err != nil {
			tb.Fatal(err)
		}
		return raw
	}
	f := &bigCommunity{members: members}
	genesisBody := body(&crdt.GenesisBody{Name: "Glow Team", Time: 1})
	f.genesis = sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: genesisBody}, owner)
	cid = f.genesis.ID()
	if seal {
		f.genesisPlain = genesisBody
		for _, k := range keyrings {
			k.Rebind(sealEpoch(crdt.ZeroID, crdt.ZeroID), cid)
		}
	}
	sealedLogs = append(sealedLogs, crdt.ZeroID)
	last := f.genesis
	chain := func(kind crdt.Kind, b any) *crdt.Op {
		last = sign(crdt.Op{Community: cid, Kind: kind, Parents: []crdt.ID{last.ID()}, Height: last.Height + 1, Body: body(b)}, owner)
		f.ops = append(f.ops, last)
		return last
	}
	chain(crdt.KindProfile, &crdt.ProfileBody{Name: "Olivia"})
	f.general = chain(crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone}).ID()
	sealedLogs = append(sealedLogs, f.general)
	for _, k := range keyrings {
		addSealEpochs(k, cid, f.general)
	}
	invPriv := seedKey(1 << 30).priv
	inv := chain(crdt.KindInvite, &crdt.InviteBody{Key: invPriv.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "Glow Team"})
	mkeys := make([]benchKey, members)
	var heads []*crdt.Op
	for i := range mkeys {
		mkeys[i] = seedKey(i + 1)
		var pk crdt.PublicKey
		copy(pk[:], mkeys[i].PublicKey())
		proof := ed25519.Sign(invPriv, crdt.JoinProofMessage(cid, inv.ID(), pk))
		j := sign(crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{inv.ID()}, Height: inv.Height + 1,
			Body: body(&crdt.JoinBody{Invite: inv.ID().Bytes(), Proof: proof, Name: fmt.Sprintf("Distributor %d", i), Time: 1000})}, mkeys[i])
		f.ops = append(f.ops, j)
		heads = append(heads, j)
	}
	for len(heads) > 1 { // the owner's ops merge the heads
		var next []*crdt.Op
		for len(heads) > 0 {
			n := min(crdt.MaxParents, len(heads))
			var ps []crdt.ID
			var h uint64
			for _, p := range heads[:n] {
				ps = append(ps, p.ID())
				h = max(h, p.Height)
			}
			heads = heads[n:]
			m := sign(crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: ps, Height: h + 1, Body: body(&crdt.ProfileBody{Name: "Olivia"})}, owner)
			f.ops = append(f.ops, m)
			next = append(next, m)
		}
		heads = next
	}
	last = heads[0]
	for i := range 5 {
		chain(crdt.KindRole, &crdt.RoleBody{Member: mkeys[i].PublicKey(), Role: crdt.RoleAdmin})
	}
	chain(crdt.KindGroupQA, &crdt.GroupQABody{Group: f.general.Bytes(), On: true})
	f.removed = 3
	for i := members - f.removed; i < members; i++ {
		chain(crdt.KindRemove, &crdt.RemoveBody{Member: mkeys[i].PublicKey()})
	}
	authors := mkeys[:members-f.removed]
	if progress && !seal {
		var items []crdt.StepItem
		for i, title := range []string{"Watch the welcome video", "Join the Monday call", "Write your list of 20 contacts", "Order your starter kit", "Book a call with your sponsor", "Share your first post"} {
			items = append(items, crdt.StepItem{ID: []byte{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}, Title: title})
		}
		steps := chain(crdt.KindSteps, &crdt.StepsBody{Welcome: "Welcome {name}!", Steps: items, Time: 2000})
		for _, k := range authors {
			lg := sign(crdt.Op{Community: cid, Kind: crdt.KindProgress, Parents: []crdt.ID{steps.ID()}, Height: steps.Height + 1, Body: body(&crdt.ProgressBody{Time: 3000})}, k)
			f.ops = append(f.ops, lg)
			f.progress++
			var tick *crdt.Op
			for n := range rng.IntN(len(items) + 1) {
				o := crdt.Op{Community: cid, Log: lg.ID(), Kind: crdt.KindStep, Deps: []crdt.ID{lg.ID()}, Height: 1,
					Body: body(&crdt.StepBody{Step: items[n].ID, Done: true, Time: int64(4000 + n)})}
				if tick != nil {
					o.Parents, o.Height = []crdt.ID{tick.ID()}, tick.Height+1
				}
				tick = sign(o, k)
				f.ops = append(f.ops, tick)
				f.ticks++
			}
		}
	}
	deps := []crdt.ID{last.ID()}
	var prev *crdt.Op
	var recent, polls, events []*crdt.Op
	admin := mkeys[0]
	post := func(kind crdt.Kind, b any, k benchKey) *crdt.Op {
		o := crdt.Op{Community: cid, Log: f.general, Kind: kind, Deps: deps, Height: 1, Body: body(b)}
		if prev != nil {
			o.Parents, o.Height = []crdt.ID{prev.ID()}, prev.Height+1
		}
		prev = sign(o, k)
		f.ops = append(f.ops, prev)
		return prev
	}
	total := messages + reactsVotes
	for i := range total {
		k := authors[rng.IntN(len(authors))]
		switch {
		case len(recent) > 0 && rng.IntN(total) < reactsVotes && (f.reactions+f.votes+f.teamActs) < reactsVotes:
			switch {
			case len(events) > 0 && rng.IntN(10) == 0:
				e := events[rng.IntN(len(events))]
				post(crdt.KindRSVP, &crdt.RSVPBody{Event: e.ID().Bytes(), Answer: uint8(1 + rng.IntN(3)), Time: int64(i)}, k)
				f.teamActs++
			case rng.IntN(200) == 0:
				m := recent[rng.IntN(len(recent))]
				post(crdt.KindCollect, &crdt.CollectBody{Target: m.ID().Bytes(), Collection: []string{"Tips", "Testimonials"}[rng.IntN(2)], On: true, Time: int64(i)}, admin)
				f.teamActs++
			case len(polls) > 0 && rng.IntN(2) == 0:
				p := polls[rng.IntN(len(polls))]
				post(crdt.KindVote, &crdt.VoteBody{Poll: p.ID().Bytes(), Choices: []uint8{uint8(rng.IntN(3))}}, k)
				f.votes++
			default:
				m := recent[rng.IntN(len(recent))]
				post(crdt.KindReaction, &crdt.ReactionBody{Target: m.ID().Bytes(), Emoji: []string{"👍", "❤️", "🎉"}[rng.IntN(3)], On: true}, k)
				f.reactions++
			}
		case f.posts() < messages && i%100 == 50:
			// A win, an event or (by an admin) a promotion every hundred.
			switch w := authors[rng.IntN(len(authors))]; (i / 100) % 4 {
			case 0, 1:
				post(crdt.KindWin, &crdt.WinBody{Member: w.PublicKey(), Badge: crdt.Badges[rng.IntN(len(crdt.Badges))], Text: "Well done!", Time: int64(i)}, k)
			case 2:
				events = append(events, post(crdt.KindEvent, &crdt.EventBody{Title: "Training call", Starts: int64(i + 1), Duration: 3_600_000, Where: "https://meet.example/glow", Time: int64(i)}, k))
			case 3:
				post(crdt.KindPromo, &crdt.PromoBody{Title: "Spring sale", Text: "20% off starter kits", Starts: int64(i), Ends: int64(i + 1000), Code: "SPRING", Time: int64(i)}, admin)
			}
			f.cards++
		case f.posts() < messages && i%500 == 250 && len(recent) > 0:
			// An admin answers a question (a top-level message) and marks
			// the reply as its answer.
			q := recent[rng.IntN(len(recent))]
			r := post(crdt.KindMessage, &crdt.MessageBody{Text: "Yes: ask your sponsor for the order form.", ReplyTo: q.ID().Bytes(), Time: int64(i)}, admin)
			f.messages++
			post(crdt.KindAnswer, &crdt.AnswerBody{Question: q.ID().Bytes(), Answer: r.ID().Bytes(), Time: int64(i)}, admin)
			f.answers++
		case f.posts() < messages && i%200 == 0:
			polls = append(polls, post(crdt.KindPoll, &crdt.PollBody{Question: "Which training slot?", Options: []string{"Mon", "Wed", "Fri"}, Time: int64(i)}, k))
			f.polls++
		case f.posts() < messages:
			m := post(crdt.KindMessage, &crdt.MessageBody{Text: fmt.Sprintf("Great call today, thanks team! Tip %d: follow up within 24 hours.", i), Time: int64(i)}, k)
			f.messages++
			recent = append(recent, m)
			if len(recent) > 1000 {
				recent = recent[1:]
			}
		}
	}
	return f
}

// storedFixture is a 5,000-member fixture written into a Badger store on
// disk.
type storedFixture struct {
	once  sync.Once
	f     *bigCommunity
	dir   string
	bytes int64 // the store's size on disk
}

// fixtures are stored's: [0] without progress logs, [1] with a progress
// log for every member.
var fixtures [2]storedFixture

// storedWith returns the 5,000-member fixture (every member with a
// progress log when progress is set), written once into a Badger store on
// disk.
func storedWith(b *testing.B, progress bool) *storedFixture {
	sf := &fixtures[0]
	if progress {
		sf = &fixtures[1]
	}
	sf.once.Do(func() {
		fixture := buildTeamCommunity(b, 5000, 100_000, 50_000, false, progress)
		dir, err := os.MkdirTemp("", "umbrella-bench")
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.OpenBadger(dir, store.BadgerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for _, o := range append([]*crdt.Op{fixture.genesis}, fixture.ops...) {
			if err := st.Put(ctx, crdt.Opened{Op: o}); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		sf.f, sf.dir = fixture, dir
		sf.bytes = dirSize(b, dir)
	})
	if sf.f == nil {
		b.Fatal("fixture failed")
	}
	return sf
}

// dirSize is the size of the files under dir.
func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkRebuild measures what a node does when it starts: open the
// Badger store and rebuild a community of 5,000 members with 100,000
// messages and polls and 50,000 reactions and votes, the team kinds at a
// team's volume among them (wins, events and their answers, promotions,
// Q&A answers, collections), six first steps and a progress log for every
// member with its ticks. Targets: < 3 s, < 150 MB of heap.
func BenchmarkRebuild(b *testing.B) { benchRebuild(b, true) }

// BenchmarkRebuildNoProgress is BenchmarkRebuild without the first steps
// and progress logs: the difference is what 5,000 progress logs cost.
func BenchmarkRebuildNoProgress(b *testing.B) { benchRebuild(b, false) }

// rebuildProfileEnv names a directory where BenchmarkRebuild writes a
// heap profile of the rebuilt replica (rebuild.pprof, after the store is
// closed and a GC); unset: none.
const rebuildProfileEnv = "UMBRELLA_REBUILD_PROFILE"

// writeHeapProfile writes the live heap to dir/name.pprof; dir "" writes
// nothing.
func writeHeapProfile(b *testing.B, dir, name string) {
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

func benchRebuild(b *testing.B, progress bool) {
	sf := storedWith(b, progress)
	f, dir := sf.f, sf.dir
	ctx := context.Background()
	var heap, withStore uint64
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		st, err := store.OpenBadger(dir, store.BadgerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		r, err := Open(ctx, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		var posts int
		err = r.View(f.genesis.ID(), func(c *crdt.Community) error {
			if got, want := len(c.State().Members), f.members+1-f.removed; got != want {
				return fmt.Errorf("rebuilt %d members, want %d", got, want)
			}
			posts = len(c.View(f.general).Posts)
			logs := 0
			for _, g := range c.State().Groups {
				if g.Policy == crdt.PolicyProgress {
					logs++
				}
			}
			if logs != f.progress {
				return fmt.Errorf("rebuilt %d progress logs, want %d", logs, f.progress)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if posts != f.posts() {
			b.Fatalf("rebuilt %d posts, want %d", posts, f.posts())
		}
		b.StopTimer()
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		withStore = max(withStore, after.HeapAlloc-before.HeapAlloc)
		st.Close() // Badger's own buffers (memtable, cache, compaction) go
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = max(heap, after.HeapAlloc-before.HeapAlloc)
		writeHeapProfile(b, os.Getenv(rebuildProfileEnv), "rebuild")
		runtime.KeepAlive(r)
		b.StartTimer()
	}
	b.ReportMetric(float64(withStore)/(1<<20), "heap+badger-MB")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(f.ops)+1), "ops")
	b.ReportMetric(float64(sf.bytes)/(1<<20), "store-MB")
	b.ReportMetric(float64(f.progress+f.ticks), "progress-ops")
}

// ingestFixture is the community BenchmarkIngest and BenchmarkVerifyParallel
// share: 500 members, 20,000 messages and polls and 10,000 reactions and
// votes, every body but the key-management ops' sealed (clear: the same
// community in clear), as encoded ops in the order a pull fetches them
// (the control log, then the group, each parents first).
type ingestFixture struct {
	sealed, clear *bigCommunity
	sealedRaws    [][]byte
	clearRaws     [][]byte
}

var (
	ingestOnce sync.Once
	ingestFix  *ingestFixture
)

func ingestData(b *testing.B) *ingestFixture {
	ingestOnce.Do(func() {
		f := &ingestFixture{
			sealed: buildCommunity(b, 500, 20_000, 10_000, true),
			clear:  buildCommunity(b, 500, 20_000, 10_000, false),
		}
		for _, o := range f.sealed.ops {
			f.sealedRaws = append(f.sealedRaws, o.Bytes())
		}
		for _, o := range f.clear.ops {
			f.clearRaws = append(f.clearRaws, o.Bytes())
		}
		ingestFix = f
	})
	if ingestFix == nil {
		b.Fatal("fixture failed")
	}
	return ingestFix
}

// benchSealer opens what the bench's member receives with its keyring,
// which holds every epoch of the fixture.
type benchSealer struct{ keys *e2ee.Keyring }

var _ Sealer = benchSealer{}

func (s benchSealer) Seal(c *crdt.Community, o *crdt.Op) error {
	return s.keys.Seal(o, sealEpoch(c.ID(), o.Log))
}

func (s benchSealer) Open(o *crdt.Op) ([]byte, error) { return s.keys.Open(o) }

// pull feeds raws to r the way a node's fetch does (node/syncproto.go,
// fetchPass): batches of wire.MaxFetch ops, each decoded and verified on
// every core by DecodeOps while the batch before it is ingested by
// IngestBatch in one store write. Every op must be accepted.
func pull(ctx context.Context, r *Replica, raws [][]byte) error {
	type batch struct {
		ops  []*crdt.Op
		errs []error
	}
	verified := make(chan batch, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		defer close(verified)
		for start := 0; start < len(raws); start += wire.MaxFetch {
			ops, errs := DecodeOps(raws[start:min(start+wire.MaxFetch, len(raws))])
			select {
			case verified <- batch{ops, errs}:
			case <-ctx.Done():
				return
			}
		}
	})
	for b := range verified {
		for i, err := range b.errs {
			if err != nil {
				return fmt.Errorf("decode op %d of a batch: %w", i, err)
			}
		}
		results, errs, err := r.IngestBatch(ctx, b.ops)
		if err != nil {
			return err
		}
		for i, res := range results {
			if errs[i] != nil || res.Outcome != Accepted {
				return fmt.Errorf("op %s (%s): outcome %d: %v", b.ops[i].ID().Short(), b.ops[i].Kind, res.Outcome, errs[i])
			}
		}
	}
	return nil
}

// BenchmarkIngest measures what a member's node does with ops it pulls from
// a peer, as it ships: encoded ops from many authors (control ops and
// sealed messages, reactions, polls and votes) decoded and verified on
// every core (DecodeOps), then opened with the member's keys (fresh
// chains, as after a restart), checked, applied and written to the Badger
// store (IngestBatch), one fetch batch at a time. clear is the same
// community with bodies in clear and no keys. cpu-µs/op, the process's
// CPU time per op, compares the work done where other load on the machine
// blurs the wall-clock rates; pct-of-raw-verify is raw parallel Ed25519
// verify's CPU time per op (of the same ops, measured in the same run as
// BenchmarkVerifyParallel measures it) over ingest's, in per cent. Target:
// at least 50.
func BenchmarkIngest(b *testing.B) {
	f := ingestData(b)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    *bigCommunity
		raws [][]byte
		seal bool
	}{{"sealed", f.sealed, f.sealedRaws, true}, {"clear", f.clear, f.clearRaws, false}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
				if err != nil {
					b.Fatal(err)
				}
				r, err := Open(ctx, st, nil)
				if err != nil {
					b.Fatal(err)
				}
				if tc.seal {
					keys := e2ee.NewKeyring()
					addSealEpochs(keys, tc.f.genesis.ID(), crdt.ZeroID, tc.f.general)
					r.SetSealer(benchSealer{keys})
				}
				cid := tc.f.genesis.ID()
				r.Expect(cid)
				if _, err := r.Ingest(ctx, tc.f.genesis); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := cpuTime()
				if err := pull(ctx, r, tc.raws); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - start
				b.StopTimer()
				n += len(tc.raws)
				var posts int
				_ = r.View(cid, func(c *crdt.Community) error { posts = len(c.View(tc.f.general).Posts); return nil })
				if posts != tc.f.posts() {
					b.Fatalf("ingested %d posts, want %d", posts, tc.f.posts())
				}
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			// The ceiling, from the same run: raw parallel verify of the
			// same ops' signatures, CPU time per op against ingest's.
			raw := rawVerifyCPU(b, tc.f.ops)
			b.StartTimer()
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/op")
			b.ReportMetric(100*raw.Seconds()/(cpu.Seconds()/float64(n)), "pct-of-raw-verify")
		})
	}
}

// rawVerifyCPU verifies the signatures of ops on every core, spread as
// DecodeOps spreads them, and returns the process's CPU time per op.
func rawVerifyCPU(tb testing.TB, ops []*crdt.Op) time.Duration {
	msgs := make([][]byte, len(ops))
	for i, o := range ops {
		var err error
		if msgs[i], err = o.SigningBytes(); err != nil {
			tb.Fatal(err)
		}
	}
	var bad atomic.Int64
	start := cpuTime()
	parallel(len(ops), func(i int) {
		if !ed25519.Verify(ops[i].Author[:], msgs[i], ops[i].Sig) {
			bad.Add(1)
		}
	})
	cpu := cpuTime() - start
	if bad.Load() > 0 {
		tb.Fatalf("%d signatures do not verify", bad.Load())
	}
	return cpu / time.Duration(len(ops))
}

// BenchmarkVerifyParallel measures raw Ed25519 verification of the
// signatures of BenchmarkIngest's sealed ops on every core, spread as
// DecodeOps spreads them: the ceiling ingest is measured against.
func BenchmarkVerifyParallel(b *testing.B) {
	f := ingestData(b)
	ops := f.sealed.ops
	msgs := make([][]byte, len(ops))
	for i, o := range ops {
		var err error
		if msgs[i], err = o.SigningBytes(); err != nil {
			b.Fatal(err)
		}
	}
	var bad atomic.Int64
	var n int
	start := cpuTime()
	for b.Loop() {
		parallel(len(ops), func(i int) {
			if !ed25519.Verify(ops[i].Author[:], msgs[i], ops[i].Sig) {
				bad.Add(1)
			}
		})
		n += len(ops)
	}
	cpu := cpuTime() - start
	if bad.Load() > 0 {
		b.Fatalf("%d signatures do not verify", bad.Load())
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/op")
}

// The bench's epochs: fixed ids and secrets, one per log.
func sealEpoch(_ crdt.ID, log crdt.ID) crdt.EpochID {
	var e crdt.EpochID
	copy(e[:], log[:])
	e[15] ^= 0x5a
	return e
}

func addSealEpochs(k *e2ee.Keyring, cid crdt.ID, logs ...crdt.ID) {
	if k == nil {
		return
	}
	for _, log := range logs {
		k.AddEpoch(e2ee.EpochKey{ID: sealEpoch(cid, log), Community: cid, Log: log, Secret: log[:]})
	}
}

// BenchmarkRotationApply measures what every member's node does with a
// rotation for a 5,000-member community: accept its rekey ops (13 for
// X25519 wraps, 109 for the hybrid's) into the control log, each checked
// and replayed. Wraps are random bytes of the real sizes; the owner
// writes the ops on the community's current control heads.
func BenchmarkRotationApply(b *testing.B) {
	f := buildCommunity(b, 5000, 0, 0, false)
	owner := seedKey(0)
	var members []crdt.PublicKey
	for i := range 5000 {
		var k crdt.PublicKey
		copy(k[:], seedKey(i+1).PublicKey())
		members = append(members, k)
	}
	slices.SortFunc(members, func(a, b crdt.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	for _, kem := range []struct {
		name    string
		id      uint16
		wrap    int // HPKE enc + ciphertext
		perPart int
	}{{"x25519", crdt.KEMX25519, 32 + 48, 385}, {"mlkem768x25519", crdt.KEMMLKEM768X25519, 1120 + 48, 46}} {
		b.Run(kem.name, func(b *testing.B) {
			parts := (len(members) + kem.perPart - 1) / kem.perPart
			for b.Loop() {
				b.StopTimer()
				stored := make([]crdt.Opened, len(f.ops))
				for i, o := range f.ops {
					stored[i] = crdt.Opened{Op: o}
				}
				c, err := crdt.Load(crdt.Opened{Op: f.genesis}, stored)
				if err != nil {
					b.Fatal(err)
				}
				var epoch crdt.EpochID
				crand.Read(epoch[:])
				var ops []*crdt.Op
				heads := c.ControlHeads()
				height := uint64(0)
				for _, h := range heads {
					height = max(height, c.Op(h).Height)
				}
				for p := range parts {
					body := &crdt.RekeyBody{Epoch: epoch[:], Part: uint16(p + 1), Parts: uint16(parts), Check: make([]byte, 32), Time: 1}
					for _, m := range members[p*kem.perPart : min(len(members), (p+1)*kem.perPart)] {
						w := make([]byte, kem.wrap)
						crand.Read(w)
						body.Wraps = append(body.Wraps, crdt.Wrap{Member: bytes.Clone(m[:]), KEM: kem.id, Prekey: make([]byte, 8), Secret: w})
					}
					raw, err := crdt.EncodeBody(body)
					if err != nil {
						b.Fatal(err)
					}
					op, err := crdt.Sign(crdt.Op{Community: f.genesis.ID(), Kind: crdt.KindRekey, Parents: heads, Height: height + 1, Body: raw}, owner)
					if err != nil {
						b.Fatal(err)
					}
					ops = append(ops, op)
					heads, height = []crdt.ID{op.ID()}, op.Height
				}
				b.StartTimer()
				for _, op := range ops {
					got, err := crdt.DecodeOp(op.Bytes())
					if err != nil {
						b.Fatal(err)
					}
					if err := c.Add(got, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(parts), "ops/rotation")
		})
	}
}
