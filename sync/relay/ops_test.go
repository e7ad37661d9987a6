package relay

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// clock is a fake clock for retention and stats.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// controlAndContent counts the ops of community cid the relay holds, live,
// by log kind.
func controlAndContent(t testing.TB, r *Relay, cid crdt.ID) (control, content int) {
	t.Helper()
	items, err := r.items(t.Context(), cid, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Key < reconcile.Rank(true, 0) {
			control++
		} else {
			content++
		}
	}
	return control, content
}

// TestRetentionDropsOldContentKeepsControl: with a retention, content ops
// stored longer ago are dropped from the store and no longer served,
// control ops never are; the relay's own pull does not fetch the dropped
// ops again (members are not asked to re-push them), a new op whose
// parent was dropped is still taken, and all of this holds across a
// restart.
func TestRetentionDropsOldContentKeepsControl(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	ds, err := store.OpenBadger(dir, store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	open := func(ds *store.DS) *Relay {
		t.Helper()
		r, err := Open(ctx, Config{Self: rk, Store: ds, Retention: 180 * 24 * time.Hour, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := open(ds)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	control, content := controlAndContent(t, r, cid)
	if content != 1 || control == 0 {
		t.Fatalf("the relay holds %d control and %d content ops", control, content)
	}
	var first crdt.ID
	items, err := r.items(ctx, cid, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Key >= reconcile.Rank(true, 0) {
			first = it.ID
		}
	}
	bytesBefore := r.Stats().Bytes

	clk.add(100 * 24 * time.Hour)
	second := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "day 100", Time: 100})
	if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Stored != 1 {
		t.Fatalf("pull on day 100: %+v, %v", st, err)
	}
	if n, err := r.Expire(ctx); err != nil || n != 0 {
		t.Fatalf("expire on day 100 dropped %d (%v); nothing is 180 days old", n, err)
	}

	clk.add(81 * 24 * time.Hour) // day 181: the first post is over 180 days old
	if n, err := r.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("expire on day 181 dropped %d (%v), want the first post", n, err)
	}
	if c2, c1 := controlAndContent(t, r, cid); c2 != control || c1 != 1 {
		t.Fatalf("after expiry: %d control (want %d), %d content (want 1)", c2, control, c1)
	}
	if ops, _ := r.Serve(ctx, cid, []crdt.ID{first, second.ID()}); len(ops) != 1 {
		t.Fatalf("served %d ops, want only the recent one", len(ops))
	}
	if _, err := ds.Get(ctx, first); !errors.Is(err, store.ErrPruned) {
		t.Fatalf("the dropped op in the store: %v", err)
	}
	if got := r.Stats(); got.Bytes >= bytesBefore+int64(len(second.Bytes())) || got.Dropped != 1 || got.Communities[0].Dropped != 1 {
		t.Fatalf("stats after expiry %+v", got)
	}
	// The relay's own pull does not fetch the dropped op again.
	if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Stored != 0 {
		t.Fatalf("pull after expiry: %+v, %v; the dropped op was fetched again", st, err)
	}
	// A member is not offered it.
	set, err := r.ReconcileSet(cid, tm.ben.k.pub())
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != control+1 {
		t.Fatalf("a member reconciles over %d ops, want %d", set.Len(), control+1)
	}

	// Restart: the dropped op still links, is not fetched, not offered.
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	ds, err = store.OpenBadger(dir, store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	r = open(ds)
	if c2, c1 := controlAndContent(t, r, cid); c2 != control || c1 != 1 {
		t.Fatalf("after a restart: %d control, %d content", c2, c1)
	}
	if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Stored != 0 {
		t.Fatalf("pull after a restart: %+v, %v", st, err)
	}
	// Ben, who never saw the first post, writes after it; his reply
	// (whose parent is the dropped post) is taken.
	if _, err := tm.ben.srv.Pull(ctx, tm.olivia.remote(tm.ben.k.pub()), cid, nil); err != nil {
		t.Fatal(err)
	}
	reply := tm.ben.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "late", Time: 200})
	if !containsID(reply.Parents, second.ID()) {
		t.Fatalf("reply's parents %v", reply.Parents)
	}
	if st, err := r.Pull(ctx, tm.ben.remote(rk), cid); err != nil || st.Stored != 1 {
		t.Fatalf("pull from Ben after a restart: %+v, %v", st, err)
	}
	// The control log is kept however old: 10 years on.
	clk.add(3650 * 24 * time.Hour)
	if _, err := r.Expire(ctx); err != nil {
		t.Fatal(err)
	}
	if c2, c1 := controlAndContent(t, r, cid); c2 != control || c1 != 0 {
		t.Fatalf("ten years on: %d control (want %d), %d content (want 0)", c2, control, c1)
	}
	if _, err := tm.ben.srv.Pull(ctx, reach(r, tm.ben.k.pub()), cid, nil); err != nil {
		t.Fatalf("a member pulls the control log ten years on: %v", err)
	}
	// A new post whose parent was dropped is taken.
	tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "ten years on", Time: 3650})
	if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Stored != 1 {
		t.Fatalf("a child of dropped ops: %+v, %v", st, err)
	}
}

