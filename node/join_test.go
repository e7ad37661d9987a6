package node

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestJoinProgress: a join reports its stages in order — checking the
// link, dialling the inviter, admitted, syncing with a growing count of
// ops — each naming the community; a join that needs approval ends with
// the request recorded.
func TestJoinProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndTwo(t)
		gid := general(t, a.Node, comm.ID)
		for i := range 40 {
			if _, err := a.Post(ctx, comm.ID, gid, fmt.Sprintf("tip %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var seen []api.JoinProgress
		got, err := b.JoinWithProgress(ctx, link, func(p api.JoinProgress) { seen = append(seen, p) })
		if err != nil || got.Role != "member" {
			t.Fatalf("join: %+v, %v", got, err)
		}
		stages := map[api.JoinStage]int{}
		ops := -1
		for i, p := range seen {
			if p.Community != "Glow Team" {
				t.Fatalf("progress %d names community %q", i, p.Community)
			}
			if i > 0 && p.Stage < seen[i-1].Stage {
				t.Fatalf("stage %d after %d: %+v", p.Stage, seen[i-1].Stage, seen)
			}
			stages[p.Stage]++
			switch p.Stage {
			case api.JoinConnecting:
				if p.Peer != join.ShortPeer(a.host.ID()) {
					t.Fatalf("dialling %q, want %q", p.Peer, join.ShortPeer(a.host.ID()))
				}
			case api.JoinSyncing:
				if p.Ops < ops || ops < 0 && p.Ops != 0 {
					t.Fatalf("ops went %d → %d", ops, p.Ops)
				}
				ops = p.Ops
			}
		}
		if seen[0].Stage != api.JoinChecking || stages[api.JoinConnecting] != 1 || stages[api.JoinAdmitted] != 1 || stages[api.JoinSyncing] < 2 || stages[api.JoinRequested] != 0 {
			t.Fatalf("stages %v", seen)
		}
		if ops < 40 {
			t.Fatalf("syncing reported %d ops, the community has more than 40", ops)
		}

		// In a community that admits by approval the join ends as a request.
		if err := a.UpdateSettings(ctx, comm.ID, api.Settings{Name: "Glow Team", JoinPolicy: "approval"}); err != nil {
			t.Fatal(err)
		}
		link, err = a.CreateInvite(ctx, comm.ID, api.InviteOptions{}) // on the new policy
		if err != nil {
			t.Fatal(err)
		}
		seen = nil
		got, err = c.JoinWithProgress(ctx, link, func(p api.JoinProgress) { seen = append(seen, p) })
		if err != nil || got.Role != api.RoleRequested {
			t.Fatalf("join by approval: %+v, %v", got, err)
		}
		if last := seen[len(seen)-1]; last.Stage != api.JoinRequested || stagesOf(seen)[api.JoinAdmitted] != 0 {
			t.Fatalf("stages of a join by approval: %v", seen)
		}
		if _, err := b.JoinWithProgress(ctx, link, nil); err != nil { // nil progress; already a member
			t.Fatal(err)
		}
	})
}

func stagesOf(ps []api.JoinProgress) map[api.JoinStage]int {
	out := map[api.JoinStage]int{}
	for _, p := range ps {
		out[p.Stage]++
	}
	return out
}

