package ui

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake's private conversations: OpenPrivate asks crdt whether the
// local member may start one (the settings, membership) as the node does,
// finds the open one with the same people, and Privates lists them.

func (f *fakeBackend) OpenPrivate(_ context.Context, cid crdt.ID, members []string) (crdt.ID, error) {
	f.mu.Lock()
	if err := f.enter("OpenPrivate"); err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	c := f.comm(cid)
	if c == nil {
		f.mu.Unlock()
		return crdt.ID{}, errors.New("unknown community")
	}
	var peers []string
	var with []crdt.PublicKey
	for _, p := range members {
		switch {
		case p == f.self.PeerID:
			f.mu.Unlock()
			return crdt.ID{}, api.ErrPrivateSelf
		case !slices.ContainsFunc(c.members, func(m api.Member) bool { return m.PeerID == p }):
			f.mu.Unlock()
			return crdt.ID{}, api.ErrUnknownMember
		case !slices.Contains(peers, p):
			peers = append(peers, p)
			with = append(with, fakeKey(p))
		}
	}
	want := append(slices.Clone(peers), f.self.PeerID)
	slices.Sort(want)
	for _, g := range c.groups {
		if g.info.Kind == api.GroupPrivate && len(g.members) >= 2 && slices.Equal(g.participants, want) {
			f.mu.Unlock()
			return g.info.ID, nil
		}
	}
	if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupCreate, Policy: crdt.PolicyPrivate, With: with}); err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	g := &fakeGroup{info: api.Group{ID: f.id(), Kind: api.GroupPrivate, Policy: "private"}, members: slices.Clone(want), participants: want}
	c.groups = append(c.groups, g)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	return g.info.ID, nil
}

func (f *fakeBackend) Privates(cid crdt.ID) ([]api.Private, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Privates"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if c == nil {
		return nil, errors.New("unknown community")
	}
	out := []api.Private{}
	for _, g := range c.groups {
		if g.info.Kind != api.GroupPrivate || !slices.Contains(g.members, f.self.PeerID) {
			continue
		}
		name := func(p string) string {
			if i := slices.IndexFunc(c.members, func(m api.Member) bool { return m.PeerID == p }); i >= 0 {
				return c.members[i].Name
			}
			if n, ok := g.leftNames[p]; ok {
				return n
			}
			return p
		}
		info := f.groupInfo(c, g)
		p := api.Private{Group: g.info.ID, Unread: info.Unread, Mentions: info.Mentions, Muted: info.Muted,
			Closed: len(g.members) < 2, Conversation: info}
		p.Conversation.Closed = p.Closed
		for _, q := range g.participants {
			switch {
			case q == f.self.PeerID:
			case slices.Contains(g.members, q):
				p.With = append(p.With, api.Participant{PeerID: q, Name: name(q)})
			default:
				p.Left = append(p.Left, api.Participant{PeerID: q, Name: name(q)})
			}
		}
		if n := len(g.msgs); n > 0 {
			p.Last = g.msgs[n-1].Time
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b api.Private) int { return b.Last.Compare(a.Last) })
	return out, nil
}

// leavePrivates takes member peer out of community c's private
// conversations as the node does when it is removed: a conversation of
// two closes, a private group goes on without it. Called with f.mu held.
func (f *fakeBackend) leavePrivates(c *fakeCommunity, peer string) {
	m := f.member(c, peer)
	for _, g := range c.groups {
		if g.info.Kind != api.GroupPrivate || !slices.Contains(g.members, peer) {
			continue
		}
		g.members = slices.DeleteFunc(g.members, func(p string) bool { return p == peer })
		if g.leftNames == nil {
			g.leftNames = map[string]string{}
		}
		if m != nil {
			g.leftNames[peer] = m.Name
		}
	}
}

var _ interface {
	OpenPrivate(context.Context, crdt.ID, []string) (crdt.ID, error)
	Privates(crdt.ID) ([]api.Private, error)
} = (*fakeBackend)(nil)

// TestFakePrivates: the fake opens a conversation once, refuses a member's
// conversation with a member where the settings forbid it (as crdt
// judges), and lists conversations apart from the groups.
func TestFakePrivates(t *testing.T) {
	f := newFake()
	comm := f.addCommunity("Glow Team", "member", 4)
	ms, _ := f.Members(comm.ID)
	member, admin := ms[1].PeerID, ms[3].PeerID
	f.setRoleOf(comm.ID, admin, "admin")
	id, err := f.OpenPrivate(t.Context(), comm.ID, []string{member})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := f.OpenPrivate(t.Context(), comm.ID, []string{member, member}); err != nil || again != id {
		t.Fatalf("open again: %v, %v", again, err)
	}
	gs, _ := f.Groups(comm.ID)
	if slices.ContainsFunc(gs, func(g api.Group) bool { return g.ID == id }) {
		t.Fatal("Groups lists the conversation")
	}
	ps, err := f.Privates(comm.ID)
	if err != nil || len(ps) != 1 || ps[0].Group != id || len(ps[0].With) != 1 || ps[0].With[0].PeerID != member || !ps[0].Conversation.CanPost {
		t.Fatalf("privates %+v, %v", ps, err)
	}
	f.mu.Lock()
	f.comm(comm.ID).settings.PrivateToAdminsOnly = true
	f.mu.Unlock()
	if _, err := f.OpenPrivate(t.Context(), comm.ID, []string{member, admin}); !errors.Is(err, api.ErrPrivateRestricted) {
		t.Fatalf("member with a member, restricted: %v", err)
	}
	if _, err := f.OpenPrivate(t.Context(), comm.ID, []string{admin}); err != nil {
		t.Fatalf("member with an admin, restricted: %v", err)
	}
}