func containsID(ids []crdt.ID, id crdt.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestRetentionNeedsARetainer: a retention over a store that cannot drop
// ops is refused at Open rather than silently ignored.
func TestRetentionNeedsARetainer(t *testing.T) {
	_, err := Open(t.Context(), Config{Self: newKey(7).pub(), Store: plainStore{store.NewMemory()}, Retention: time.Hour})
	if err == nil {
		t.Fatal("a retention over a store that cannot drop ops was accepted")
	}
}

// plainStore hides the store's Retainer methods.
type plainStore struct{ OpStore }

// failingStore fails every write while fail is set (a full disk).
type failingStore struct {
	*store.DS
	mu   sync.Mutex
	fail bool
}

var errDiskFull = errors.New("write /relaydb/000042.vlog: no space left on device")

func (f *failingStore) PutBatch(ctx context.Context, ops []crdt.Opened) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return errDiskFull
	}
	return f.DS.PutBatch(ctx, ops)
}

func (f *failingStore) set(fail bool) {
	f.mu.Lock()
	f.fail = fail
	f.mu.Unlock()
}

// TestFullDiskRefusesAndKeepsServing: a store write that fails refuses the
// ops with ErrStore and the disk's reason (counted in Stats), the member's
// nudge is answered with that reason, the relay keeps serving what it
// holds, and takes the ops once the disk has room again.
func TestFullDiskRefusesAndKeepsServing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		tm := newTeam(t, true)
		rk := tm.relayKey.pub()
		cid := tm.olivia.cid
		fs := &failingStore{DS: store.NewMemory()}
		r := openRelay(t, rk, fs, 0)
		if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
			t.Fatal(err)
		}
		before := r.Stats()

		fs.set(true)
		post := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "while the disk is full", Time: 5})
		errs, err := r.Ingest(ctx, cid, [][]byte{post.Bytes()})
		if err != nil {
			t.Fatalf("a failed write failed the call: %v", err)
		}
		if !errors.Is(errs[0], ErrStore) || !strings.Contains(errs[0].Error(), "no space left") {
			t.Fatalf("op refused with %v", errs[0])
		}
		if got := r.Stats(); got.Bytes != before.Bytes || got.Refused["store"] != 1 || got.Communities[0].Ops != before.Communities[0].Ops {
			t.Fatalf("stats after a failed write %+v (before %+v)", got, before)
		}

		// The member's push is answered with the reason.
		p := NewPuller(ctx, r, func(crdt.PublicKey) (exchange.Remote, error) { return tm.olivia.remote(rk), nil }, nil)
		defer p.Close()
		a := Answerer{Relay: r, Nudges: p, Wait: time.Minute}
		resp := a.AnswerSync(tm.olivia.k.pub(), &wire.Request{Kind: wire.KindNudge, Community: cid[:]})
		if !strings.Contains(resp.Error, ErrStore.Error()) || !strings.Contains(resp.Error, "no space left") {
			t.Fatalf("nudge with a full disk answered %q", resp.Error)
		}

		// It keeps serving what it holds.
		if _, err := tm.ben.srv.Pull(ctx, reach(r, tm.ben.k.pub()), cid, nil); err != nil {
			t.Fatalf("Ben's pull while the disk is full: %v", err)
		}
		if got := posts(t, tm.ben, tm.general); len(got) != 1 {
			t.Fatalf("Ben sees %q", got)
		}

		// Room again: the next push is kept.
		fs.set(false)
		if resp := a.AnswerSync(tm.olivia.k.pub(), &wire.Request{Kind: wire.KindNudge, Community: cid[:]}); resp.Error != "" {
			t.Fatalf("nudge with room again answered %q", resp.Error)
		}
		if ops, _ := r.Serve(ctx, cid, []crdt.ID{post.ID()}); len(ops) != 1 {
			t.Fatal("the post refused while the disk was full was not taken later")
		}
	})
}

