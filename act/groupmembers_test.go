package act

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

func (w *world) inGroup(gid crdt.ID, k crdt.PublicKey) bool {
	in := false
	_ = w.rep.View(w.cid, func(c *crdt.Community) error { in = c.State().Groups[gid].Has(k); return nil })
	return in
}

// TestAddToGroupAndRemoveFromGroup: an admin puts a member straight into
// an approval group and takes them out again, renewing that group's keys
// (only) first; the audit log shows both.
func TestAddToGroupAndRemoveFromGroup(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	g, err := w.act.CreateGroup(ctx, w.cid, "Team leaders", "", "approval")
	if err != nil {
		t.Fatal(err)
	}
	bo := testNames{}.PeerID(member(1).Key())
	cands, err := w.act.GroupCandidates(w.cid, g.ID)
	if err != nil || len(cands) != 1 || cands[0].PeerID != bo || !cands[0].CanAddToGroup {
		t.Fatalf("candidates = %+v, %v; want Bo, who may be added", cands, err)
	}
	w.journal = nil
	if err := w.act.AddToGroup(ctx, w.cid, g.ID, bo); err != nil {
		t.Fatal(err)
	}
	if want := []string{"group.add", "share " + g.ID.Short()}; !slices.Equal(w.journal, want) { // the group's keys, in the same action
		t.Errorf("journal = %q, want %q", w.journal, want)
	}
	if !w.inGroup(g.ID, member(1).Key()) {
		t.Fatal("Bo is not in the group")
	}
	if cands, _ := w.act.GroupCandidates(w.cid, g.ID); len(cands) != 0 {
		t.Errorf("candidates after the add = %+v", cands)
	}
	w.journal = nil
	if err := w.act.RemoveFromGroup(ctx, w.cid, g.ID, bo); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("rotate %s reason %d excluding true", g.ID.Short(), crdt.RekeyRemoval), "group.remove"}
	if !slices.Equal(w.journal, want) {
		t.Errorf("journal = %q, want %q", w.journal, want)
	}
	if w.inGroup(g.ID, member(1).Key()) || !w.inGroup(w.general, member(1).Key()) {
		t.Fatal("Bo is still in the group, or no longer in General")
	}
	audit, err := w.act.Audit(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range audit {
		if e.Object != nil && *e.Object == g.ID && e.Target == bo {
			got = append(got, e.Action+" "+e.TargetName)
		}
	}
	if want := []string{"group.add Bo", "group.remove Bo"}; !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

// TestGroupMembersErrors: what may not be done says why, and nothing is
// written (no keys renewed either).
func TestGroupMembersErrors(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	g, err := w.act.CreateGroup(ctx, w.cid, "Team leaders", "", "open")
	if err != nil {
		t.Fatal(err)
	}
	bo := testNames{}.PeerID(member(1).Key())
	stranger := testNames{}.PeerID(member(3).Key())
	asBo := w.actsAs(t, member(1))
	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"the announcement group", func() error { return w.act.AddToGroup(ctx, w.cid, w.cid, bo) }, crdt.ErrInvalid},
		{"a group for everyone", func() error { return w.act.AddToGroup(ctx, w.cid, w.general, bo) }, crdt.ErrInvalid},
		{"a stranger", func() error { return w.act.AddToGroup(ctx, w.cid, g.ID, stranger) }, api.ErrUnknownMember},
		{"no such group", func() error { return w.act.AddToGroup(ctx, w.cid, crdt.ID{1}, bo) }, api.ErrUnknownGroup},
		{"not an admin", func() error { return asBo.AddToGroup(ctx, w.cid, g.ID, bo) }, crdt.ErrUnauthorized},
		{"removing someone not in it", func() error { return w.act.RemoveFromGroup(ctx, w.cid, g.ID, bo) }, crdt.ErrInvalid},
	} {
		w.journal = nil
		if err := tc.do(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if len(w.journal) != 0 {
			t.Errorf("%s: wrote %q", tc.name, w.journal)
		}
	}
	if err := w.act.AddToGroup(ctx, w.cid, g.ID, bo); err != nil {
		t.Fatal(err)
	}
	if err := asBo.LeaveGroup(ctx, w.cid, g.ID); err != nil {
		t.Fatalf("Bo leaves a group he was added to: %v", err)
	}
	w.now = w.now.Add(30 * time.Minute)
	if err := w.act.AddToGroup(ctx, w.cid, g.ID, bo); !errors.Is(err, crdt.ErrLeftRecently) {
		t.Fatalf("re-add half an hour after Bo left: %v", err)
	}
	w.now = w.now.Add(31 * time.Minute)
	if err := w.act.AddToGroup(ctx, w.cid, g.ID, bo); err != nil {
		t.Fatalf("re-add after the hour: %v", err)
	}
}

// TestGroupsSayWhoAddedMe: the member's groups list names the admin who
// added it, for the notification.
func TestGroupsSayWhoAddedMe(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.authored(t, w.c.Owner, crdt.ZeroID, crdt.KindProfile, &crdt.ProfileBody{Name: "Olivia"})
	g, err := w.act.CreateGroup(ctx, w.cid, "Team leaders", "", "approval")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.act.AddToGroup(ctx, w.cid, g.ID, testNames{}.PeerID(member(1).Key())); err != nil {
		t.Fatal(err)
	}
	gs, err := w.actsAs(t, member(1)).Groups(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range gs {
		want := ""
		if x.ID == g.ID {
			want = "Olivia"
		}
		if x.AddedBy != want {
			t.Errorf("group %s: added by %q, want %q", x.Name, x.AddedBy, want)
		}
	}
}