// TestJoinRefusalReasons: an expired link is refused as a bad link (a
// member asked only so that a member's node that lost the community could
// fetch it again); a member that refuses a link tells why — expired by its clock, revoked,
// used up — and the joiner's error says so in a way a program can tell.
func TestJoinRefusalReasons(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndTwo(t)
		reasons := []error{api.ErrInviteExpired, api.ErrInviteRevoked, api.ErrInviteUsedUp}
		only := func(what string, err error, want error, refused bool) {
			t.Helper()
			if errors.Is(err, api.ErrJoinRefused) != refused {
				t.Errorf("%s: %v; refused by a member: %v, want %v", what, err, errors.Is(err, api.ErrJoinRefused), refused)
			}
			for _, r := range reasons {
				if errors.Is(err, r) != (r == want) {
					t.Errorf("%s: %v; matches %q: %v", what, err, r, errors.Is(err, r))
				}
			}
		}

		// Expired by the joiner's clock: a bad link.
		a.skew.Store(int64(-8 * 24 * time.Hour))
		old, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a.skew.Store(0)
		_, err = b.Join(ctx, old)
		only("expired link", err, api.ErrInviteExpired, false)
		if !errors.Is(err, identity.ErrBadLink) {
			t.Errorf("expired link: %v, want ErrBadLink too", err)
		}

		// Expired by the admitting member's clock only.
		hour, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		a.skew.Store(int64(2 * time.Hour))
		_, err = b.Join(ctx, hour)
		only("link expired for the member", err, api.ErrInviteExpired, true)
		if errors.Is(err, identity.ErrBadLink) {
			t.Errorf("a member's refusal is not a bad link: %v", err)
		}
		a.skew.Store(0)

		// Revoked.
		revoked, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := readLink(t, a, revoked)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.RevokeInvite(ctx, comm.ID, inv.Op.ID()); err != nil {
			t.Fatal(err)
		}
		_, err = b.Join(ctx, revoked)
		only("revoked link", err, api.ErrInviteRevoked, true)

		// Used up.
		once, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Join(ctx, once); err != nil {
			t.Fatal(err)
		}
		_, err = c.Join(ctx, once)
		only("used-up link", err, api.ErrInviteUsedUp, true)
		if len(c.Communities()) != 0 {
			t.Fatal("a refused join left a community behind")
		}
	})
}

// TestJoinResumes: a join cut short after a member admitted it — the
// joiner's node closed before it stored anything — is not a lock-out. The
// joiner, on a fresh or its old store, joins again with the same link,
// with a link made after its admission, with a single-use link it used up
// and with a link that has since expired; each time it is answered as
// admitted, no second join is recorded, and it ends holding the community
// and reading what was posted before and after.
func TestJoinResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn, a, comm, gid := founderWhoPosted(t)
		unlimited, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// admitted has a member admit home's identity through link, then
		// closes the node before it stores anything, as kill -9 would.
		admitted := func(name, link string, st store.OpStore) string {
			t.Helper()
			home := t.TempDir()
			n := sn.start(home, name, st)
			inv, err := readLink(t, a, link)
			if err != nil {
				t.Fatal(err)
			}
			jop, err := n.joiner.JoinOp(inv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.joiner.Ask(ctx, inv.Addrs[0], inv, jop); err != nil {
				t.Fatalf("%s admitted: %v", name, err)
			}
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
			if joins := joinsBy(t, a.Node, comm.ID, n.selfKey()); joins != 1 {
				t.Fatalf("%s: %d joins recorded, want 1", name, joins)
			}
			return home
		}
		once, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		hour, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		oldStore := store.NewMemory()
		homes := map[string]string{
			"Ben":   admitted("Ben", unlimited, store.NewMemory()),
			"Chloe": admitted("Chloe", unlimited, store.NewMemory()),
			"Dana":  admitted("Dana", once, oldStore),
			"Eli":   admitted("Eli", hour, store.NewMemory()),
		}
		later, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a.skew.Store(int64(2 * time.Hour)) // the hour link has expired
		cases := []struct {
			name, link string
			st         store.OpStore
		}{
			{"Ben", unlimited, store.NewMemory()}, // the same link
			{"Chloe", later, store.NewMemory()},   // a link made after the admission
			{"Dana", once, oldStore},              // the single-use link it used, on its old store
			{"Eli", hour, store.NewMemory()},      // an expired link
		}
		var back []*testNode
		for _, tc := range cases {
			n := sn.start(homes[tc.name], tc.name, tc.st)
			defer n.Close()
			n.skew.Store(int64(2 * time.Hour))
			got, err := n.Join(ctx, tc.link)
			if err != nil || got.Role != "member" || got.ID != comm.ID {
				t.Fatalf("%s joins again: %+v, %v", tc.name, got, err)
			}
			if joins := joinsBy(t, a.Node, comm.ID, n.selfKey()); joins != 1 {
				t.Fatalf("%s: %d joins recorded after joining again, want 1", tc.name, joins)
			}
			back = append(back, n)
		}
		if _, err := a.Post(ctx, comm.ID, gid, "after"); err != nil {
			t.Fatal(err)
		}
		for _, n := range back {
			waitFor(t, n.Node, n.Self().Name+" to read both posts", func() bool {
				return slices.Equal(texts(t, n.Node, comm.ID, gid), []string{"Olivia: before", "Olivia: after"})
			})
		}
		// A stranger still cannot use the spent or expired links.
		x := sn.start(t.TempDir(), "Xavier", store.NewMemory())
		defer x.Close()
		x.skew.Store(int64(2 * time.Hour))
		if _, err := x.Join(ctx, once); !errors.Is(err, api.ErrInviteUsedUp) {
			t.Errorf("stranger with the used-up link: %v, want ErrInviteUsedUp", err)
		}
		if _, err := x.Join(ctx, hour); !errors.Is(err, api.ErrInviteExpired) || !errors.Is(err, identity.ErrBadLink) {
			t.Errorf("stranger with the expired link: %v, want ErrInviteExpired and ErrBadLink", err)
		}
		if len(x.Communities()) != 0 {
			t.Fatal("a refused stranger holds the community")
		}
	})
}