// TestFullDiskProbe: a probe whose write fails keeps nothing and refuses
// every op with ErrStore; the community is taken whole on the next pull.
func TestFullDiskProbe(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	fs := &failingStore{DS: store.NewMemory(), fail: true}
	r := openRelay(t, rk, fs, 0)
	st, err := r.Pull(ctx, tm.olivia.remote(rk), cid)
	if err != nil || st.Stored != 0 || !errors.Is(st.Unkept, ErrStore) {
		t.Fatalf("probe on a full disk: %+v, %v", st, err)
	}
	if r.holds(cid) || r.Stats().Bytes != 0 {
		t.Fatal("a probe that was not written is held")
	}
	fs.set(false)
	if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Stored == 0 || !r.Keeps(cid) {
		t.Fatalf("pull with room again: %+v, %v", st, err)
	}
}

// TestStatsCounted: Stats counts the ops and bytes held, the members
// served, pushes and pulls, the last push and refusals by reason.
func TestStatsCounted(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	r, err := Open(ctx, Config{Self: rk, Store: store.NewMemory(), Now: clk.Now, Quota: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	var ops int
	var bytes int64
	items, err := r.items(ctx, cid, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		op, err := r.cfg.Store.Get(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		ops++
		bytes += int64(len(op.Bytes()))
	}
	// Two pulls by Ben, one by Olivia: two members served; each pull
	// runs one or more reconciliations.
	sessions := 0
	for _, m := range []*member{tm.ben, tm.ben, tm.olivia} {
		ps, err := m.srv.Pull(ctx, reach(r, m.k.pub()), cid, nil)
		if err != nil {
			t.Fatal(err)
		}
		sessions += ps.Sessions
	}
	// A stranger is refused.
	if _, err := r.ReconcileSet(cid, newKey(66).pub()); !errors.Is(err, ErrNotMember) {
		t.Fatal(err)
	}
	// A push (nudge) and a forged op.
	Answerer{Relay: r}.AnswerSync(tm.olivia.k.pub(), &wire.Request{Kind: wire.KindNudge, Community: cid[:]})
	if _, err := r.Ingest(ctx, cid, [][]byte{{0xa0}}); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if len(st.Communities) != 1 {
		t.Fatalf("stats %+v", st)
	}
	c := st.Communities[0]
	want := CommunityStats{ID: cid, Registered: true, Ops: ops, Bytes: bytes, MembersServed: 2, LastPush: clk.Now(), Pushes: 1, Pulls: uint64(sessions)}
	if c != want {
		t.Fatalf("community stats\n got %+v\nwant %+v", c, want)
	}
	if st.Bytes != bytes || st.Quota != 1<<30 || st.Share != (1<<30)/DefaultShareDivisor || st.Stored != uint64(ops) || st.Pushes != 1 || st.Pulls != uint64(sessions) || sessions < 3 {
		t.Fatalf("stats %+v", st)
	}
	if st.Refused["not_member"] != 1 || st.Refused["forged"] != 1 {
		t.Fatalf("refused %v", st.Refused)
	}
}

// TestPushTakesOpsAtOnce: a member's push (the ops it just wrote) is
// stored at once with no pull; a push of an op whose parent the relay
// lacks falls back to a pull from the sender; a push at the share is
// refused with the quota's reason; a stranger's push stores nothing; a
// push over the limits is refused.
func TestPushTakesOpsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		tm := newTeam(t, true)
		rk := tm.relayKey.pub()
		cid := tm.olivia.cid
		r := openRelay(t, rk, store.NewMemory(), 0)
		if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
			t.Fatal(err)
		}
		dials := 0
		p := NewPuller(ctx, r, func(crdt.PublicKey) (exchange.Remote, error) {
			dials++
			return tm.olivia.remote(rk), nil
		}, nil)
		defer p.Close()
		a := Answerer{Relay: r, Nudges: p, Wait: time.Minute}
		push := func(from crdt.PublicKey, ops ...*crdt.Op) *wire.Response {
			var raws [][]byte
			for _, op := range ops {
				raws = append(raws, op.Bytes())
			}
			return a.AnswerSync(from, &wire.Request{Kind: wire.KindPush, Community: cid[:], Ops: raws})
		}
		held := func(op *crdt.Op) bool {
			ops, _ := r.Serve(ctx, cid, []crdt.ID{op.ID()})
			return len(ops) == 1
		}

		post := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "at once", Time: 10})
		if resp := push(tm.olivia.k.pub(), post); resp.Error != "" || !held(post) || dials != 0 {
			t.Fatalf("push answered %q, held %v, %d pulls", resp.Error, held(post), dials)
		}

		skipped := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "not pushed", Time: 11})
		next := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "pushed", Time: 12})
		if resp := push(tm.olivia.k.pub(), next); resp.Error != "" || !held(next) || !held(skipped) || dials != 1 {
			t.Fatalf("push of an op whose parent the relay lacks: %q, held %v %v, %d pulls", resp.Error, held(skipped), held(next), dials)
		}

		stranger := newKey(66)
		if resp := push(stranger.pub(), next); resp.Error != "" || dials != 1 {
			t.Fatalf("a stranger's push: %q, %d pulls", resp.Error, dials)
		}
		too := make([]*crdt.Op, wire.MaxPushOps+1)
		for i := range too {
			too[i] = next
		}
		if resp := push(tm.olivia.k.pub(), too...); !strings.Contains(resp.Error, "malformed push") {
			t.Fatalf("a push over the limit answered %q", resp.Error)
		}

		// At the share: refused with the reason.
		r.mu.Lock()
		r.cfg.CommunityShare = r.comms[cid].bytes + 10
		r.mu.Unlock()
		last := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "one too many", Time: 13})
		if resp := push(tm.olivia.k.pub(), last); !strings.Contains(resp.Error, ErrQuota.Error()) || held(last) {
			t.Fatalf("push at the share answered %q", resp.Error)
		}
	})
}

