package node

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// ownerAndTwo starts three nodes on a simulated network, the first owning a
// new community the others are not in yet. Call it inside synctest.Test.
func ownerAndTwo(t *testing.T) (a, b, c *testNode, comm api.Community) {
	sn := newSimNet(t)
	a = sn.start(t.TempDir(), "Olivia", store.NewMemory())
	b = sn.start(t.TempDir(), "Ben", store.NewMemory())
	c = sn.start(t.TempDir(), "Chloe", store.NewMemory())
	t.Cleanup(func() { a.Close(); b.Close(); c.Close() })
	comm, err := a.CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	return a, b, c, comm
}

// ownerAndMember is ownerAndTwo with the second node joined by link.
func ownerAndMember(t *testing.T) (a, b, c *testNode, comm api.Community) {
	a, b, c, comm = ownerAndTwo(t)
	link, err := a.CreateInvite(t.Context(), comm.ID, api.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(t.Context(), link); err != nil {
		t.Fatal(err)
	}
	return a, b, c, comm
}

// TestJoinByApproval: in a community that admits by approval, a link makes
// a request, not a member; the requester sees nothing until an admin
// approves, then becomes a member by itself. A denied request admits no one.
func TestJoinByApproval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndTwo(t)
		if err := a.UpdateSettings(ctx, comm.ID, api.Settings{Name: "Glow Team", JoinPolicy: "approval"}); err != nil {
			t.Fatal(err)
		}
		if s, _ := a.Settings(comm.ID); s.JoinPolicy != "approval" || s.Name != "Glow Team" {
			t.Fatalf("settings %+v", s)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			got, err := n.Join(ctx, link)
			if err != nil || got.Role != api.RoleRequested || got.Name != "Glow Team" {
				t.Fatalf("%s join: %+v, %v", n.Self().Name, got, err)
			}
			if len(n.Communities()) != 0 {
				t.Fatalf("%s holds the community before approval", n.Self().Name)
			}
		}
		// Asking again is not an error.
		if got, err := b.Join(ctx, link); err != nil || got.Role != api.RoleRequested {
			t.Fatalf("second join: %+v, %v", got, err)
		}
		reqs, err := a.JoinRequests(comm.ID)
		if err != nil || len(reqs) != 2 {
			t.Fatalf("requests %+v, %v", reqs, err)
		}
		if err := a.DecideJoin(ctx, comm.ID, b.Self().PeerID, true); err != nil {
			t.Fatal(err)
		}
		if err := a.DecideJoin(ctx, comm.ID, c.Self().PeerID, false); err != nil {
			t.Fatal(err)
		}
		if err := a.DecideJoin(ctx, comm.ID, c.Self().PeerID, true); !errors.Is(err, crdt.ErrInvalid) {
			t.Fatalf("deciding a request twice: %v", err)
		}
		waitFor(t, b.Node, "b to be let in", func() bool {
			cs := b.Communities()
			return len(cs) == 1 && cs[0].Role == "member"
		})
		gid := general(t, a.Node, comm.ID)
		if _, err := b.Post(ctx, comm.ID, gid, "Thanks for letting me in"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to see b's post", func() bool { return len(texts(t, a.Node, comm.ID, gid)) == 1 })
		// The denied requester keeps asking; each pull is refused.
		if err := c.pulls.PullNow(ctx, a.host.ID(), comm.ID, nil); err == nil || !strings.Contains(err.Error(), errNotMember.Error()) {
			t.Fatalf("a denied requester's pull: %v", err)
		}
		if len(c.Communities()) != 0 {
			t.Fatal("a denied requester got the community")
		}
		if ms, _ := a.Members(comm.ID); len(ms) != 2 {
			t.Fatalf("members %+v", ms)
		}
	})
}

