package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake backend's helpers for the admin screens' tests: changes that
// arrive from the network (another admin's action, a member's
// suggestion, a request to join a group) and big communities.

// addMembers adds n members named "Distributor 0001" and on to community
// cid, as if they had joined.
func (f *fakeBackend) addMembers(cid crdt.ID, n int) {
	f.mu.Lock()
	c := f.comm(cid)
	for i := 1; i <= n; i++ {
		c.members = append(c.members, api.Member{
			PeerID:       fmt.Sprintf("12D3KooWFakeDistributor%04d", i),
			Name:         fmt.Sprintf("Distributor %04d", i),
			Role:         "member",
			SafetyNumber: fmt.Sprintf("%05d 11111 22222 33333 44444 55555", i),
			Online:       i%3 == 0,
		})
	}
	c.info.Members += n
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// addMembersUnnumbered adds n members like addMembers, but listed without
// their safety numbers, as a node lists most of a big community's; the
// fake gives them when asked (SafetyNumbers).
func (f *fakeBackend) addMembersUnnumbered(cid crdt.ID, n int) {
	f.addMembers(cid, n)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.comm(cid).members {
		if m := &f.comm(cid).members[i]; strings.HasPrefix(m.Name, "Distributor ") {
			m.SafetyNumber = ""
		}
	}
}

// SafetyNumbers gives a distributor's safety number (addMembers), and
// counts the numbers asked for in safetyAsked.
func (f *fakeBackend) SafetyNumbers(peers []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("SafetyNumbers"); err != nil {
		return nil, err
	}
	out := make([]string, len(peers))
	for i, p := range peers {
		var n int
		if _, err := fmt.Sscanf(p, "12D3KooWFakeDistributor%04d", &n); err != nil {
			return nil, fmt.Errorf("no member %s", p)
		}
		out[i] = fmt.Sprintf("%05d 11111 22222 33333 44444 55555", n)
		f.safetyAsked++
	}
	return out, nil
}

// setRoleOf changes a member's role as if another admin had (no checks,
// no audit entry).
func (f *fakeBackend) setRoleOf(cid crdt.ID, peerID, role string) {
	f.mu.Lock()
	c := f.comm(cid)
	f.member(c, peerID).Role = role
	if peerID == f.self.PeerID {
		c.info.Role = role
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// setSettings replaces community cid's settings as if another admin had.
func (f *fakeBackend) setSettings(cid crdt.ID, s api.Settings) {
	f.mu.Lock()
	f.comm(cid).settings = s
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// addAudit appends entries to community cid's audit log as if they had
// arrived.
func (f *fakeBackend) addAudit(cid crdt.ID, es ...api.AuditEntry) {
	f.mu.Lock()
	c := f.comm(cid)
	c.audit = append(c.audit, es...)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// addSuggestion adds a group that a member suggested and no admin has
// approved yet.
func (f *fakeBackend) addSuggestion(cid crdt.ID, name string) crdt.ID {
	f.mu.Lock()
	c := f.comm(cid)
	g := &fakeGroup{info: api.Group{ID: f.id(), Name: name, Kind: api.GroupRegular, Policy: "open", Suggested: true}, members: []string{}}
	c.groups = append(c.groups, g)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	return g.info.ID
}

// addGroupRequest has a member ask to join approval group gid.
func (f *fakeBackend) addGroupRequest(cid, gid crdt.ID, peerID, name string) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	g.requests = append(g.requests, api.JoinRequest{PeerID: peerID, Name: name, Time: f.clock})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
}

// groupMemberIDs lists who is in group gid (nil: every member).
func (f *fakeBackend) groupMemberIDs(cid, gid crdt.ID) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, g, _ := f.group(cid, gid)
	return slices.Clone(g.members)
}

// settingsOf is community cid's settings.
func (f *fakeBackend) settingsOf(cid crdt.ID) api.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.comm(cid).settings
}

// invitesOf is community cid's invites.
func (f *fakeBackend) invitesOf(cid crdt.ID) []api.InviteInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.comm(cid).invites)
}

// fakeLink is the link of invite id: as long as a real short link naming
// two peers (join's tests check that length).
func fakeLink(id crdt.ID) string {
	return "umbrella://j/" + strings.Repeat("Q", 163) + id.String()[:12]
}

// InviteLinks gives the links of the live invites this member made, as a
// node that keeps their secrets does.
func (f *fakeBackend) InviteLinks(cid crdt.ID) ([]api.InviteLink, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("InviteLinks"); err != nil {
		return nil, err
	}
	var out []api.InviteLink
	for _, inv := range f.comm(cid).invites {
		l := api.InviteLink{InviteInfo: inv}
		live := !inv.Revoked && !inv.Lapsed && (inv.Expires == nil || f.clock.Before(*inv.Expires)) && (inv.MaxUses == 0 || inv.Uses < inv.MaxUses)
		if inv.By == f.self.Name && live {
			l.Link = fakeLink(inv.ID)
		}
		out = append(out, l)
	}
	return out, nil
}