// TestTakenOffDropsContentKeepsControl: once an admin's relay op takes the
// relay off a community, the relay drops what members wrote there (from
// the store, no longer served), keeps the control log (a member still
// pulls it, to learn of a removal), and the Puller does it at once, not at
// the next ExpireEvery. A registration again makes it take content again,
// linking to the dropped ops.
func TestTakenOffDropsContentKeepsControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		tm := newTeam(t, true)
		rk := tm.relayKey.pub()
		cid := tm.olivia.cid
		ds := store.NewMemory()
		r := openRelay(t, rk, ds, 0)
		if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
			t.Fatal(err)
		}
		post := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "Monday call at 7", Time: 5})
		if st, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil || st.Stored != 1 {
			t.Fatalf("pull: %+v, %v", st, err)
		}
		control, content := controlAndContent(t, r, cid)
		if content != 2 {
			t.Fatalf("the relay holds %d content ops, want 2", content)
		}
		// Registered: nothing is dropped.
		if n, err := r.DropUnregistered(ctx); err != nil || n != 0 {
			t.Fatalf("a registered community: dropped %d, %v", n, err)
		}

		p := NewPuller(ctx, r, func(crdt.PublicKey) (exchange.Remote, error) { return nil, errors.New("no dial") }, nil)
		defer p.Close()
		off := tm.olivia.author(crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: rk[:], Remove: true})
		if errs, _ := r.Ingest(ctx, cid, [][]byte{off.Bytes()}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		// The Puller drops the content at once (not at the next
		// ExpireEvery, an hour on the bubble's clock).
		synctest.Wait()
		if c2, c1 := controlAndContent(t, r, cid); c2 != control+1 || c1 != 0 {
			t.Fatalf("after the removal: %d control ops (want %d), %d content (want 0)", c2, control+1, c1)
		}
		if _, err := ds.Get(ctx, post.ID()); !errors.Is(err, store.ErrPruned) {
			t.Fatalf("the post in the store after the removal: %v", err)
		}
		if ops, _ := r.Serve(ctx, cid, []crdt.ID{post.ID(), off.ID()}); len(ops) != 1 || string(ops[0]) != string(off.Bytes()) {
			t.Fatalf("served %d ops after the removal, want only the control op", len(ops))
		}
		if got := r.Stats(); got.Communities[0].Dropped != 2 {
			t.Fatalf("stats after the removal %+v", got.Communities[0])
		}
		// A member still pulls the control log, with the relay's removal.
		if _, err := tm.ben.srv.Pull(ctx, reach(r, tm.ben.k.pub()), cid, nil); err != nil {
			t.Fatalf("a member pulls the control log after the removal: %v", err)
		}

		// Registered again, it takes new content, which links to the dropped.
		on := tm.olivia.author(crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: rk[:], Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}})
		later := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "back", Time: 6})
		if errs, _ := r.Ingest(ctx, cid, [][]byte{on.Bytes(), later.Bytes()}); errs[0] != nil || errs[1] != nil {
			t.Fatalf("after a new registration: %v", errs)
		}
		if n, err := r.DropUnregistered(ctx); err != nil || n != 0 {
			t.Fatalf("registered again: dropped %d, %v", n, err)
		}
	})
}

// TestIngestBatchVerifiedInParallel: a batch large enough to be decoded
// and verified on several goroutines keeps each op's verdict in its
// place: a forged op amid it is refused as forged, the ops after it,
// whose parent it is, as broken links, and those before it are stored.
func TestIngestBatchVerifiedInParallel(t *testing.T) {
	rk := newKey(7).pub()
	r := openRelay(t, rk, store.NewMemory(), 0)
	c := newBenchComm(t, 1, rk)
	c.register(t, r)
	n := 8 * minDecodeShare
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = c.next(t)
	}
	bad := n / 2
	raws[bad] = append([]byte(nil), raws[bad]...)
	raws[bad][len(raws[bad])-1] ^= 1 // the signature no longer verifies
	errs, err := r.Ingest(t.Context(), c.cid, raws)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		switch {
		case i < bad && e != nil:
			t.Fatalf("op %d before the forged one: %v", i, e)
		case i == bad && !errors.Is(e, ErrForged):
			t.Fatalf("the forged op %d: %v", i, e)
		case i > bad && !errors.Is(e, ErrBrokenLink):
			t.Fatalf("op %d after the forged one: %v", i, e)
		}
	}
}