// TestDeniedRequesterLearns: a requester holds nothing of a community
// that admits by approval, so its pulls are refused; it asks again while
// it waits and so learns that an admin declined its request, which it
// then dismisses. The one approved is let in as before.
func TestDeniedRequesterLearns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndTwo(t)
		if err := a.UpdateSettings(ctx, comm.ID, api.Settings{Name: "Glow Team", JoinPolicy: "approval"}); err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			if got, err := n.Join(ctx, link); err != nil || got.Role != api.RoleRequested {
				t.Fatalf("%s join: %+v, %v", n.Self().Name, got, err)
			}
			want := []api.SentRequest{{Community: comm.ID, Name: "Glow Team"}}
			if got := n.SentRequests(); !slices.Equal(got, want) {
				t.Fatalf("%s waits: %+v, want %+v", n.Self().Name, got, want)
			}
		}
		// Asked again while nobody decided, it still waits.
		synctest.Wait()
		time.Sleep(3 * c.cfg.SyncInterval) // virtual time: three rounds of asking again
		synctest.Wait()
		if got := c.SentRequests(); len(got) != 1 || got[0].Declined {
			t.Fatalf("undecided request: %+v", got)
		}
		if err := a.DecideJoin(ctx, comm.ID, c.Self().PeerID, false); err != nil {
			t.Fatal(err)
		}
		if err := a.DecideJoin(ctx, comm.ID, b.Self().PeerID, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to learn of the denial", func() bool {
			got := c.SentRequests()
			return len(got) == 1 && got[0].Declined && got[0].Name == "Glow Team"
		})
		waitFor(t, b.Node, "b to be let in", func() bool {
			cs := b.Communities()
			return len(cs) == 1 && cs[0].Role == "member" && len(b.SentRequests()) == 0
		})
		if len(c.Communities()) != 0 {
			t.Fatal("a declined requester got the community")
		}
		c.DismissRequest(comm.ID)
		if got := c.SentRequests(); len(got) != 0 {
			t.Fatalf("after dismissing: %+v", got)
		}
	})
}

// TestInviteManager: invites with a use limit and an expiry are listed
// with their state; a revoked one stops working.
func TestInviteManager(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndTwo(t)
		once, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{MaxUses: 1, Lifetime: 48 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		forever, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{Lifetime: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{MaxUses: -2}); !errors.Is(err, crdt.ErrInvalid) {
			t.Fatalf("negative max uses: %v", err)
		}
		if _, err := b.Join(ctx, once); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, once); err == nil || !errors.Is(err, api.ErrJoinRefused) || !strings.Contains(err.Error(), "used 1 of 1 times") {
			t.Fatalf("an invite past its max uses: %v", err)
		}
		is, err := a.Invites(comm.ID)
		if err != nil || len(is) != 2 {
			t.Fatalf("invites %+v, %v", is, err)
		}
		var onceInfo, foreverInfo api.InviteInfo
		for _, i := range is {
			if i.MaxUses == 1 {
				onceInfo = i
			} else {
				foreverInfo = i
			}
		}
		if onceInfo.Uses != 1 || onceInfo.Expires == nil || time.Until(*onceInfo.Expires) > 48*time.Hour || onceInfo.By != "Olivia" {
			t.Fatalf("single-use invite %+v", onceInfo)
		}
		if foreverInfo.Expires != nil || foreverInfo.Uses != 0 {
			t.Fatalf("unlimited invite %+v", foreverInfo)
		}
		if err := a.RevokeInvite(ctx, comm.ID, foreverInfo.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, forever); err == nil || !errors.Is(err, api.ErrJoinRefused) || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("a revoked invite: %v", err)
		}
		if ms, _ := a.Members(comm.ID); len(ms) != 2 || ms[1].Name != "Ben" {
			t.Fatalf("members after refused joins: %+v", ms)
		}
		if err := b.RevokeInvite(ctx, comm.ID, onceInfo.ID); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("a member revoking an invite: %v", err)
		}
	})
}

