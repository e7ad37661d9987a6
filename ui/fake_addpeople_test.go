package ui

import (
	"context"
	"fmt"
	"slices"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// addContact makes someone a contact of the member, sharing communities.
func (f *fakeBackend) addContact(name string, communities ...crdt.ID) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	peerID := "12D3KooWFakeContact" + name
	f.contacts = append(f.contacts, api.Contact{PeerID: peerID, Name: name, Communities: communities})
	return peerID
}

func (f *fakeBackend) Contacts() []api.Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.enter("Contacts")
	out := make([]api.Contact, len(f.contacts))
	for i, c := range f.contacts {
		out[i] = c
		out[i].Communities = slices.Clone(c.Communities)
	}
	return out
}

// AddMember adds a contact as the node does: crdt judges the add, and
// only someone sharing another community may be added.
func (f *fakeBackend) AddMember(_ context.Context, cid crdt.ID, peerID string) error {
	err := f.changeCommunity("AddMember", cid, func(c *fakeCommunity) error {
		i := slices.IndexFunc(f.contacts, func(x api.Contact) bool {
			return x.PeerID == peerID && slices.ContainsFunc(x.Communities, func(id crdt.ID) bool { return id != cid })
		})
		if i < 0 {
			return fmt.Errorf("add %s: %w", peerID, api.ErrNotContact)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindAdd, Member: fakeKey(peerID)}); err != nil {
			return err
		}
		if f.member(c, peerID) != nil {
			return fmt.Errorf("%w: already a member", crdt.ErrInvalid)
		}
		f.logAudit(c, "member.add", peerID, "member")
		c.members = append(c.members, api.Member{PeerID: peerID, Name: f.contacts[i].Name, Role: "member"})
		c.info.Members++
		f.contacts[i].Communities = append(f.contacts[i].Communities, cid)
		return nil
	})
	if err == nil {
		f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	}
	return err
}
