package view

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// stepsBody is a steps body with welcome and steps titled titles.
func stepsBody(welcome string, titles ...string) *crdt.StepsBody {
	b := &crdt.StepsBody{Welcome: welcome}
	for i, t := range titles {
		b.Steps = append(b.Steps, crdt.StepItem{ID: []byte{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}, Title: t})
	}
	return b
}

// TestTeamViews: a newcomer sees the welcome addressed to it and its own
// ticks; the admins see every newcomer's progress, with who invited them,
// and a member who asks is refused; the team tree names each member's
// inviter, kept after the inviter is removed, and their last activity.
func TestTeamViews(t *testing.T) {
	w := newWorld(t, "Glow")
	chloe, dev, ben := member(1), member(2), member(3)
	w.join(chloe, "Chloe")
	w.write(w.owner, crdt.ZeroID, crdt.KindRole, &crdt.RoleBody{Member: []byte(chloe.PublicKey()), Role: crdt.RoleAdmin})
	// Chloe invites Dev.
	b := stepsBody("Welcome {name}!", "Watch", "Call", "List")
	b.Time = w.now()
	w.write(w.owner, crdt.ZeroID, crdt.KindSteps, b)
	inv, key := w.invite(chloe)
	w.inv, w.invKey = inv, key
	w.join(dev, "Dev")
	w.join(ben, "Ben")
	log := w.write(dev, crdt.ZeroID, crdt.KindProgress, &crdt.ProgressBody{Time: w.now()})
	last := w.now()
	w.write(dev, log, crdt.KindStep, &crdt.StepBody{Step: b.Steps[1].ID, Done: true, Time: last})

	fs, err := w.views(dev).Steps(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Welcome != "Welcome Dev!" || fs.Template != "Welcome {name}!" || fs.Done != 1 || len(fs.Steps) != 3 || !fs.Steps[1].Done || fs.Steps[0].Done || fs.CanEdit || !fs.Newcomer {
		t.Fatalf("dev's steps %+v", fs)
	}
	if fs, _ := w.views(chloe).Steps(w.cid); !fs.CanEdit || fs.Newcomer || fs.Done != 0 {
		t.Fatalf("chloe's steps %+v", fs)
	}
	if _, err := w.views(ben).Newcomers(w.cid); !errors.Is(err, crdt.ErrUnauthorized) {
		t.Fatalf("a member sees the newcomers: %v", err)
	}
	ns, err := w.views(chloe).Newcomers(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range ns {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"Ben", "Dev"}) {
		t.Fatalf("newcomers %q, want Ben then Dev (newest first)", names)
	}
	d := ns[1]
	if d.Done != 1 || d.Total != 3 || d.LastStepTime == nil || d.LastStepTime.UnixMilli() != last || d.InvitedBy != (testNames{}).PeerID(chloe.Key()) || d.InvitedByName != "Chloe" {
		t.Fatalf("dev as a newcomer %+v", d)
	}
	if ns[0].LastStepTime != nil || ns[0].Done != 0 {
		t.Fatalf("ben as a newcomer %+v", ns[0])
	}
	if !ns[0].Stuck(ns[0].Joined.Add(api.StuckAfter+time.Minute)) || ns[0].Stuck(ns[0].Joined.Add(time.Hour)) {
		t.Fatal("stuck is not three days without a step")
	}
	// Chloe is removed: Dev's inviter stays hers.
	w.write(w.owner, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: []byte(chloe.PublicKey())})
	tree, err := w.views(ben).TeamTree(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]api.TeamMember{}
	for _, m := range tree {
		byName[m.Name] = m
	}
	if len(tree) != 3 || byName["Dev"].InvitedByName != "Chloe" || byName["Ben"].InvitedByName != "Chloe" || byName["Olivia"].InvitedBy != "" {
		t.Fatalf("team tree %+v", tree)
	}
	// Ben cannot read Dev's progress log: his view of Dev's activity
	// stops at the progress op; the owner's includes the tick.
	if la := byName["Dev"].LastActive; la == nil || la.UnixMilli() >= last {
		t.Fatalf("ben sees dev last active at %v, from a log he may not read", la)
	}
	tree, _ = w.views(w.owner).TeamTree(w.cid)
	for _, m := range tree {
		if m.Name == "Dev" && (m.LastActive == nil || m.LastActive.UnixMilli() != last) {
			t.Fatalf("the owner sees dev last active at %v, want %d", m.LastActive, last)
		}
	}
}

// invite has admin s write a member invite and returns it with its key.
func (w *world) invite(s signer) (*crdt.Op, ed25519.PrivateKey) {
	w.tb.Helper()
	key := ed25519.NewKeyFromSeed(append(make([]byte, 31), 9))
	return w.op(s, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: key.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "Glow", Time: w.now()}), key
}

// TestTouchesNewcomers: of the content ops, only a tick in a progress
// log, an admin's message mentioning members (a welcome) and a deletion
// may change what Newcomers lists; a member's plain post, a member's
// mention and a reaction do not (api.Event.Newcomers).
func TestTouchesNewcomers(t *testing.T) {
	w := newWorld(t, "Glow")
	dev, ben := member(2), member(3)
	b := stepsBody("Welcome {name}!", "Watch")
	b.Time = w.now()
	w.write(w.owner, crdt.ZeroID, crdt.KindSteps, b)
	w.join(dev, "Dev")
	w.join(ben, "Ben")
	log := w.write(dev, crdt.ZeroID, crdt.KindProgress, &crdt.ProgressBody{Time: w.now()})
	v := w.views(w.owner)
	plain := w.op(ben, w.general, crdt.KindMessage, &crdt.MessageBody{Text: "hello", Time: w.now()})
	for name, tc := range map[string]struct {
		o    *crdt.Op
		want bool
	}{
		"tick":             {w.op(dev, log, crdt.KindStep, &crdt.StepBody{Step: b.Steps[0].ID, Done: true, Time: w.now()}), true},
		"admin's welcome":  {w.op(w.owner, w.general, crdt.KindMessage, &crdt.MessageBody{Text: "Welcome @Dev", Mentions: [][]byte{[]byte(dev.PublicKey())}, Time: w.now()}), true},
		"deletion":         {w.op(ben, w.general, crdt.KindDelete, &crdt.DeleteBody{Target: plain.ID().Bytes()}), true},
		"member's post":    {plain, false},
		"member's mention": {w.op(ben, w.general, crdt.KindMessage, &crdt.MessageBody{Text: "hi @Dev", Mentions: [][]byte{[]byte(dev.PublicKey())}, Time: w.now()}), false},
		"admin's post":     {w.op(w.owner, w.general, crdt.KindMessage, &crdt.MessageBody{Text: "Call at 7", Time: w.now()}), false},
	} {
		if got := v.TouchesNewcomers(w.cid, tc.o); got != tc.want {
			t.Errorf("%s: TouchesNewcomers %v, want %v", name, got, tc.want)
		}
	}
}
