package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake's group membership by admins: crdt judges each action on the
// fake's state (fake_rules_test.go), as the node's replica would.

func (f *fakeBackend) AddToGroup(_ context.Context, cid, gid crdt.ID, peerID string) error {
	return f.changeGroup("AddToGroup", cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		m := f.member(c, peerID)
		if m == nil {
			return fmt.Errorf("%s: %w", peerID, api.ErrUnknownMember)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupAdd, Group: gid, Member: fakeKey(peerID), Time: f.clock.UnixMilli()}); err != nil {
			return err
		}
		g.members = append(g.members, peerID)
		g.requests = slices.DeleteFunc(g.requests, func(r api.JoinRequest) bool { return r.PeerID == peerID })
		obj := gid
		c.audit = append(c.audit, api.AuditEntry{Action: crdt.KindGroupAdd.String(), Actor: f.self.PeerID, ActorName: f.self.Name,
			Target: peerID, TargetName: m.Name, Object: &obj, Name: g.info.Name, Detail: "added to " + g.info.Name, Time: f.clock})
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) RemoveFromGroup(_ context.Context, cid, gid crdt.ID, peerID string) error {
	return f.changeGroup("RemoveFromGroup", cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		m := f.member(c, peerID)
		if m == nil {
			return fmt.Errorf("%s: %w", peerID, api.ErrUnknownMember)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupRemove, Group: gid, Member: fakeKey(peerID)}); err != nil {
			return err
		}
		g.members = slices.DeleteFunc(g.members, func(p string) bool { return p == peerID })
		obj := gid
		c.audit = append(c.audit, api.AuditEntry{Action: crdt.KindGroupRemove.String(), Actor: f.self.PeerID, ActorName: f.self.Name,
			Target: peerID, TargetName: m.Name, Object: &obj, Name: g.info.Name, Detail: "removed from " + g.info.Name, Time: f.clock})
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) GroupCandidates(cid, gid crdt.ID) ([]api.Member, error) {
	ms, err := f.Members(cid)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("GroupCandidates"); err != nil {
		return nil, err
	}
	c, g, err := f.group(cid, gid)
	if err != nil {
		return nil, err
	}
	st := f.state(c)
	out := slices.DeleteFunc(ms, func(m api.Member) bool { return st.Groups[gid].Has(fakeKey(m.PeerID)) || g.members == nil })
	for i := range out {
		out[i].FillGroupPermits(st, f.selfKey(), fakeKey(out[i].PeerID), gid, f.clock.UnixMilli())
	}
	slices.SortStableFunc(out, func(a, b api.Member) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// setGroupMembers puts exactly peers into group gid.
func (f *fakeBackend) setGroupMembers(cid, gid crdt.ID, peers ...string) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	g.members = slices.Clone(peers)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
}

// addedBy has admin name put the local member into group gid, as the
// node reports it (api.Group.AddedBy).
func (f *fakeBackend) addedBy(cid, gid crdt.ID, name string) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	g.members = append(g.members, f.self.PeerID)
	g.info.AddedBy = name
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
}
