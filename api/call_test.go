package api

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestCanCall: a group's CanCall is crdt's MayCall — a member may call in
// a regular group, not in the announcements; a stranger nowhere.
func TestCanCall(t *testing.T) {
	admin, member, stranger := crdt.PublicKey{1}, crdt.PublicKey{2}, crdt.PublicKey{3}
	cid, gid := crdt.ID{9}, crdt.ID{8}
	st := &crdt.State{Community: cid,
		Members: map[crdt.PublicKey]*crdt.Member{admin: {Key: admin, Role: crdt.RoleAdmin}, member: {Key: member, Role: crdt.RoleMember}},
		Groups: map[crdt.ID]*crdt.Group{
			cid: {ID: cid, Name: "Announcements", Announcement: true},
			gid: {ID: gid, Name: "General", Policy: crdt.PolicyEveryone},
		}}
	for _, tc := range []struct {
		name string
		who  crdt.PublicKey
		gid  crdt.ID
	}{
		{"admin, regular group", admin, gid},
		{"admin, announcements", admin, cid},
		{"member, regular group", member, gid},
		{"member, announcements", member, cid},
		{"stranger", stranger, gid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Group{ID: tc.gid}
			g.FillPermits(st, tc.who)
			if want := st.MayCall(tc.who, tc.gid); g.CanCall != want {
				t.Fatalf("CanCall %v, crdt says %v", g.CanCall, want)
			}
		})
	}
	g := Group{ID: gid}
	g.FillPermits(st, member)
	s := Group{ID: gid}
	s.FillPermits(st, stranger)
	if !g.CanCall || s.CanCall {
		t.Fatalf("member may call %v, stranger %v", g.CanCall, s.CanCall)
	}
}