// TestCapabilityFlags: the node fills what the local member may do from
// crdt's judge — an admin may not make a co-leader nor act on an owner, an
// owner may not change another owner, members neither invite nor pin.
func TestCapabilityFlags(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		if err := a.SetRole(ctx, comm.ID, b.Self().PeerID, "admin"); err != nil {
			t.Fatal(err)
		}
		role := func(n *testNode) string {
			for _, cm := range n.Communities() {
				if cm.ID == comm.ID {
					return cm.Role
				}
			}
			return ""
		}
		waitFor(t, b.Node, "b to be an admin", func() bool { return role(b) == "admin" })
		waitFor(t, c.Node, "c to see b as admin", func() bool {
			ms, _ := c.Members(comm.ID)
			return len(ms) == 3 && ms[1].Role == "admin"
		})
		may := func(n *testNode) map[string]string {
			ms, err := n.Members(comm.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, m := range ms {
				out[m.Name] = fmt.Sprintf("remove=%v grant=%v", m.CanRemove, m.Grantable)
			}
			return out
		}
		for _, tc := range []struct {
			n    *testNode
			want map[string]string
		}{
			{a, map[string]string{"Olivia": "remove=false grant=[]", "Ben": "remove=true grant=[member owner]", "Chloe": "remove=true grant=[admin owner]"}},
			{b, map[string]string{"Olivia": "remove=false grant=[]", "Ben": "remove=true grant=[member]", "Chloe": "remove=true grant=[admin]"}},
			{c, map[string]string{"Olivia": "remove=false grant=[]", "Ben": "remove=false grant=[]", "Chloe": "remove=false grant=[]"}},
		} {
			if got := may(tc.n); !maps.Equal(got, tc.want) {
				t.Errorf("%s may: %v, want %v", tc.n.Self().Name, got, tc.want)
			}
		}
		if err := a.SetRole(ctx, comm.ID, c.Self().PeerID, "owner"); err != nil {
			t.Fatal(err)
		}
		if got := may(a)["Chloe"]; got != "remove=false grant=[]" {
			t.Errorf("an owner may do to another owner: %s", got)
		}
		// The audit's details are typed: the roles given.
		es, err := a.Audit(comm.ID)
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, e := range es {
			if e.Action == "member.role" {
				roles = append(roles, e.TargetName+" "+e.Role)
			}
		}
		if want := []string{"Ben admin", "Chloe owner"}; !slices.Equal(roles, want) {
			t.Errorf("audited roles %q, want %q", roles, want)
		}
		for _, tc := range []struct {
			n    *testNode
			want string
		}{
			{b, "invite=true settings=true joins=true groups=true suggests=false editGroups=true audit=true"},
			{c, "invite=true settings=true joins=true groups=true suggests=false editGroups=true audit=true"},
		} {
			waitFor(t, tc.n.Node, "roles to settle", func() bool { return role(c) == "owner" })
			var cm api.Community
			for _, x := range tc.n.Communities() {
				cm = x
			}
			got := fmt.Sprintf("invite=%v settings=%v joins=%v groups=%v suggests=%v editGroups=%v audit=%v",
				cm.CanInvite, cm.CanEditSettings, cm.CanDecideJoins, cm.CanCreateGroups, cm.CreateSuggests, cm.CanEditGroups, cm.CanSeeAudit)
			if got != tc.want {
				t.Errorf("%s: %s, want %s", tc.n.Self().Name, got, tc.want)
			}
		}
		if err := a.SetRole(ctx, comm.ID, b.Self().PeerID, "member"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to be a member again", func() bool { return role(b) == "member" })
		var cm api.Community
		for _, x := range b.Communities() {
			cm = x
		}
		if cm.CanInvite || cm.CanEditSettings || cm.CanDecideJoins || !cm.CanCreateGroups || !cm.CreateSuggests || cm.CanEditGroups || cm.CanSeeAudit {
			t.Errorf("a member's community flags: %+v", cm)
		}
		gs, err := b.Groups(comm.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			got := fmt.Sprintf("post=%v react=%v pin=%v moderate=%v edit=%v", g.CanPost, g.CanReact, g.CanPin, g.CanModerate, g.CanEdit)
			want := "post=true react=true pin=false moderate=false edit=false"
			if g.Kind == api.GroupAnnouncement {
				want = "post=false react=true pin=false moderate=false edit=false"
			}
			if got != want {
				t.Errorf("a member in %s: %s, want %s", g.Name, got, want)
			}
		}
		gs, _ = a.Groups(comm.ID)
		for _, g := range gs {
			if !g.CanPost || !g.CanPin || !g.CanModerate || !g.CanEdit || g.CanApprove {
				t.Errorf("the owner in %s: %+v", g.Name, g)
			}
		}
	})
}
