package crdt

import (
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// setup: owner Olivia, a General group for everyone, and the named members.
func setup(t *testing.T, members ...string) (*world, ID) {
	w := newWorld(t, "olivia")
	g := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	for _, m := range members {
		w.member(m, "olivia")
	}
	return w, g.ID()
}

func (w *world) promote(by, who string, r Role) *Op {
	w.t.Helper()
	return w.do(by, ZeroID, KindRole, &RoleBody{Member: w.pk(who), Role: r, Seen: w.reps[by].SeenLogs()})
}

func (w *world) remove(by, who string) *Op {
	w.t.Helper()
	return w.do(by, ZeroID, KindRemove, &RemoveBody{Member: w.pk(who), Seen: w.reps[by].SeenLogs()})
}

func (w *world) post(by string, group ID, text string) *Op {
	w.t.Helper()
	return w.do(by, group, KindMessage, &MessageBody{Text: text, Time: 5})
}

func rng() *rand.Rand { return rand.New(rand.NewPCG(7, 7)) }

// detour has a plain member write a control op that only actor has seen
// before actor's next op. It moves actor's next op later in the
// deterministic order than the concurrent ops of higher-ranked members, so
// strong removal, not the order's tie break, must decide.
func (w *world) detour(actor string) {
	w.t.Helper()
	if _, ok := w.keys["zed"]; !ok {
		w.member("zed", "olivia")
	}
	w.sync("zed", actor)
	w.do("zed", ZeroID, KindProfile, &ProfileBody{Name: "Zed " + actor})
	w.sync("zed", actor)
}

// bothWays runs a scenario with and without a detour before the decisive op.
func bothWays(t *testing.T, f func(t *testing.T, detour bool)) {
	for _, d := range []bool{false, true} {
		name := "direct"
		if d {
			name = "detour"
		}
		t.Run(name, func(t *testing.T) { f(t, d) })
	}
}

func TestMutualConcurrentRemovalOfTwoAdmins(t *testing.T) { bothWays(t, testMutualRemoval) }

func testMutualRemoval(t *testing.T, detour bool) {
	w, general := setup(t, "ann", "ben", "mia")
	w.promote("olivia", "ann", RoleAdmin)
	w.promote("olivia", "ben", RoleAdmin)
	w.syncAll()
	if detour {
		w.detour("ann")
	}
	w.remove("ann", "ben") // concurrent:
	w.remove("ben", "ann")
	c := w.final(rng())
	st := c.State()
	if st.Role(w.pub("ann")) != RoleNone || st.Role(w.pub("ben")) != RoleNone {
		t.Fatalf("want both admins removed, ann %v ben %v", st.Role(w.pub("ann")), st.Role(w.pub("ben")))
	}
	if st.Role(w.pub("olivia")) != RoleOwner || st.Role(w.pub("mia")) != RoleMember {
		t.Fatal("owner or bystander affected")
	}
	// Not frozen: the owner still runs the community.
	w.syncAll()
	w.promote("olivia", "mia", RoleAdmin)
	w.post("olivia", general, "still here")
	if c := w.final(rng()); c.State().Role(w.pub("mia")) != RoleAdmin {
		t.Fatal("owner could not promote after the mutual removal")
	}
}

func TestRemovalConcurrentWithRemovedMembersOps(t *testing.T) { bothWays(t, testRemovalConcurrent) }

func testRemovalConcurrent(t *testing.T, detour bool) {
	w, general := setup(t, "ben")
	w.promote("olivia", "ben", RoleAdmin)
	before := w.post("ben", general, "seen before removal")
	hello := w.post("olivia", general, "hello team")
	poll := w.do("olivia", general, KindPoll, &PollBody{Question: "Meet on?", Options: []string{"Mon", "Tue"}, Time: 5})
	w.syncAll()
	if detour {
		w.detour("olivia")
	}
	removal := w.remove("olivia", "ben")
	// Ben has not seen his removal:
	late := w.post("ben", general, "concurrent post")
	w.do("ben", general, KindReaction, &ReactionBody{Target: idb(hello.ID()), Emoji: "🎉", On: true})
	w.do("ben", general, KindVote, &VoteBody{Poll: idb(poll.ID()), Choices: []uint8{1}})
	inv := w.invite("ben")
	w.do("ben", ZeroID, KindProfile, &ProfileBody{Name: "Benny"})
	c := w.final(rng())
	st := c.State()
	if st.Role(w.pub("ben")) != RoleNone {
		t.Fatal("ben still a member")
	}
	if _, ok := st.Invites[inv.ID()]; ok || !errors.Is(st.Rejected[inv.ID()], ErrUnauthorized) {
		t.Fatalf("concurrent invite: present %v, rejected %v", ok, st.Rejected[inv.ID()])
	}
	if p := findPost(t, c, general, late.ID()); !errors.Is(p.Hidden, ErrHidden) || p.Text != "" {
		t.Fatalf("concurrent post: hidden %v text %q", p.Hidden, p.Text)
	} else if h, ok := p.Hidden.(*Hidden); !ok || *h != (Hidden{Cause: HiddenRemoved, By: removal.ID()}) ||
		h.Reason() != "the author was removed concurrently (op "+removal.ID().Short()+")" {
		t.Fatalf("concurrent post hidden for %#v (%v), want removed by %s", p.Hidden, p.Hidden, removal.ID().Short())
	}
	if p := findPost(t, c, general, before.ID()); p.Hidden != nil || p.Text != "seen before removal" {
		t.Fatalf("post seen by the remover: hidden %v", p.Hidden)
	}
	if p := findPost(t, c, general, hello.ID()); len(p.Reactions) != 0 {
		t.Fatalf("concurrent reaction counted: %v", p.Reactions)
	}
	if p := findPost(t, c, general, poll.ID()); p.Poll.Voters != 0 {
		t.Fatalf("concurrent vote counted: %v", p.Poll.Votes)
	}
}

func TestDemotedAdminsConcurrentPromotionsFallTransitively(t *testing.T) {
	bothWays(t, testDemotedPromotions)
}

func testDemotedPromotions(t *testing.T, detour bool) {
	w, general := setup(t, "ann", "cal", "dee")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	if detour {
		w.detour("olivia")
	}
	w.promote("olivia", "ann", RoleMember) // demotion
	// Ann, not knowing, promotes Cal; Cal, via Ann, acts as an admin.
	w.promote("ann", "cal", RoleAdmin)
	w.sync("ann", "cal")
	w.remove("cal", "dee")
	inv := w.invite("cal")
	if _, err := w.join("eve", "cal", inv, w.invKey); err != nil {
		t.Fatal(err)
	}
	evePost := w.post("eve", general, "hi I'm Eve")
	c := w.final(rng())
	st := c.State()
	for name, want := range map[string]Role{"ann": RoleMember, "cal": RoleMember, "dee": RoleMember, "eve": RoleNone} {
		if got := st.Role(w.pub(name)); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if p := findPost(t, c, general, evePost.ID()); !errors.Is(p.Hidden, ErrHidden) {
		t.Fatalf("post by a member admitted through a fallen invite: hidden %v", p.Hidden)
	} else if h, ok := p.Hidden.(*Hidden); !ok || h.Cause != HiddenAdmissionFell {
		t.Fatalf("post by a member admitted through a fallen invite: hidden for %#v", p.Hidden)
	}
}

func TestRemovedThenReAddedMember(t *testing.T) {
	w, general := setup(t, "ben")
	w.syncAll()
	w.remove("olivia", "ben")
	old := w.post("ben", general, "concurrent with removal")
	w.do("olivia", ZeroID, KindAdd, &AddBody{Member: w.pk("ben"), Name: "Ben", Role: RoleMember})
	w.syncAll()
	// The old concurrent post is now delivered to everyone, even ordered
	// after the re-add, and still does not count.
	fresh := w.post("ben", general, "back again")
	c := w.final(rng())
	if c.State().Role(w.pub("ben")) != RoleMember {
		t.Fatal("ben not re-added")
	}
	if p := findPost(t, c, general, old.ID()); !errors.Is(p.Hidden, ErrHidden) {
		t.Fatal("old concurrent post became valid after the re-add")
	}
	if p := findPost(t, c, general, fresh.ID()); p.Hidden != nil {
		t.Fatalf("new post hidden: %v", p.Hidden)
	}
}

func TestRanks(t *testing.T) {
	w, _ := setup(t, "ann", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	cases := []struct {
		name, by string
		kind     Kind
		body     interface{ check() error }
		want     error
	}{
		{"admin removes owner", "ann", KindRemove, &RemoveBody{Member: w.pk("olivia")}, ErrUnauthorized},
		{"admin demotes owner", "ann", KindRole, &RoleBody{Member: w.pk("olivia"), Role: RoleMember}, ErrUnauthorized},
		{"admin grants owner", "ann", KindRole, &RoleBody{Member: w.pk("cal"), Role: RoleOwner}, ErrUnauthorized},
		{"admin adds an owner", "ann", KindAdd, &AddBody{Member: make([]byte, 32), Name: "X", Role: RoleOwner}, ErrUnauthorized},
		{"member grants admin", "cal", KindRole, &RoleBody{Member: w.pk("cal"), Role: RoleAdmin}, ErrUnauthorized},
		{"member removes member", "cal", KindRemove, &RemoveBody{Member: w.pk("ann")}, ErrUnauthorized},
		{"last owner leaves", "olivia", KindLeave, &LeaveBody{}, ErrInvalid},
		{"member changes settings", "cal", KindSettings, &SettingsBody{Name: "Mine"}, ErrUnauthorized},
		{"admin deactivates", "ann", KindDeactivate, &DeactivateBody{}, ErrUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.try(tc.by, ZeroID, tc.kind, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// Co-owners: an owner may make another owner, who then can't be removed.
	w.promote("olivia", "ann", RoleOwner)
	if _, err := w.try("olivia", ZeroID, KindRemove, &RemoveBody{Member: w.pk("ann")}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("owner removes co-owner: %v", err)
	}
	w.do("olivia", ZeroID, KindLeave, &LeaveBody{}) // no longer the last owner
	if r := w.final(rng()).State().Role(w.pub("ann")); r != RoleOwner {
		t.Fatalf("co-owner role %v", r)
	}
}

func TestAnnouncements(t *testing.T) {
	w, _ := setup(t, "cal")
	ann := w.cid()
	a := w.post("olivia", ann, "Welcome to Glow Team!")
	if _, err := w.try("cal", ann, KindMessage, &MessageBody{Text: "me too", Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member's announcement: %v", err)
	}
	if _, err := w.try("cal", ann, KindPoll, &PollBody{Question: "?", Options: []string{"a", "b"}, Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member's announcement poll: %v", err)
	}
	w.syncAll()
	w.do("cal", ann, KindReaction, &ReactionBody{Target: idb(a.ID()), Emoji: "👏", On: true})
	c := w.final(rng())
	if p := findPost(t, c, ann, a.ID()); len(p.Reactions) != 1 || p.Reactions[0].Emoji != "👏" {
		t.Fatalf("reactions %v", p.Reactions)
	}
}

func TestInvites(t *testing.T) {
	t.Run("join concurrent with revocation", func(t *testing.T) {
		w, _ := setup(t)
		inv := w.invite("olivia")
		j, err := w.join("eve", "olivia", inv, w.invKey) // Olivia has not seen it
		if err != nil {
			t.Fatal(err)
		}
		w.do("olivia", ZeroID, KindInviteRevoke, &InviteRevokeBody{Invite: idb(inv.ID())})
		c := w.final(rng())
		if c.State().Role(w.pub("eve")) != RoleNone || !errors.Is(c.State().Rejected[j.ID()], ErrUnauthorized) {
			t.Fatalf("join concurrent with revocation: role %v, rejected %v", c.State().Role(w.pub("eve")), c.State().Rejected[j.ID()])
		}
		if _, err := w.join("fay", "olivia", inv, w.invKey); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("join after the revocation: %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		w, _ := setup(t)
		inv := w.do("olivia", ZeroID, KindInvite, &InviteBody{Key: w.invKeyPub(), Role: RoleMember, Expires: 10, Name: "G"})
		if _, err := w.join("eve", "olivia", inv, w.invKey); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("expired invite: %v", err)
		}
	})
	t.Run("past max uses", func(t *testing.T) {
		w, _ := setup(t)
		inv := w.do("olivia", ZeroID, KindInvite, &InviteBody{Key: w.invKeyPub(), Role: RoleMember, MaxUses: 1, Name: "G"})
		if _, err := w.join("eve", "olivia", inv, w.invKey); err != nil {
			t.Fatal(err)
		}
		w.syncAll()
		if _, err := w.join("fay", "olivia", inv, w.invKey); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("second use of a one-use invite: %v", err)
		}
	})
	t.Run("approval policy", func(t *testing.T) {
		w, _ := setup(t)
		w.do("olivia", ZeroID, KindSettings, &SettingsBody{Name: "Glow Team", JoinPolicy: JoinByApproval})
		inv := w.invite("olivia")
		if _, err := w.join("eve", "olivia", inv, w.invKey); err != nil {
			t.Fatal(err)
		}
		if _, err := w.join("fay", "olivia", inv, w.invKey); err != nil {
			t.Fatal(err)
		}
		w.syncAll()
		st := w.reps["olivia"].State()
		if len(st.Requests) != 2 || st.Role(w.pub("eve")) != RoleNone {
			t.Fatalf("requests %d, eve %v", len(st.Requests), st.Role(w.pub("eve")))
		}
		w.do("olivia", ZeroID, KindDecide, &DecideBody{Member: w.pk("eve"), Approve: true})
		w.do("olivia", ZeroID, KindDecide, &DecideBody{Member: w.pk("fay")})
		st = w.final(rng()).State()
		if st.Role(w.pub("eve")) != RoleMember || st.Role(w.pub("fay")) != RoleNone || len(st.Requests) != 0 {
			t.Fatalf("eve %v fay %v requests %d", st.Role(w.pub("eve")), st.Role(w.pub("fay")), len(st.Requests))
		}
	})
}

// invKeyPub makes a fresh invite key, kept for joins, and returns its
// public half.
func (w *world) invKeyPub() []byte {
	w.invKey = ed25519.NewKeyFromSeed(append(make([]byte, 31), byte(200+len(w.all))))
	return w.invKey.Public().(ed25519.PublicKey)
}

func TestPolls(t *testing.T) {
	w, general := setup(t, "ann", "cal")
	poll := w.do("olivia", general, KindPoll, &PollBody{Question: "Best day for training?", Options: []string{"Mon", "Wed", "Fri"}, Time: 5})
	w.syncAll()
	w.do("ann", general, KindVote, &VoteBody{Poll: idb(poll.ID()), Choices: []uint8{0}})
	w.do("ann", general, KindVote, &VoteBody{Poll: idb(poll.ID()), Choices: []uint8{2}}) // changed
	if _, err := w.try("ann", general, KindVote, &VoteBody{Poll: idb(poll.ID()), Choices: []uint8{0, 1}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("two choices in a single-choice poll: %v", err)
	}
	if _, err := w.try("ann", general, KindVote, &VoteBody{Poll: idb(poll.ID()), Choices: []uint8{5}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("choice out of range: %v", err)
	}
	if _, err := w.try("cal", general, KindPollClose, &PollCloseBody{Poll: idb(poll.ID())}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member closes another's poll: %v", err)
	}
	w.sync("olivia", "ann")
	w.do("olivia", general, KindPollClose, &PollCloseBody{Poll: idb(poll.ID())})
	// Cal votes without having seen the close: not in its causal past.
	w.do("cal", general, KindVote, &VoteBody{Poll: idb(poll.ID()), Choices: []uint8{1}})
	c := w.final(rng())
	pv := findPost(t, c, general, poll.ID()).Poll
	if !pv.Closed || pv.Voters != 1 || len(pv.Votes[2]) != 1 || len(pv.Votes[0]) != 0 || len(pv.Votes[1]) != 0 {
		t.Fatalf("poll: closed %v voters %d votes %v", pv.Closed, pv.Voters, pv.Votes)
	}
}

func TestMessageActions(t *testing.T) {
	w, general := setup(t, "ann", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	m := w.post("cal", general, "how do I order samples?")
	w.syncAll()
	reply := w.do("olivia", general, KindMessage, &MessageBody{Text: "In the shop tab!", ReplyTo: idb(m.ID()), Mentions: [][]byte{w.pk("cal")}, Time: 6})
	w.sync("olivia", "cal")
	w.do("cal", general, KindEdit, &EditBody{Target: idb(m.ID()), Text: "how do I order product samples?"})
	if _, err := w.try("ann", general, KindEdit, &EditBody{Target: idb(m.ID()), Text: "x"}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("edit of another's message: %v", err)
	}
	w.do("cal", general, KindReaction, &ReactionBody{Target: idb(reply.ID()), Emoji: "👍", On: true})
	w.do("cal", general, KindReaction, &ReactionBody{Target: idb(reply.ID()), Emoji: "❤️", On: true})
	w.do("cal", general, KindReaction, &ReactionBody{Target: idb(reply.ID()), Emoji: "👍"}) // removed
	spam := w.post("cal", general, "buy my stuff")
	if _, err := w.try("cal", general, KindPin, &PinBody{Target: idb(m.ID()), On: true}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member pins: %v", err)
	}
	w.syncAll()
	if _, err := w.try("cal", general, KindDelete, &DeleteBody{Target: idb(reply.ID())}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member deletes another's message: %v", err)
	}
	w.do("ann", general, KindDelete, &DeleteBody{Target: idb(spam.ID())})
	var pins []*Op
	for i := range 4 {
		p := w.post("olivia", general, "tip "+string(rune('A'+i)))
		w.do("olivia", general, KindPin, &PinBody{Target: idb(p.ID()), On: true})
		pins = append(pins, p)
	}
	c := w.final(rng())
	v := c.View(general)
	if p := findPost(t, c, general, m.ID()); !p.Edited || p.Text != "how do I order product samples?" {
		t.Fatalf("edit: %v %q", p.Edited, p.Text)
	}
	r := findPost(t, c, general, reply.ID())
	if r.ReplyTo != m.ID() || len(r.Mentions) != 1 || len(r.Reactions) != 1 || r.Reactions[0].Emoji != "❤️" {
		t.Fatalf("reply %v mentions %v reactions %v", r.ReplyTo, r.Mentions, r.Reactions)
	}
	if p := findPost(t, c, general, spam.ID()); !p.Deleted || p.DeletedBy != w.pub("ann") || p.Text != "" {
		t.Fatal("admin delete did not take")
	}
	if len(v.Pinned) != MaxPins || v.Pinned[0] != pins[1].ID() {
		t.Fatalf("pins %v", v.Pinned)
	}
	// The audit view names the admin actions.
	var kinds []Kind
	for _, a := range c.Audit() {
		kinds = append(kinds, a.Kind)
	}
	if !containsKinds(kinds, KindRole, KindDelete, KindPin) {
		t.Fatalf("audit kinds %v", kinds)
	}
}

func containsKinds(have []Kind, want ...Kind) bool {
	for _, k := range want {
		found := false
		for _, h := range have {
			found = found || h == k
		}
		if !found {
			return false
		}
	}
	return true
}

func TestGroups(t *testing.T) {
	w, _ := setup(t, "ann", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	open := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Product questions"})
	vip := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Leaders", Policy: PolicyApproval})
	w.syncAll()
	if _, err := w.try("cal", open.ID(), KindMessage, &MessageBody{Text: "hi", Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("post to a group one is not in: %v", err)
	}
	w.do("cal", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(open.ID())})
	w.post("cal", open.ID(), "hi")
	w.do("cal", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(vip.ID())})
	w.syncAll()
	w.do("ann", ZeroID, KindGroupDecide, &GroupDecideBody{Group: idb(vip.ID()), Member: w.pk("cal"), Approve: true})
	// Members may only suggest groups by default.
	sug := w.do("cal", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Recipes"})
	w.syncAll()
	if _, err := w.try("cal", sug.ID(), KindMessage, &MessageBody{Text: "x", Time: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("post to a suggested group: %v", err)
	}
	w.do("ann", ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(sug.ID()), Name: "Recipes", Approve: true})
	w.do("ann", ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(open.ID()), Name: "Product Q&A", Archived: true})
	w.syncAll()
	if _, err := w.try("cal", open.ID(), KindMessage, &MessageBody{Text: "x", Time: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("post to an archived group: %v", err)
	}
	w.do("cal", ZeroID, KindGroupLeave, &GroupLeaveBody{Group: idb(vip.ID())})
	st := w.final(rng()).State()
	g := st.Groups[open.ID()]
	if g.Name != "Product Q&A" || !g.Archived || !g.Has(w.pub("cal")) {
		t.Fatalf("open group %+v", g)
	}
	if st.Groups[vip.ID()].Has(w.pub("cal")) || st.Groups[sug.ID()].Suggested {
		t.Fatal("leave or approval did not take")
	}
	// Removal takes a member out of every group.
	w.syncAll()
	w.remove("olivia", "cal")
	if w.final(rng()).State().Groups[sug.ID()].Has(w.pub("cal")) {
		t.Fatal("removed member still in a group")
	}
}

func TestDeactivate(t *testing.T) {
	w, general := setup(t, "cal")
	w.do("olivia", ZeroID, KindDeactivate, &DeactivateBody{})
	w.syncAll()
	if _, err := w.try("cal", general, KindMessage, &MessageBody{Text: "x", Time: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("post after deactivation: %v", err)
	}
	if !w.final(rng()).State().Deactivated {
		t.Fatal("not deactivated")
	}
}

// TestInvitesLapseWithTheirMaker: an invite loses its force when its maker
// loses the rank that made it (DESIGN rule 7). A join whose past holds the
// maker's removal, demotion or leave is refused, even on the maker's own
// replica; a join concurrent with it falls once it is known, with
// everything the joiner did; a join the loss saw stands; and the invite
// stays lapsed if its maker regains the rank.
func TestInvitesLapseWithTheirMaker(t *testing.T) {
	// admin: Olivia makes Ann an admin, and Ann makes a never-expiring
	// link everyone has seen.
	admin := func(t *testing.T) (*world, ID, *Op) {
		w, general := setup(t, "ann", "mia")
		w.promote("olivia", "ann", RoleAdmin)
		w.syncAll()
		inv := w.invite("ann")
		w.syncAll()
		return w, general, inv
	}
	lapsed := func(t *testing.T, c *Community, inv *Op, want bool) {
		t.Helper()
		if got := c.State().Invites[inv.ID()]; got == nil || got.Lapsed != want {
			t.Fatalf("invite %+v, want lapsed %v", got, want)
		}
	}
	for _, loss := range []struct {
		name string
		do   func(w *world)
	}{
		{"removed", func(w *world) { w.remove("olivia", "ann") }},
		{"demoted", func(w *world) { w.promote("olivia", "ann", RoleMember) }},
		{"left", func(w *world) { w.do("ann", ZeroID, KindLeave, &LeaveBody{}) }},
	} {
		t.Run("join after the maker "+loss.name+" is refused", func(t *testing.T) {
			w, _, inv := admin(t)
			loss.do(w)
			w.syncAll()
			// At the owner's node and at the maker's own.
			for _, at := range []string{"olivia", "ann"} {
				if _, err := w.joinVia("eve-"+at, at, inv); !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("join at %s's node: %v, want ErrUnauthorized", at, err)
				}
			}
			lapsed(t, w.final(rng()), inv, true)
		})
	}
	// The demotion comes before the concurrent join in the order, directly
	// or after a detour through a member's op; or after it, when it
	// descends from another newcomer's join that sorts after this one
	// (newcomers have no rank, and the lower join comes first).
	for _, order := range []string{"direct", "detour", "after the join"} {
		t.Run("join concurrent with the maker's demotion falls/"+order, func(t *testing.T) {
			w, general, inv := admin(t)
			before := w.post("olivia", general, "before")
			w.syncAll()
			switch order {
			case "detour":
				w.detour("olivia")
			case "after the join":
				if _, err := w.joinVia("zack", "olivia", w.invite("olivia")); err != nil {
					t.Fatal(err)
				}
				w.sync("zack", "olivia")
			}
			w.promote("olivia", "ann", RoleMember) // Ann has not seen it:
			j, err := w.joinVia("eve", "ann", inv)
			if err != nil {
				t.Fatalf("join before the demotion is known: %v", err)
			}
			// Eve acts as a member: posts, reacts, names herself, joins a
			// group, and that is valid where the demotion is not known.
			hi := w.post("eve", general, "hi, I'm Eve")
			w.do("eve", general, KindReaction, &ReactionBody{Target: idb(before.ID()), Emoji: "👋", On: true})
			prof := w.do("eve", ZeroID, KindProfile, &ProfileBody{Name: "Eve E."})
			if st := w.reps["eve"].State(); st.Role(w.pub("eve")) != RoleMember {
				t.Fatalf("eve before the demotion is known: %v", st.Role(w.pub("eve")))
			}
			c := w.final(rng())
			st := c.State()
			if st.Role(w.pub("eve")) != RoleNone || !errors.Is(st.Rejected[j.ID()], ErrUnauthorized) {
				t.Fatalf("eve %v, join rejected %v", st.Role(w.pub("eve")), st.Rejected[j.ID()])
			}
			if st.Rejected[prof.ID()] == nil {
				t.Fatal("the fallen joiner's profile op stands")
			}
			if p := findPost(t, c, general, hi.ID()); !errors.Is(p.Hidden, ErrHidden) || p.Text != "" {
				t.Fatalf("the fallen joiner's post: hidden %v text %q", p.Hidden, p.Text)
			}
			if p := findPost(t, c, general, before.ID()); len(p.Reactions) != 0 {
				t.Fatalf("the fallen joiner's reaction counts: %v", p.Reactions)
			}
			if st.Role(w.pub("ann")) != RoleMember || st.Role(w.pub("mia")) != RoleMember {
				t.Fatal("bystanders affected")
			}
			lapsed(t, c, inv, true)
			// Once Ann's node learns of it, Ann's node refuses the link too.
			w.syncAll()
			if _, err := w.joinVia("fay", "ann", inv); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("join after the demotion reached the maker: %v", err)
			}
		})
	}
	t.Run("join the removal saw stands", func(t *testing.T) {
		w, general, inv := admin(t)
		if _, err := w.joinVia("eve", "ann", inv); err != nil {
			t.Fatal(err)
		}
		w.syncAll()
		hi := w.post("eve", general, "hi, I'm Eve")
		w.syncAll()
		w.remove("olivia", "ann")
		c := w.final(rng())
		if r := c.State().Role(w.pub("eve")); r != RoleMember {
			t.Fatalf("eve %v", r)
		}
		if p := findPost(t, c, general, hi.ID()); p.Hidden != nil {
			t.Fatalf("eve's post hidden: %v", p.Hidden)
		}
		lapsed(t, c, inv, true)
	})
	t.Run("a lapsed invite stays lapsed", func(t *testing.T) {
		w, _, inv := admin(t)
		w.promote("olivia", "ann", RoleMember)
		w.syncAll()
		w.promote("olivia", "ann", RoleAdmin)
		w.syncAll()
		if _, err := w.joinVia("eve", "ann", inv); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("join with the invite after its maker regained the rank: %v", err)
		}
		fresh := w.invite("ann")
		if _, err := w.joinVia("fay", "ann", fresh); err != nil {
			t.Fatalf("join with the re-promoted admin's new invite: %v", err)
		}
		c := w.final(rng())
		lapsed(t, c, inv, true)
		lapsed(t, c, fresh, false)
	})
	t.Run("mutual removal lapses both admins' invites", func(t *testing.T) {
		w, _, annInv := admin(t)
		w.promote("olivia", "mia", RoleAdmin)
		w.syncAll()
		miaInv := w.invite("mia")
		w.syncAll()
		w.remove("ann", "mia") // concurrent:
		w.remove("mia", "ann")
		ja, err := w.joinVia("eve", "ann", annInv)
		if err != nil {
			t.Fatal(err)
		}
		jm, err := w.joinVia("fay", "mia", miaInv)
		if err != nil {
			t.Fatal(err)
		}
		st := w.final(rng()).State()
		for _, j := range []*Op{ja, jm} {
			if !errors.Is(st.Rejected[j.ID()], ErrUnauthorized) {
				t.Errorf("join %s: rejected %v", j.ID().Short(), st.Rejected[j.ID()])
			}
		}
		if st.Role(w.pub("eve")) != RoleNone || st.Role(w.pub("fay")) != RoleNone {
			t.Fatal("a join through a removed admin's invite stands")
		}
	})
}

// TestDeparted: the state records who went and how — both admins of a
// mutual removal, each removed by the other, a member who left by their
// own op — and forgets it when a member comes back; the removal's causal
// past is what its author had seen, not what came after.
func TestDeparted(t *testing.T) {
	w, _ := setup(t, "ann", "ben", "mia", "zoe")
	w.promote("olivia", "ann", RoleAdmin)
	w.promote("olivia", "ben", RoleAdmin)
	w.syncAll()
	byAnn := w.remove("ann", "ben") // concurrent:
	byBen := w.remove("ben", "ann")
	w.syncAll()
	left := w.do("mia", ZeroID, KindLeave, &LeaveBody{Time: 9})
	removed := w.remove("olivia", "zoe")
	w.do("olivia", ZeroID, KindAdd, &AddBody{Member: w.pk("zoe"), Name: "Zoe", Role: RoleMember})
	c := w.final(rng())
	st := c.State()
	want := map[string]Departure{
		"ann": {Op: byBen.ID(), By: w.pub("ben")},
		"ben": {Op: byAnn.ID(), By: w.pub("ann")},
		"mia": {Op: left.ID(), By: w.pub("mia"), Time: 9},
	}
	for name, d := range want {
		got := st.Departed[w.pub(name)]
		if got == nil || *got != d {
			t.Errorf("%s departed: %+v, want %+v", name, got, d)
		}
	}
	if d := st.Departed[w.pub("zoe")]; d != nil {
		t.Errorf("zoe, added back, is still recorded as gone: %+v", d)
	}
	if len(st.Departed) != len(want) {
		t.Errorf("%d departures, want %d", len(st.Departed), len(want))
	}
	if !c.InPastOf(byBen.ID(), byBen.ID()) || !c.InPastOf(byBen.ID(), w.genesis.ID()) {
		t.Error("a removal's past misses itself or the genesis")
	}
	if c.InPastOf(byBen.ID(), byAnn.ID()) || c.InPastOf(byBen.ID(), removed.ID()) {
		t.Error("a removal's past holds a concurrent or later op")
	}
}

// rekey gives log a one-part epoch by name with no wraps (members would
// ask for the secret), for the staleness rules.
func (w *world) rekey(by string, log ID, reason uint8, n byte) EpochID {
	w.t.Helper()
	var e EpochID
	e[0] = n
	b := &RekeyBody{Epoch: e[:], Part: 1, Parts: 1, Reason: reason, Check: make([]byte, 32)}
	if !log.IsZero() {
		b.Log = log[:]
	}
	w.do(by, ZeroID, KindRekey, b)
	return e
}

// TestExposedEpochs: a member who goes may hold the current epoch of every
// log it could read — handed to it by a member, not wrapped — so the log is
// stale until an admin renews it; not so after the rotation its remover
// wrote for the removal. Two admins removing each other strike each
// other's rotations: the epochs before are current again, and stale.
func TestExposedEpochs(t *testing.T) {
	w, general := setup(t, "ann", "ben", "mia", "zoe")
	w.promote("olivia", "ann", RoleAdmin)
	w.promote("olivia", "ben", RoleAdmin)
	w.rekey("olivia", general, RekeyInitial, 1)
	w.syncAll()
	if c := w.final(rng()); c.State().Stale(general) {
		t.Fatal("a fresh epoch is stale")
	}
	w.do("mia", ZeroID, KindLeave, &LeaveBody{})
	if c := w.final(rng()); !c.State().Stale(general) {
		t.Fatal("the epoch current when Mia left is not stale")
	}
	w.syncAll()
	w.rekey("olivia", general, RekeyHeal, 2)
	w.rekey("olivia", general, RekeyRemoval, 3)
	w.remove("olivia", "zoe")
	if c := w.final(rng()); c.State().Stale(general) {
		t.Fatal("the rotation written for Zoe's removal is stale")
	}
	w.syncAll()
	w.rekey("ann", general, RekeyRemoval, 4) // concurrent:
	w.remove("ann", "ben")
	w.rekey("ben", general, RekeyRemoval, 5)
	w.remove("ben", "ann")
	st := w.final(rng()).State()
	if e := st.Current[general]; e == nil || e.ID[0] != 3 || !st.Stale(general) {
		t.Fatalf("after the mutual removal: current %+v, stale %v; want the epoch before, stale", e, st.Stale(general))
	}
}

// TestAdminsJoinApprovalGroupsDirectly: an admin's group.join to a group
// that admits by approval makes them a member at once (they decide such
// requests anyway); a member's records a request. JoinsDirectly, which
// the app's flags come from, says the same beforehand.
func TestAdminsJoinApprovalGroupsDirectly(t *testing.T) {
	w, _ := setup(t, "ann", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	vip := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Leaders", Policy: PolicyApproval})
	w.syncAll()
	before := w.copyOf("ann").State()
	if !before.JoinsDirectly(w.pub("ann"), vip.ID()) || before.JoinsDirectly(w.pub("cal"), vip.ID()) {
		t.Fatalf("JoinsDirectly: admin %v, member %v; want true, false",
			before.JoinsDirectly(w.pub("ann"), vip.ID()), before.JoinsDirectly(w.pub("cal"), vip.ID()))
	}
	w.do("ann", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(vip.ID())})
	w.do("cal", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(vip.ID())})
	w.syncAll()
	g := w.final(rng()).State().Groups[vip.ID()]
	if !g.Has(w.pub("ann")) || g.Requests[w.pub("ann")] != nil {
		t.Fatalf("the admin's join: member %v, request %v; want a member, no request", g.Has(w.pub("ann")), g.Requests[w.pub("ann")] != nil)
	}
	if g.Has(w.pub("cal")) || g.Requests[w.pub("cal")] == nil {
		t.Fatalf("the member's join: member %v, request %v; want a request", g.Has(w.pub("cal")), g.Requests[w.pub("cal")] != nil)
	}
	if _, err := w.try("ann", vip.ID(), KindMessage, &MessageBody{Text: "welcome, leaders", Time: 1}); err != nil {
		t.Fatalf("the admin cannot post after joining: %v", err)
	}
}

// TestGroupJoinDenied: the requester learns from the control log that its
// request to join a group was denied, until it asks again.
func TestGroupJoinDenied(t *testing.T) {
	w, _ := setup(t, "ann", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	vip := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Leaders", Policy: PolicyApproval})
	w.syncAll()
	w.do("cal", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(vip.ID())})
	w.syncAll()
	if w.copyOf("cal").State().GroupJoinDenied(w.pub("cal"), vip.ID()) {
		t.Fatal("a waiting request reads as denied")
	}
	w.do("ann", ZeroID, KindGroupDecide, &GroupDecideBody{Group: idb(vip.ID()), Member: w.pk("cal"), Approve: false})
	w.syncAll()
	if !w.copyOf("cal").State().GroupJoinDenied(w.pub("cal"), vip.ID()) {
		t.Fatal("the requester does not learn of the denial")
	}
	w.do("cal", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(vip.ID())})
	w.syncAll()
	if w.copyOf("cal").State().GroupJoinDenied(w.pub("cal"), vip.ID()) {
		t.Fatal("asking again still reads as denied")
	}
	w.do("ann", ZeroID, KindGroupDecide, &GroupDecideBody{Group: idb(vip.ID()), Member: w.pk("cal"), Approve: true})
	w.syncAll()
	if st := w.copyOf("cal").State(); st.GroupJoinDenied(w.pub("cal"), vip.ID()) || !st.Groups[vip.ID()].Has(w.pub("cal")) {
		t.Fatal("approval after a denial does not let the requester in")
	}
}

// TestDirectGroupJoinFallsWithRank: an admin's direct join to an approval
// group that is concurrent with their demotion ends as a request to join
// (what their remaining rank makes it), whichever of the two sorts first;
// concurrent with their removal, it falls. Every delivery order of the
// concurrent ops gives the same state.
func TestDirectGroupJoinFallsWithRank(t *testing.T) {
	for _, loss := range []string{"demoted", "removed"} {
		t.Run(loss, func(t *testing.T) {
			bothWays(t, func(t *testing.T, detour bool) {
				w, _ := setup(t, "ann")
				w.promote("olivia", "ann", RoleAdmin)
				vip := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Leaders", Policy: PolicyApproval})
				w.syncAll()
				if detour {
					w.detour("olivia")
				}
				base := len(w.all)
				var lost *Op
				if loss == "demoted" {
					lost = w.promote("olivia", "ann", RoleMember)
				} else {
					lost = w.remove("olivia", "ann")
				}
				join := w.do("ann", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(vip.ID())})
				if g := w.reps["ann"].State().Groups[vip.ID()]; !g.Has(w.pub("ann")) {
					t.Fatal("the admin's join before the loss is known does not let them in")
				}
				hi := w.post("ann", vip.ID(), "hello leaders")
				concurrent := slices.Clone(w.all[base:])
				c := w.final(rng())
				want := c.Hash()
				st := c.State()
				g := st.Groups[vip.ID()]
				if g.Has(w.pub("ann")) {
					t.Fatalf("ann stays in the group by a join concurrent with her loss (%s)", lost.ID().Short())
				}
				switch loss {
				case "demoted":
					if g.Requests[w.pub("ann")] == nil || st.Rejected[join.ID()] != nil {
						t.Fatalf("the demoted admin's join: request %v, rejected %v; want a request", g.Requests[w.pub("ann")], st.Rejected[join.ID()])
					}
				case "removed":
					if g.Requests[w.pub("ann")] != nil || !errors.Is(st.Rejected[join.ID()], ErrUnauthorized) {
						t.Fatalf("the removed admin's join: request %v, rejected %v; want it rejected", g.Requests[w.pub("ann")], st.Rejected[join.ID()])
					}
				}
				if p := findPost(t, c, vip.ID(), hi.ID()); !errors.Is(p.Hidden, ErrHidden) {
					t.Fatalf("what ann wrote in the group by the fallen join: hidden %v", p.Hidden)
				}
				// Every order of the concurrent ops after the common past.
				for _, order := range permutations(concurrent) {
					d, err := NewCommunity(w.genesis, nil)
					if err != nil {
						t.Fatal(err)
					}
					deliverAll(t, d, append(slices.Clone(w.all[:base]), order...))
					if d.Hash() != want {
						t.Fatalf("delivery order %v diverged", kinds(order))
					}
				}
				if loss == "demoted" {
					// The request is an ordinary one: the owner decides it.
					w.syncAll()
					w.do("olivia", ZeroID, KindGroupDecide, &GroupDecideBody{Group: idb(vip.ID()), Member: w.pk("ann"), Approve: true})
					if !w.final(rng()).State().Groups[vip.ID()].Has(w.pub("ann")) {
						t.Fatal("approving the fallen-back request does not let ann in")
					}
				}
			})
		})
	}
}

// permutations returns every order of ops.
func permutations(ops []*Op) [][]*Op {
	if len(ops) <= 1 {
		return [][]*Op{slices.Clone(ops)}
	}
	var out [][]*Op
	for i := range ops {
		rest := append(slices.Clone(ops[:i]), ops[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]*Op{ops[i]}, p...))
		}
	}
	return out
}

func kinds(ops []*Op) []Kind {
	out := make([]Kind, len(ops))
	for i, o := range ops {
		out[i] = o.Kind
	}
	return out
}
