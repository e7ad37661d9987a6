package node

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/sync/store"
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
		link, err := a.CreateInvite(ctx, comm.ID, InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var seen []JoinProgress
		got, err := b.JoinWithProgress(ctx, link, func(p JoinProgress) { seen = append(seen, p) })
		if err != nil || got.Role != "member" {
			t.Fatalf("join: %+v, %v", got, err)
		}
		stages := map[JoinStage]int{}
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
			case JoinConnecting:
				if p.Peer != shortPeer(a.host.ID()) {
					t.Fatalf("dialling %q, want %q", p.Peer, shortPeer(a.host.ID()))
				}
			case JoinSyncing:
				if p.Ops < ops || ops < 0 && p.Ops != 0 {
					t.Fatalf("ops went %d → %d", ops, p.Ops)
				}
				ops = p.Ops
			}
		}
		if seen[0].Stage != JoinChecking || stages[JoinConnecting] != 1 || stages[JoinAdmitted] != 1 || stages[JoinSyncing] < 2 || stages[JoinRequested] != 0 {
			t.Fatalf("stages %v", seen)
		}
		if ops < 40 {
			t.Fatalf("syncing reported %d ops, the community has more than 40", ops)
		}

		// In a community that admits by approval the join ends as a request.
		if err := a.UpdateSettings(ctx, comm.ID, Settings{Name: "Glow Team", JoinPolicy: "approval"}); err != nil {
			t.Fatal(err)
		}
		link, err = a.CreateInvite(ctx, comm.ID, InviteOptions{}) // on the new policy
		if err != nil {
			t.Fatal(err)
		}
		seen = nil
		got, err = c.JoinWithProgress(ctx, link, func(p JoinProgress) { seen = append(seen, p) })
		if err != nil || got.Role != RoleRequested {
			t.Fatalf("join by approval: %+v, %v", got, err)
		}
		if last := seen[len(seen)-1]; last.Stage != JoinRequested || stagesOf(seen)[JoinAdmitted] != 0 {
			t.Fatalf("stages of a join by approval: %v", seen)
		}
		if _, err := b.JoinWithProgress(ctx, link, nil); err != nil { // nil progress; already a member
			t.Fatal(err)
		}
	})
}

func stagesOf(ps []JoinProgress) map[JoinStage]int {
	out := map[JoinStage]int{}
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
		reasons := []error{ErrInviteExpired, ErrInviteRevoked, ErrInviteUsedUp}
		only := func(what string, err error, want error, refused bool) {
			t.Helper()
			if errors.Is(err, ErrJoinRefused) != refused {
				t.Errorf("%s: %v; refused by a member: %v, want %v", what, err, errors.Is(err, ErrJoinRefused), refused)
			}
			for _, r := range reasons {
				if errors.Is(err, r) != (r == want) {
					t.Errorf("%s: %v; matches %q: %v", what, err, r, errors.Is(err, r))
				}
			}
		}

		// Expired by the joiner's clock: a bad link.
		a.skew.Store(int64(-8 * 24 * time.Hour))
		old, err := a.CreateInvite(ctx, comm.ID, InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a.skew.Store(0)
		_, err = b.Join(ctx, old)
		only("expired link", err, ErrInviteExpired, false)
		if !errors.Is(err, identity.ErrBadLink) {
			t.Errorf("expired link: %v, want ErrBadLink too", err)
		}

		// Expired by the admitting member's clock only.
		hour, err := a.CreateInvite(ctx, comm.ID, InviteOptions{Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		a.skew.Store(int64(2 * time.Hour))
		_, err = b.Join(ctx, hour)
		only("link expired for the member", err, ErrInviteExpired, true)
		if errors.Is(err, identity.ErrBadLink) {
			t.Errorf("a member's refusal is not a bad link: %v", err)
		}
		a.skew.Store(0)

		// Revoked.
		revoked, err := a.CreateInvite(ctx, comm.ID, InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := a.ParseInvite(revoked)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.RevokeInvite(ctx, comm.ID, inv.op.ID()); err != nil {
			t.Fatal(err)
		}
		_, err = b.Join(ctx, revoked)
		only("revoked link", err, ErrInviteRevoked, true)

		// Used up.
		once, err := a.CreateInvite(ctx, comm.ID, InviteOptions{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Join(ctx, once); err != nil {
			t.Fatal(err)
		}
		_, err = c.Join(ctx, once)
		only("used-up link", err, ErrInviteUsedUp, true)
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
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		if _, err := a.Post(ctx, comm.ID, gid, "before"); err != nil {
			t.Fatal(err)
		}
		unlimited, err := a.CreateInvite(ctx, comm.ID, InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// admitted has a member admit home's identity through link, then
		// closes the node before it stores anything, as kill -9 would.
		admitted := func(name, link string, st store.OpStore) string {
			t.Helper()
			home := t.TempDir()
			n := sn.start(home, name, st)
			inv, err := n.ParseInvite(link)
			if err != nil {
				t.Fatal(err)
			}
			join, err := n.joinOp(inv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.askToJoin(ctx, inv.Addrs[0], inv, join); err != nil {
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
		once, err := a.CreateInvite(ctx, comm.ID, InviteOptions{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		hour, err := a.CreateInvite(ctx, comm.ID, InviteOptions{Lifetime: time.Hour})
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
		later, err := a.CreateInvite(ctx, comm.ID, InviteOptions{})
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
		if _, err := x.Join(ctx, once); !errors.Is(err, ErrInviteUsedUp) {
			t.Errorf("stranger with the used-up link: %v, want ErrInviteUsedUp", err)
		}
		if _, err := x.Join(ctx, hour); !errors.Is(err, ErrInviteExpired) || !errors.Is(err, identity.ErrBadLink) {
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