// joinsBy counts the join ops by k that n holds for community cid.
func joinsBy(t *testing.T, n *Node, cid crdt.ID, k crdt.PublicKey) int {
	t.Helper()
	joins := 0
	if err := n.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if o.Kind == crdt.KindJoin && o.Author == k {
				joins++
			}
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return joins
}

// TestInviteLapsesWithItsMaker: an admin's never-expiring link stops
// working when the admin is removed. A newcomer who tries it later is
// refused with that reason both at the removed admin's own node and at the
// owner's, and the owner's invite list shows the link no longer valid. A
// newcomer who got in through the removed admin's node while it was cut
// off from the owner (so the removal had not reached it) falls once the
// removal and the join meet, on every node, and reads nothing posted
// after.
func TestInviteLapsesWithItsMaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var nodes []*testNode
		for _, name := range []string{"Ben", "Eve", "Finn"} {
			n := sn.start(t.TempDir(), name, store.NewMemory())
			defer n.Close()
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatalf("%s joins: %v", name, err)
			}
			nodes = append(nodes, n)
		}
		b, e, f := nodes[0], nodes[1], nodes[2]
		// adminLink makes n an admin and has it make a link that never
		// expires.
		adminLink := func(n *testNode) (string, crdt.ID) {
			t.Helper()
			if err := a.SetRole(ctx, comm.ID, n.Self().PeerID, "admin"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, n.Node, n.Self().Name+" to be an admin", func() bool {
				c, err := n.community(comm.ID)
				return err == nil && c.Role == "admin"
			})
			l, err := n.CreateInvite(ctx, comm.ID, api.InviteOptions{Lifetime: -1})
			if err != nil {
				t.Fatal(err)
			}
			inv, err := readLink(t, n, l)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, a.Node, "the owner to hold "+n.Self().Name+"'s link", func() bool {
				has, _ := a.rep.Has(ctx, inv.Op.ID())
				return has
			})
			return l, inv.Op.ID()
		}
		members := func(n *testNode) []string {
			ms, err := n.Members(comm.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, m.Name)
			}
			slices.Sort(out)
			return out
		}

		// Finn's link, after Finn's removal has reached Finn's node.
		fLink, fInv := adminLink(f)
		if err := a.RemoveMember(ctx, comm.ID, f.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, f.Node, "Finn to learn of his removal", func() bool {
			c, err := f.community(comm.ID)
			return err == nil && c.Role == crdt.RoleNone.String()
		})
		c := sn.start(t.TempDir(), "Chloe", store.NewMemory())
		defer c.Close()
		_, err = c.Join(ctx, fLink) // the link names Finn's node
		if !errors.Is(err, api.ErrJoinRefused) || !errors.Is(err, api.ErrInviteLapsed) || !strings.Contains(err.Error(), "no longer an admin") {
			t.Fatalf("join at the removed admin's node: %v, want refused as lapsed", err)
		}
		inv, err := readLink(t, a, fLink)
		if err != nil {
			t.Fatal(err)
		}
		jop, err := c.joiner.JoinOp(inv)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.joiner.Ask(ctx, a.host.Peerstore().PeerInfo(a.host.ID()), inv, jop)
		if !errors.Is(err, api.ErrJoinRefused) || !errors.Is(err, api.ErrInviteLapsed) {
			t.Fatalf("join at the owner's node: %v, want refused as lapsed", err)
		}
		if len(c.Communities()) != 0 || slices.Contains(members(a), "Chloe") {
			t.Fatal("a refused newcomer got in")
		}

		// Ben's link; the owner removes Ben while Ben and Eve are cut off
		// from her, and Dana joins through Ben's node meanwhile.
		bLink, bInv := adminLink(b)
		sp := newSplitter(sn)
		d := sn.start(t.TempDir(), "Dana", store.NewMemory())
		defer d.Close()
		if err := e.host.Connect(ctx, b.host.Peerstore().PeerInfo(b.host.ID())); err != nil {
			t.Fatal(err) // Eve meets Ben before the split
		}
		sp.split(b, e, d)
		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		if got, err := d.Join(ctx, bLink); err != nil || got.Role != "member" {
			t.Fatalf("join through the admin who does not know he was removed: %+v, %v", got, err)
		}
		waitFor(t, e.Node, "Eve to see Dana join", func() bool { return slices.Contains(members(e), "Dana") })
		sp.heal()
		waitWithin(t, e.Node, 5*time.Minute, "Eve to learn of Ben's removal, and Dana's join to fall", func() bool {
			return slices.Equal(members(e), []string{"Eve", "Olivia"})
		})
		dKey := d.selfKey()
		waitWithin(t, a.Node, 5*time.Minute, "the owner to hold Dana's join, rejected", func() bool {
			rejected := false
			_ = a.rep.View(comm.ID, func(c *crdt.Community) error {
				c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
					if o.Kind == crdt.KindJoin && o.Author == dKey {
						rejected = errors.Is(c.State().Rejected[o.ID()], crdt.ErrUnauthorized)
					}
				})
				return nil
			})
			return rejected
		})
		if got := members(a); !slices.Equal(got, []string{"Eve", "Olivia"}) {
			t.Fatalf("the owner lists %q", got)
		}
		invs, err := a.Invites(comm.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range invs {
			if lapsed := i.ID == bInv || i.ID == fInv; i.Lapsed != lapsed {
				t.Errorf("invite by %s: lapsed %v, want %v", i.By, i.Lapsed, lapsed)
			}
		}

		// Dana was handed General's key while admitted: it is renewed first.
		waitWithin(t, a.Node, 5*time.Minute, "General's keys to be renewed after Dana's join was undone", func() bool { return !stale(a.Node, comm.ID, gid) })
		if _, err := a.Post(ctx, comm.ID, gid, "after"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, e.Node, "Eve to read the post", func() bool { return slices.Contains(texts(t, e.Node, comm.ID, gid), "Olivia: after") })
		// Dana's node learns its join was undone from the members it meets
		// (they serve it what undid it, nothing else), and refuses to write.
		waitWithin(t, d.Node, 5*time.Minute, "Dana to learn her join was undone", func() bool {
			c, err := d.community(comm.ID)
			return err == nil && c.JoinUndone && c.Role == crdt.RoleNone.String() && !c.Removed && !c.Left
		})
		if _, err := d.Post(ctx, comm.ID, gid, "Hi, I'm new"); !errors.Is(err, api.ErrJoinUndone) {
			t.Fatalf("the fallen newcomer's post: %v, want ErrJoinUndone", err)
		}
		if msgs, _ := d.Messages(comm.ID, gid); slices.ContainsFunc(msgs, func(m api.Message) bool { return m.Text == "after" }) {
			t.Fatal("the fallen newcomer reads what was posted after")
		}
	})
}

