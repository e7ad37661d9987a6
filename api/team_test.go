package api

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestTeamSettingsFlags: an admin may mark a regular group as a Q&A group
// (or unmark it), never the announcement group, and a member neither;
// the community carries its who-celebrates setting.
func TestTeamSettingsFlags(t *testing.T) {
	admin, member := crdt.PublicKey{1}, crdt.PublicKey{2}
	cid, gid := crdt.ID{9}, crdt.ID{8}
	st := &crdt.State{Community: cid, AdminsCelebrate: true,
		Members: map[crdt.PublicKey]*crdt.Member{admin: {Key: admin, Role: crdt.RoleAdmin}, member: {Key: member, Role: crdt.RoleMember}},
		Groups: map[crdt.ID]*crdt.Group{
			cid: {ID: cid, Name: "Announcements", Announcement: true},
			gid: {ID: gid, Name: "Product questions", Policy: crdt.PolicyEveryone, QA: true},
		}}
	for _, tc := range []struct {
		name string
		who  crdt.PublicKey
		gid  crdt.ID
		want bool
	}{
		{"admin, regular group", admin, gid, true},
		{"admin, announcements", admin, cid, false},
		{"member, regular group", member, gid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Group{ID: tc.gid}
			g.FillPermits(st, tc.who)
			if g.CanSetQA != tc.want {
				t.Fatalf("CanSetQA %v, want %v", g.CanSetQA, tc.want)
			}
		})
	}
	var c Community
	c.FillPermits(st, member)
	if !c.AdminsCelebrate || c.CanSetTeamSettings {
		t.Fatalf("member: admins celebrate %v, may set %v", c.AdminsCelebrate, c.CanSetTeamSettings)
	}
}
