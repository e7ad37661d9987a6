package view

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// signer is a member's Ed25519 key.
type signer = testworld.Signer

// member returns the i-th test member's key (the same for every i each run).
func member(i int) signer { return testworld.Member(i) }

// world is a community held by one replica over the in-memory store, with
// no network and no node (testworld.Community): an owner, its General
// group (open to everyone) and an invite that members join by.
type world struct {
	tb      testing.TB
	st      *store.DS
	rep     *replica.Replica
	cid     crdt.ID
	general crdt.ID
	owner   signer
	inv     *crdt.Op
	invKey  ed25519.PrivateKey
	clock   int64 // the next op's time, unix milliseconds
	// metas are the members' devices' read marks and mutes.
	metas map[crdt.PublicKey]*store.DS
}

var body = testworld.Body

// newWorld makes a community named name owned by member(0).
func newWorld(tb testing.TB, name string) *world {
	tb.Helper()
	w := &world{tb: tb, clock: 1_000_000}
	c := testworld.New(tb, name, w.now)
	w.st, w.rep, w.cid, w.general, w.owner = c.Store, c.Rep, c.ID, c.General, c.Owner
	w.write(w.owner, crdt.ZeroID, crdt.KindProfile, &crdt.ProfileBody{Name: "Olivia", Time: w.now()})
	c.AddInvite(name, w.now())
	w.inv, w.invKey = c.Invite, c.InviteKey
	return w
}

// now returns the next op's time; every call is a second later.
func (w *world) now() int64 {
	w.clock += 1000
	return w.clock
}

// op authors an op on the replica.
func (w *world) op(s signer, log crdt.ID, kind crdt.Kind, b any) *crdt.Op {
	w.tb.Helper()
	o, err := w.rep.Author(context.Background(), s, w.cid, log, kind, body(w.tb, b))
	if err != nil {
		w.tb.Fatalf("author %s: %v", kind, err)
	}
	return o
}

// write authors an op and returns its id.
func (w *world) write(s signer, log crdt.ID, kind crdt.Kind, b any) crdt.ID {
	w.tb.Helper()
	return w.op(s, log, kind, b).ID()
}

// join has s join by the invite as name.
func (w *world) join(s signer, name string) {
	w.tb.Helper()
	j := testworld.JoinOp(w.tb, w.cid, w.inv, w.invKey, s, name, w.now())
	if res, err := w.rep.Ingest(context.Background(), j); err != nil || res.Outcome != replica.Accepted {
		w.tb.Fatalf("join of %s: %+v %v", name, res, err)
	}
}

// post writes a message by s in group gid, mentioning whom it names.
func (w *world) post(s signer, gid crdt.ID, text string, mentions ...signer) crdt.ID {
	w.tb.Helper()
	mb := &crdt.MessageBody{Text: text, Time: w.now()}
	for _, m := range mentions {
		mb.Mentions = append(mb.Mentions, []byte(m.PublicKey()))
	}
	return w.write(s, gid, crdt.KindMessage, mb)
}

// reply writes a reply by s to message to.
func (w *world) reply(s signer, gid, to crdt.ID, text string) crdt.ID {
	w.tb.Helper()
	return w.write(s, gid, crdt.KindMessage, &crdt.MessageBody{Text: text, Time: w.now(), ReplyTo: to.Bytes()})
}

// meta returns member s's device store of read marks and mutes.
func (w *world) meta(s signer) *store.DS {
	if w.metas == nil {
		w.metas = map[crdt.PublicKey]*store.DS{}
	}
	if w.metas[s.Key()] == nil {
		w.metas[s.Key()] = store.NewMemory()
	}
	return w.metas[s.Key()]
}

// views returns the views of the world's replica as member self sees them
// on its device.
func (w *world) views(self signer) *Views {
	return w.viewsEmitting(self, nil)
}

func (w *world) viewsEmitting(self signer, emit func(api.Event)) *Views {
	v, err := New(context.Background(), Config{Replica: w.rep, Meta: w.meta(self), NotFound: store.ErrNotFound, Self: self.Key(), Names: testNames{}, Emit: emit})
	if err != nil {
		w.tb.Fatal(err)
	}
	return v
}

// testNames names members by their profile, else by their key.
type testNames struct{}

var _ Names = testNames{}

func (testNames) Name(st *crdt.State, k crdt.PublicKey) string {
	if m := st.Members[k]; m != nil && m.Name != "" {
		return m.Name
	}
	if n := st.Names[k]; n != "" {
		return n
	}
	return fmt.Sprintf("Member %x", k[:3])
}

func (testNames) PeerID(k crdt.PublicKey) string { return "peer-" + k.String()[:12] }