// readLink reads a short link whose invite n holds, looking it up in n's
// replica as a peer the link names would.
func readLink(t *testing.T, n *testNode, link string) (*join.Invite, error) {
	t.Helper()
	l, err := join.ParseShortLink(link)
	if err != nil {
		return nil, err
	}
	resp := n.proto.x.AnswerLookup(t.Context(), &wire.JoinRequest{Lookup: l.InviteKey()})
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	return join.FromLink(identity.InviteLink{Capability: resp.Invite, Secret: l.Secret})
}

// TestShortLinkInviterDown: a short link names its inviter and another
// member; with the inviter's node closed, a newcomer still reads who
// invited it and joins through the other member.
func TestShortLinkInviterDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		defer b.Close()
		defer c.Close()
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(link) > 200 {
			t.Errorf("the link is %d characters: %s", len(link), link)
		}
		l, err := join.ParseShortLink(link)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Peers) != 2 || l.Peers[0].ID != a.host.ID() || l.Peers[1].ID != b.host.ID() {
			t.Fatalf("the link names %v, want Olivia's node then Ben's", l.Peers)
		}
		waitFor(t, b.Node, "Ben to hold the invite", func() bool {
			_, err := readLink(t, b, link)
			return err == nil
		})
		a.Close()
		inv, err := c.ParseInvite(link)
		if err != nil || inv.Name != comm.Name || inv.Inviter != a.Self().Name || inv.Community != comm.ID {
			t.Fatalf("parse with the inviter down: %+v, %v", inv, err)
		}
		got, err := c.Join(ctx, link)
		if err != nil || got.Role != crdt.RoleMember.String() {
			t.Fatalf("join with the inviter down: %+v, %v", got, err)
		}
	})
}

