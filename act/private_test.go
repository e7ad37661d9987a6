package act

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// actsAs returns the Actions of member s on w's replica.
func (w *world) actsAs(t *testing.T, s signer) *Actions {
	t.Helper()
	a, err := New(Config{Author: fakeAuthor{w.rep, s, &w.journal}, Replica: w.rep, Views: w.views, Names: testNames{},
		Keys: fakeKeys{&w.journal}, Self: s.Key(), Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func peer(s signer) string { return testNames{}.PeerID(s.Key()) }

// TestOpenPrivate: opening a conversation with the same people again
// returns the open one (the lowest id of those started concurrently),
// renews its keys once, and it is listed by Privates, never by Groups.
func TestOpenPrivate(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	owner, bo := member(0), member(1)
	id, err := w.act.OpenPrivate(ctx, w.cid, []string{peer(bo)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"group.create", "rotate " + id.Short() + " reason 0 excluding false"}; !slices.Equal(w.journal, want) {
		t.Fatalf("journal %q, want %q", w.journal, want)
	}
	again, err := w.actsAs(t, bo).OpenPrivate(ctx, w.cid, []string{peer(owner)})
	if err != nil || again != id || len(w.journal) != 2 {
		t.Fatalf("open again from the other side: %s, %v, journal %q", again.Short(), err, w.journal)
	}
	// Two more started at once (neither saw the other): everyone opens the
	// lowest id of the three.
	create := &crdt.GroupCreateBody{Policy: crdt.PolicyPrivate, Participants: [][]byte{owner.PublicKey()}, Time: w.tick()}
	ids := []crdt.ID{id, w.authored(t, bo, crdt.ZeroID, crdt.KindGroupCreate, create)}
	create.Time = w.tick()
	ids = append(ids, w.authored(t, bo, crdt.ZeroID, crdt.KindGroupCreate, create))
	lowest := slices.MinFunc(ids, crdt.ID.Compare)
	for _, a := range []*Actions{w.act, w.actsAs(t, bo)} {
		with := peer(bo)
		if a.self == bo.Key() {
			with = peer(owner)
		}
		if got, err := a.OpenPrivate(ctx, w.cid, []string{with, with}); err != nil || got != lowest {
			t.Fatalf("open with concurrent duplicates: %s, %v; want the lowest, %s", got.Short(), err, lowest.Short())
		}
	}
	gs, err := w.act.Groups(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if slices.Contains(ids, g.ID) {
			t.Fatalf("Groups lists private conversation %q", g.Name)
		}
	}
	w.now = w.now.Add(time.Hour)
	if _, err := w.act.Post(ctx, w.cid, ids[1], "newest"); err != nil {
		t.Fatal(err)
	}
	ps, err := w.act.Privates(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].Group != ids[1] || !ps[0].Last.Equal(w.now.Truncate(time.Millisecond)) {
		t.Fatalf("privates %+v: want 3, newest message first", ps)
	}
	p := ps[0]
	if len(p.With) != 1 || p.With[0].Name != "Bo" || p.With[0].PeerID != peer(bo) || p.Closed || p.Mine ||
		p.Conversation.Kind != api.GroupPrivate || !p.Conversation.CanPost || p.Conversation.CanPin || p.Conversation.CanModerate || p.Conversation.CanEdit {
		t.Fatalf("conversation %+v", p)
	}
}

// TestOpenPrivateRefused: the settings, a stranger and oneself are refused
// with the API's errors, and nothing is written.
func TestOpenPrivateRefused(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	owner, bo, cy := member(0), member(1), member(2)
	w.authored(t, owner, crdt.ZeroID, crdt.KindAdd, &crdt.AddBody{Member: cy.PublicKey(), Name: "Cy", Role: crdt.RoleMember, Time: w.tick()})
	w.authored(t, owner, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Club", PrivateToAdminsOnly: true, Time: w.tick()})
	w.journal = nil
	b := w.actsAs(t, bo)
	if _, err := b.OpenPrivate(ctx, w.cid, []string{peer(cy)}); !errors.Is(err, api.ErrPrivateRestricted) {
		t.Fatalf("member with member: %v", err)
	}
	if _, err := b.OpenPrivate(ctx, w.cid, []string{peer(bo)}); !errors.Is(err, api.ErrPrivateSelf) {
		t.Fatalf("with oneself: %v", err)
	}
	if _, err := b.OpenPrivate(ctx, w.cid, []string{peer(member(3))}); !errors.Is(err, api.ErrUnknownMember) {
		t.Fatalf("with a stranger: %v", err)
	}
	if len(w.journal) != 1 { // the refused create reached the author, which crdt turned down
		t.Fatalf("journal %q", w.journal)
	}
	if _, err := b.OpenPrivate(ctx, w.cid, []string{peer(owner)}); err != nil {
		t.Fatalf("member with the owner: %v", err)
	}
	if _, err := w.act.OpenPrivate(ctx, w.cid, []string{peer(cy), peer(bo)}); err != nil {
		t.Fatalf("owner with members: %v", err)
	}
	s, err := w.act.Settings(w.cid)
	if err != nil || !s.PrivateToAdminsOnly {
		t.Fatalf("settings %+v, %v", s, err)
	}
}

// TestPrivateClosedByRemoval: once the other side is removed, the
// one-to-one is listed closed, with them among those who left, and opening
// one with them again is refused: they are no longer a member.
func TestPrivateClosedByRemoval(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	bo := member(1)
	id, err := w.act.OpenPrivate(ctx, w.cid, []string{peer(bo)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.act.RemoveMember(ctx, w.cid, peer(bo)); err != nil {
		t.Fatal(err)
	}
	ps, err := w.act.Privates(w.cid)
	if err != nil || len(ps) != 1 || ps[0].Group != id {
		t.Fatalf("privates %+v, %v", ps, err)
	}
	if p := ps[0]; !p.Closed || !p.Conversation.Closed || len(p.With) != 0 || len(p.Left) != 1 || p.Left[0].PeerID != peer(bo) || p.Conversation.CanPost {
		t.Fatalf("after the removal: %+v", p)
	}
	if _, err := w.act.Post(ctx, w.cid, id, "still there?"); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("post in the closed conversation: %v", err)
	}
	if _, err := w.act.OpenPrivate(ctx, w.cid, []string{peer(bo)}); !errors.Is(err, api.ErrUnknownMember) {
		t.Fatalf("open with the removed member: %v", err)
	}
}

// noKeysAuthor refuses every write as a node without the group's keys
// does, before the community judges it.
type noKeysAuthor struct{}

func (noKeysAuthor) Write(context.Context, crdt.ID, crdt.ID, crdt.Kind, []byte) (*crdt.Op, error) {
	return nil, api.ErrNoKeys
}

// TestWriteInOthersPrivate: a member writing into a private conversation
// of others, whose keys it never gets, is told it is not in it, not to
// wait for keys; in a group it is in, wanting keys is still the reason.
func TestWriteInOthersPrivate(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	cy := member(2)
	w.c.Join(cy, "Cy", w.tick())
	dm, err := w.act.OpenPrivate(ctx, w.cid, []string{peer(member(1))})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Author: noKeysAuthor{}, Replica: w.rep, Views: w.views, Names: testNames{},
		Keys: fakeKeys{&w.journal}, Self: cy.Key(), Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Post(ctx, w.cid, dm, "let me in"); !errors.Is(err, crdt.ErrUnauthorized) || errors.Is(err, api.ErrNoKeys) ||
		!strings.Contains(err.Error(), "not in this private conversation") {
		t.Fatalf("post into others' conversation: %v, want not authorized", err)
	}
	if _, err := a.Post(ctx, w.cid, w.general, "hi"); !errors.Is(err, api.ErrNoKeys) {
		t.Fatalf("post in General without keys: %v, want %v", err, api.ErrNoKeys)
	}
}
