package crdt

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// dm has by start a private conversation with others.
func (w *world) dm(by string, others ...string) (*Op, error) {
	w.t.Helper()
	var ps [][]byte
	for _, o := range others {
		ps = append(ps, w.pk(o))
	}
	slices.SortFunc(ps, bytes.Compare)
	return w.try(by, ZeroID, KindGroupCreate, &GroupCreateBody{Policy: PolicyPrivate, Participants: ps, Time: 1})
}

// forge signs an op by name on top of at's replica without judging it
// first, as a modified app would, and returns what at's replica says of it.
func (w *world) forge(name, at string, log ID, kind Kind, body interface{ check() error }) error {
	w.t.Helper()
	c := w.reps[at]
	o := mustSign(w.t, c.Draft(w.pub(name), log, kind, mustBody(w.t, body)), w.keys[name])
	return c.Add(o, nil)
}

func TestPrivateConversation(t *testing.T) {
	w, _ := setup(t, "ann", "cal", "dee")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	dm, err := w.dm("cal", "dee")
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	st := w.reps["olivia"].State()
	g := st.Groups[dm.ID()]
	if !g.Private() || g.Suggested || g.Closed() || !g.Has(w.pub("cal")) || !g.Has(w.pub("dee")) || g.Has(w.pub("olivia")) || len(g.Participants) != 2 {
		t.Fatalf("conversation %+v", g)
	}
	if len(st.Audit) > 0 && st.Audit[len(st.Audit)-1].Object == dm.ID() {
		t.Fatal("a private conversation is in the admins' audit log")
	}
	msg := w.post("dee", dm.ID(), "hi coach")
	own := w.post("cal", dm.ID(), "welcome")
	w.syncAll()
	for _, tc := range []struct {
		name, by string
		log      ID
		kind     Kind
		body     interface{ check() error }
		want     error
	}{
		{"an owner outside posts", "olivia", dm.ID(), KindMessage, &MessageBody{Text: "x", Time: 1}, ErrUnauthorized},
		{"an admin outside joins", "ann", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(dm.ID())}, ErrInvalid},
		{"an owner renames it", "olivia", ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(dm.ID()), Name: "Mine", Policy: PolicyPrivate}, ErrInvalid},
		{"an owner archives it", "olivia", ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(dm.ID()), Name: "x", Policy: PolicyPrivate, Archived: true}, ErrInvalid},
		{"a group becomes private", "olivia", ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(w.cid()), Name: "x", Policy: PolicyPrivate}, ErrInvalid},
		{"a participant pins", "cal", dm.ID(), KindPin, &PinBody{Target: idb(msg.ID()), On: true}, ErrUnauthorized},
		{"a participant deletes the other's", "cal", dm.ID(), KindDelete, &DeleteBody{Target: idb(msg.ID())}, ErrUnauthorized},
		{"an admin outside renews its keys", "olivia", ZeroID, KindRekey, &RekeyBody{Log: idb(dm.ID()), Epoch: make([]byte, 16), Part: 1, Parts: 1, Check: make([]byte, 32)}, ErrUnauthorized},
		{"an owner orders it among the groups", "olivia", ZeroID, KindGroupOrder, &GroupOrderBody{Groups: [][]byte{idb(dm.ID())}}, ErrInvalid},
		{"with oneself", "cal", ZeroID, KindGroupCreate, &GroupCreateBody{Policy: PolicyPrivate, Participants: [][]byte{w.pk("cal")}}, ErrInvalid},
		{"with a stranger", "cal", ZeroID, KindGroupCreate, &GroupCreateBody{Policy: PolicyPrivate, Participants: [][]byte{bytes.Repeat([]byte{9}, 32)}}, ErrInvalid},
	} {
		if err := w.forge(tc.by, "dee", tc.log, tc.kind, tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	w.do("cal", dm.ID(), KindDelete, &DeleteBody{Target: idb(own.ID())})
	w.do("dee", dm.ID(), KindReaction, &ReactionBody{Target: idb(msg.ID()), Emoji: "👍", On: true})
	if !w.reps["dee"].State().MayRotate(w.pub("cal"), dm.ID()) || w.reps["dee"].State().MayRotate(w.pub("olivia"), dm.ID()) {
		t.Fatal("MayRotate disagrees with the rekey rule")
	}
}

// TestPrivateSetting: with members limited to messaging admins, a member's
// conversation with another member is refused by every replica, not only
// the author's; with an admin it stands, admins start any; and the
// setting does not undo conversations in its causal past.
func TestPrivateSetting(t *testing.T) {
	w, _ := setup(t, "ann", "cal", "dee")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	before, err := w.dm("cal", "dee")
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	w.do("olivia", ZeroID, KindSettings, &SettingsBody{Name: "Glow Team", PrivateToAdminsOnly: true})
	w.syncAll()
	if _, err := w.dm("cal", "dee"); !errors.Is(err, ErrPrivateRestricted) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member with member on the author's replica: %v", err)
	}
	// A modified app signs it anyway: every other replica refuses it.
	for _, at := range []string{"olivia", "ann", "dee"} {
		err := w.forge("cal", at, ZeroID, KindGroupCreate, &GroupCreateBody{Policy: PolicyPrivate, Participants: [][]byte{w.pk("dee")}})
		if !errors.Is(err, ErrPrivateRestricted) {
			t.Fatalf("%s accepted a forbidden conversation: %v", at, err)
		}
	}
	if _, err := w.dm("cal", "ann"); err != nil {
		t.Fatalf("member with an admin: %v", err)
	}
	if _, err := w.dm("cal", "ann", "olivia"); err != nil {
		t.Fatalf("member with admins: %v", err)
	}
	if _, err := w.dm("cal", "ann", "dee"); !errors.Is(err, ErrPrivateRestricted) {
		t.Fatalf("member with an admin and a member: %v", err)
	}
	if _, err := w.dm("ann", "cal", "dee"); err != nil {
		t.Fatalf("admin with members: %v", err)
	}
	st := w.reps["cal"].State()
	if st.Permits(w.pub("cal"), Action{Kind: KindGroupCreate, Policy: PolicyPrivate}) ||
		!st.Permits(w.pub("cal"), Action{Kind: KindGroupCreate, Policy: PolicyPrivate, With: []PublicKey{w.pub("ann")}}) ||
		!st.Permits(w.pub("ann"), Action{Kind: KindGroupCreate, Policy: PolicyPrivate}) {
		t.Fatal("permission queries disagree with the setting")
	}
	w.post("dee", before.ID(), "still here")
	w.syncAll()
	if g := w.final(rng()).State().Groups[before.ID()]; g == nil || g.Closed() {
		t.Fatal("the setting undid a conversation made before it")
	}
}

