package ui

import (
	"crypto/sha256"
	"fmt"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake backend follows the community rules by asking crdt, as the node
// does: it turns a fake community into the control state crdt judges
// (members and roles, settings, groups, requests, invites), fills the
// capability flags with the same api methods the node uses, and refuses
// what crdt's judge refuses. So the screens' tests cannot pass on rules of
// the fake's own.

// fakeRoles are crdt's roles by the names the API uses.
var fakeRoles = map[string]crdt.Role{"member": crdt.RoleMember, "admin": crdt.RoleAdmin, "owner": crdt.RoleOwner}

// fakePolicies are crdt's group policies by the names the API uses.
var fakePolicies = map[string]crdt.GroupPolicy{"open": crdt.PolicyOpen, "approval": crdt.PolicyApproval, "everyone": crdt.PolicyEveryone, "private": crdt.PolicyPrivate}

// fakeKey is the key that stands for a fake peer id.
func fakeKey(peerID string) crdt.PublicKey { return sha256.Sum256([]byte(peerID)) }

// selfKey is the local member's key.
func (f *fakeBackend) selfKey() crdt.PublicKey { return fakeKey(f.self.PeerID) }

// state is community c as crdt's judge sees it. The local member's role
// is c.info.Role. Callers hold f.mu.
func (f *fakeBackend) state(c *fakeCommunity) *crdt.State {
	st := &crdt.State{
		Community: c.info.ID, Name: c.settings.Name, Description: c.settings.Description,
		MembersCreateGroups: c.settings.MembersCreateGroups, HideHistory: c.settings.HideHistory, Deactivated: c.settings.Deactivated,
		PrivateToAdminsOnly: c.settings.PrivateToAdminsOnly, AdminsCelebrate: c.adminsCelebrate,
		Members: map[crdt.PublicKey]*crdt.Member{}, Requests: map[crdt.PublicKey]*crdt.Request{},
		Groups: map[crdt.ID]*crdt.Group{}, Invites: map[crdt.ID]*crdt.Invite{},
	}
	if c.settings.JoinPolicy == "approval" {
		st.JoinPolicy = crdt.JoinByApproval
	}
	for _, m := range c.members {
		role := fakeRoles[m.Role]
		if m.PeerID == f.self.PeerID {
			role = fakeRoles[c.info.Role]
		}
		if role != crdt.RoleNone {
			k := fakeKey(m.PeerID)
			st.Members[k] = &crdt.Member{Key: k, Name: m.Name, Role: role}
		}
	}
	for _, r := range c.requests {
		k := fakeKey(r.PeerID)
		st.Requests[k] = &crdt.Request{Key: k, Name: r.Name}
	}
	for _, r := range c.relays {
		if st.Relays == nil {
			st.Relays = map[crdt.PublicKey]*crdt.Relay{}
		}
		st.Relays[fakeKey(r.PeerID)] = &crdt.Relay{Key: fakeKey(r.PeerID), Addrs: r.Addrs}
	}
	for _, inv := range c.invites {
		st.Invites[inv.ID] = &crdt.Invite{ID: inv.ID, Revoked: inv.Revoked, Lapsed: inv.Lapsed}
	}
	for _, g := range c.groups {
		cg := &crdt.Group{ID: g.info.ID, Name: g.info.Name, Description: g.info.Description, Policy: fakePolicies[g.info.Policy],
			Archived: g.info.Archived, Suggested: g.info.Suggested, QA: g.info.QA, Members: map[crdt.PublicKey]crdt.ID{}, Requests: map[crdt.PublicKey]*crdt.Request{}}
		if g.info.Kind == api.GroupAnnouncement {
			cg.Announcement, cg.Policy = true, crdt.PolicyOpen // as genesis makes it
		}
		switch {
		case cg.Everyone():
		case g.members == nil: // the fake's "every member"
			for k := range st.Members {
				cg.Members[k] = crdt.ID{}
			}
		default:
			for _, p := range g.members {
				cg.Members[fakeKey(p)] = crdt.ID{}
			}
		}
		for _, p := range g.participants {
			cg.Participants = append(cg.Participants, fakeKey(p))
		}
		if cg.Private() {
			st.Privates++
		}
		for _, r := range g.requests {
			k := fakeKey(r.PeerID)
			cg.Requests[k] = &crdt.Request{Key: k, Name: r.Name}
		}
		st.Groups[cg.ID] = cg
	}
	return st
}

// judge returns why community c would refuse action a by the local
// member, or nil. Callers hold f.mu.
func (f *fakeBackend) judge(c *fakeCommunity, a crdt.Action) error {
	return f.state(c).Judge(f.selfKey(), a)
}

// roleOf parses a role name as the node does.
func roleOf(role string) (crdt.Role, error) {
	r, ok := fakeRoles[role]
	if !ok {
		return 0, fmt.Errorf("%w: role %q: want member, admin or owner", crdt.ErrInvalid, role)
	}
	return r, nil
}