// TestLongLinkStillJoins: a link of the first form, which carries its
// whole invite, reads without the network and joins as before.
func TestLongLinkStillJoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, _, c, comm := ownerAndTwo(t)
		defer a.Close()
		defer c.Close()
		short, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := readLink(t, a, short)
		if err != nil {
			t.Fatal(err)
		}
		l, err := join.ParseShortLink(short)
		if err != nil {
			t.Fatal(err)
		}
		long := identity.InviteLink{Capability: inv.Op.Bytes(), Secret: l.Secret}.String()
		got, err := c.ParseInvite(long)
		if err != nil || got.Name != comm.Name || got.Inviter != a.Self().Name {
			t.Fatalf("parse the long link: %+v, %v", got, err)
		}
		joined, err := c.Join(ctx, long)
		if err != nil || joined.Role != crdt.RoleMember.String() {
			t.Fatalf("join with the long link: %+v, %v", joined, err)
		}
	})
}

// TestJoinerPrekeyReachesMembersAtOnce: a joiner publishes its prekey
// right after joining, before it holds the topic secret, so gossip cannot
// carry it; the member it is connected to is nudged and holds it within
// seconds, not at its next periodic sync (a random pick among its peers).
func TestJoinerPrekeyReachesMembersAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, _, comm := ownerAndMember(t)
		var prekey crdt.ID
		waitFor(t, b.Node, "b to publish its prekey", func() bool {
			_ = b.rep.View(comm.ID, func(c *crdt.Community) error {
				c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
					if o.Kind == crdt.KindPrekey && o.Author == b.selfKey() {
						prekey = o.ID()
					}
				})
				return nil
			})
			return !prekey.IsZero()
		})
		waitWithin(t, a.Node, a.cfg.SyncInterval/3, "the owner to hold the joiner's prekey", func() bool { return holds(a.Node, comm.ID, prekey) })
	})
}