// TestPrivateRemoval: a one-to-one whose other side is removed is closed:
// what was said stands, nothing written after the removal does. In a
// conversation of three the removed member drops out and the others go on.
func TestPrivateRemoval(t *testing.T) {
	w, _ := setup(t, "cal", "dee", "eve")
	w.syncAll()
	one, err := w.dm("cal", "dee")
	if err != nil {
		t.Fatal(err)
	}
	three, err := w.dm("cal", "dee", "eve")
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	said := w.post("cal", one.ID(), "see you monday")
	w.syncAll()
	w.remove("olivia", "dee")
	w.syncAll()
	st := w.reps["cal"].State()
	if !st.Groups[one.ID()].Closed() || st.Groups[three.ID()].Closed() || st.Groups[three.ID()].Has(w.pub("dee")) {
		t.Fatalf("after the removal: one-to-one closed %v, three closed %v", st.Groups[one.ID()].Closed(), st.Groups[three.ID()].Closed())
	}
	if _, err := w.try("cal", one.ID(), KindMessage, &MessageBody{Text: "hello?", Time: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("post in a closed conversation: %v", err)
	}
	w.post("eve", three.ID(), "we go on")
	w.syncAll()
	final := w.final(rng())
	if e := final.Entries(one.ID()); len(e) != 1 || e[0].Op.ID() != said.ID() || e[0].Hidden != nil {
		t.Fatalf("the one-to-one's history: %v", e)
	}
	// Leaving closes a one-to-one too.
	two, err := w.dm("cal", "eve")
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	w.do("eve", ZeroID, KindGroupLeave, &GroupLeaveBody{Group: idb(two.ID())})
	w.syncAll()
	if _, err := w.try("cal", two.ID(), KindMessage, &MessageBody{Text: "x", Time: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("post after the other side left: %v", err)
	}
}

func TestPrivateBodyLimits(t *testing.T) {
	k := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	many := make([][]byte, MaxPrivateOthers+1)
	for i := range many {
		many[i] = k(byte(i + 1))
	}
	for name, b := range map[string]*GroupCreateBody{
		"no one":           {Policy: PolicyPrivate},
		"too many":         {Policy: PolicyPrivate, Participants: many},
		"unsorted":         {Policy: PolicyPrivate, Participants: [][]byte{k(2), k(1)}},
		"twice":            {Policy: PolicyPrivate, Participants: [][]byte{k(1), k(1)}},
		"short key":        {Policy: PolicyPrivate, Participants: [][]byte{{1}}},
		"group with names": {Name: "G", Participants: [][]byte{k(1)}},
	} {
		if err := b.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (&GroupCreateBody{Policy: PolicyPrivate, Participants: many[:MaxPrivateOthers]}).check(); err != nil {
		t.Errorf("the largest conversation: %v", err)
	}
}
