package crdt

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// judgeWorld is one replica holding a random community, with the keys of
// everyone who wrote in it, for comparing permission queries with the
// verdicts on real ops.
type judgeWorld struct {
	t    *testing.T
	w    *world
	c    *Community
	keys map[PublicKey]testKey
}

// write signs an op by k on top of everything c holds and adds it; it
// reports whether c accepted it.
func (j *judgeWorld) write(k testKey, log ID, kind Kind, body interface{ check() error }) (*Op, bool) {
	j.t.Helper()
	o := j.draft(k, log, kind, body)
	return o, j.c.Add(o, nil) == nil
}

// draft signs an op by k on top of everything c holds, without adding it.
func (j *judgeWorld) draft(k testKey, log ID, kind Kind, body interface{ check() error }) *Op {
	j.t.Helper()
	return mustSign(j.t, j.c.Draft(k.pub(), log, kind, mustBody(j.t, body)), k)
}

// newJudgeWorld grows a random community (randomWorld: removals,
// demotions, lapsed links, hidden posts) into one with the rest of what
// the rules look at, at random: settings, co-owners, join requests,
// suggested, approval and archived groups with requests, a deactivation.
func newJudgeWorld(t *testing.T, rng *rand.Rand, stats map[string]int) *judgeWorld {
	w := randomWorld(t, rng, 30, map[string]int{})
	c, err := NewCommunity(w.genesis, nil)
	if err != nil {
		t.Fatal(err)
	}
	deliverAll(t, c, w.all)
	j := &judgeWorld{t: t, w: w, c: c, keys: map[PublicKey]testKey{}}
	for _, k := range w.keys {
		j.keys[k.pub()] = k
	}
	olivia := w.keys["olivia"]
	members := func() []testKey {
		var out []testKey
		for _, n := range w.names {
			if k := w.keys[n]; c.State().Role(k.pub()) != RoleNone {
				out = append(out, k)
			}
		}
		return out
	}
	someone := func() testKey { ms := members(); return ms[rng.IntN(len(ms))] }
	// The private conversations' choices draw on their own source, so
	// the rest of the generator reaches what it reached before them.
	prng := rand.New(rand.NewPCG(uint64(len(w.all)), 17))
	anyone := func() testKey { ms := members(); return ms[prng.IntN(len(ms))] }
	// Merge the heads, so the current state is what an op written now sees.
	j.write(olivia, ZeroID, KindProfile, &ProfileBody{Name: "Olivia"})
	j.write(olivia, ZeroID, KindProfile, &ProfileBody{Name: "Olivia O."})
	// Groups: a member's (a suggestion unless members create groups), an
	// approval group that some ask to join, maybe archived.
	if rng.IntN(2) == 0 {
		j.write(olivia, ZeroID, KindSettings, &SettingsBody{Name: "Glow Team", MembersCreateGroups: true, PrivateToAdminsOnly: prng.IntN(2) == 0})
	}
	// A private conversation between two members, which one of them may
	// have left (closing it).
	if a, b := anyone(), anyone(); a.pub() != b.pub() {
		dm, ok := j.write(a, ZeroID, KindGroupCreate, &GroupCreateBody{Policy: PolicyPrivate, Participants: [][]byte{b.pubBytes()}})
		if ok {
			stats["private"]++
			if prng.IntN(3) == 0 {
				j.write(b, ZeroID, KindGroupLeave, &GroupLeaveBody{Group: idb(dm.ID())})
				stats["private closed"]++
			}
		}
	}
	j.write(someone(), ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Ideas", Policy: GroupPolicy(rng.IntN(3))})
	appr, _ := j.write(olivia, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Leaders", Policy: PolicyApproval})
	for range 3 {
		j.write(someone(), ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(appr.ID())})
	}
	if rng.IntN(3) == 0 {
		j.write(olivia, ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(appr.ID()), Name: "Leaders", Policy: PolicyApproval, Archived: true})
	}
	// Posts by several members in every group they may write in, so every
	// actor has its own and others' messages and polls to act on.
	for gid := range c.State().Groups {
		for _, k := range members() {
			if rng.IntN(2) == 0 {
				j.write(k, gid, KindMessage, &MessageBody{Text: "hi", Time: 1})
				j.write(k, gid, KindPoll, &PollBody{Question: "Q?", Options: []string{"a", "b"}, Time: 1})
			}
		}
	}
	if rng.IntN(3) == 0 {
		j.write(olivia, ZeroID, KindRole, &RoleBody{Member: someone().pubBytes(), Role: RoleOwner})
	}
	// Join requests, under the approval policy.
	if rng.IntN(2) == 0 {
		j.write(olivia, ZeroID, KindSettings, &SettingsBody{Name: "Glow Team", JoinPolicy: JoinByApproval, MembersCreateGroups: rng.IntN(2) == 0, PrivateToAdminsOnly: prng.IntN(2) == 0})
		priv := ed25519.NewKeyFromSeed(append(make([]byte, 31), 0xee))
		inv, _ := j.write(olivia, ZeroID, KindInvite, &InviteBody{Key: priv.Public().(ed25519.PublicKey), Role: RoleMember, Name: "G"})
		for i := range 2 {
			k := newKey(byte(0xa0 + i))
			j.keys[k.pub()] = k
			j.write(k, ZeroID, KindJoin, &JoinBody{Invite: idb(inv.ID()), Proof: ed25519.Sign(priv, JoinProofMessage(w.cid(), inv.ID(), k.pub())), Name: fmt.Sprintf("asker %d", i), Time: 1})
		}
	}
	j.write(olivia, ZeroID, KindProfile, &ProfileBody{Name: "Olivia"})
	if rng.IntN(5) == 0 {
		j.write(olivia, ZeroID, KindDeactivate, &DeactivateBody{})
		stats["deactivated"]++
	}
	st := c.State()
	if len(st.Requests) > 0 {
		stats["requests"]++
	}
	for _, g := range st.Groups {
		for what, ok := range map[string]bool{"group requests": len(g.Requests) > 0, "suggested": g.Suggested, "archived": g.Archived} {
			if ok {
				stats[what]++
			}
		}
	}
	if st.Owners() > 1 {
		stats["co-owners"]++
	}
	return j
}

// TestPermitsAgreeWithTheJudge is the promise of the permission queries:
// for random communities, every actor (owners, admins, members, former
// members, people asking to join) and every action on every target, the
// query says yes exactly when the community accepts the op that action
// writes now.
func TestPermitsAgreeWithTheJudge(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 15
	}
	stats := map[string]int{}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 16))
		j := newJudgeWorld(t, rng, stats)
		if len(j.c.ControlHeads()) > MaxParents {
			stats["skipped: too many heads"]++
			continue
		}
		j.compare(stats)
	}
	t.Logf("over %d seeds: %v", seeds, stats)
	for _, k := range []string{"yes", "no", "requests", "group requests", "suggested", "archived", "co-owners", "deactivated",
		"yes member.role", "yes member.remove", "yes pin", "yes delete others'", "no delete others'", "yes join.decide", "yes group.decide", "yes group.update approve",
		"private", "private closed", "yes private", "no private", "yes group.add", "yes group.remove", "yes member.add", "no member.add"} {
		if stats[k] == 0 {
			t.Errorf("the generator never reached %q", k)
		}
	}
	if stats["skipped: too many heads"] > seeds/4 {
		t.Errorf("skipped %d of %d seeds", stats["skipped: too many heads"], seeds)
	}
}

// compare checks every query against the verdict on its real op.
func (j *judgeWorld) compare(stats map[string]int) {
	t, c := j.t, j.c
	st := c.State()
	var actors []PublicKey
	for k := range j.keys {
		actors = append(actors, k)
	}
	slices.SortFunc(actors, comparePK)
	var gids []ID
	for gid := range st.Groups {
		gids = append(gids, gid)
	}
	gids = SortIDs(gids)
	var requesters []PublicKey
	for k := range st.Requests {
		requesters = append(requesters, k)
	}
	var invites []ID
	for id := range st.Invites {
		invites = append(invites, id)
	}
	invites = SortIDs(invites)

	for _, actor := range actors {
		k := j.keys[actor]
		check := func(what string, a Action, log ID, body interface{ check() error }) {
			t.Helper()
			o := j.draft(k, log, a.Kind, body)
			err := c.Check(o, nil)
			got := st.Judge(actor, a)
			if (err == nil) != (got == nil) {
				t.Fatalf("%s by a %s: the judge says %v, the query %v", what, st.Role(actor), err, got)
			}
			verdict := "no"
			if got == nil {
				verdict = "yes"
			}
			stats[verdict]++
			stats[verdict+" "+what]++
		}
		// consistent checks a query about a supposed target against the
		// same query about a real one.
		consistent := func(what string, supposed, real Action) {
			t.Helper()
			if s, r := st.Permits(actor, supposed), st.Permits(actor, real); s != r {
				t.Fatalf("%s by a %s: %v in general, %v for a real one", what, st.Role(actor), s, r)
			}
		}
		check("settings", Action{Kind: KindSettings}, ZeroID, &SettingsBody{Name: st.Name})
		check("deactivate", Action{Kind: KindDeactivate}, ZeroID, &DeactivateBody{})
		check("invite", Action{Kind: KindInvite}, ZeroID, &InviteBody{Key: make([]byte, 32), Role: RoleMember, Name: "G"})
		check("leave", Action{Kind: KindLeave}, ZeroID, &LeaveBody{})
		check("team.settings", Action{Kind: KindTeamSettings}, ZeroID, &TeamSettingsBody{AdminsCelebrate: st.AdminsCelebrate})
		check("steps", Action{Kind: KindSteps}, ZeroID, stepsOf("Hi {name}", "Watch"))
		check("progress", Action{Kind: KindProgress}, ZeroID, &ProgressBody{})
		newcomer := PublicKey{9, 9, 9}
		check("member.add", Action{Kind: KindAdd, Member: newcomer}, ZeroID, &AddBody{Member: newcomer[:], Name: "?", Role: RoleMember})
		consistent("member.add", Action{Kind: KindAdd}, Action{Kind: KindAdd, Member: newcomer})
		for p := range GroupPolicy(3) {
			check("group.create", Action{Kind: KindGroupCreate, Policy: p}, ZeroID, &GroupCreateBody{Name: "New", Policy: p})
		}
		for _, m := range actors {
			if m != actor {
				check("private", Action{Kind: KindGroupCreate, Policy: PolicyPrivate, With: []PublicKey{m}}, ZeroID,
					&GroupCreateBody{Policy: PolicyPrivate, Participants: [][]byte{slices.Clone(m[:])}})
			}
			check("member.remove", Action{Kind: KindRemove, Member: m}, ZeroID, &RemoveBody{Member: m[:]})
			for _, r := range []Role{RoleMember, RoleAdmin, RoleOwner} {
				check("member.role", Action{Kind: KindRole, Member: m, Role: r}, ZeroID, &RoleBody{Member: m[:], Role: r})
			}
		}
		for _, r := range requesters {
			a := Action{Kind: KindDecide, Member: r}
			check("join.decide", a, ZeroID, &DecideBody{Member: r[:], Approve: true})
			consistent("join.decide", Action{Kind: KindDecide}, a)
		}
		for _, inv := range invites {
			a := Action{Kind: KindInviteRevoke, Invite: inv}
			check("invite.revoke", a, ZeroID, &InviteRevokeBody{Invite: idb(inv)})
			if !st.Invites[inv].Revoked {
				consistent("invite.revoke", Action{Kind: KindInviteRevoke}, a)
			}
		}
		for _, gid := range gids {
			g := st.Groups[gid]
			gb := idb(gid)
			policy := g.Policy
			if g.Progress() { // no body may name it; the judge refuses either way
				policy = PolicyOpen
			}
			check("group.join", Action{Kind: KindGroupJoin, Group: gid}, ZeroID, &GroupJoinBody{Group: gb})
			check("group.leave", Action{Kind: KindGroupLeave, Group: gid}, ZeroID, &GroupLeaveBody{Group: gb})
			check("group.update", Action{Kind: KindGroupUpdate, Group: gid}, ZeroID,
				&GroupUpdateBody{Group: gb, Name: cmp.Or(g.Name, "Private"), Description: g.Description, Policy: policy, Archived: g.Archived})
			check("group.update approve", Action{Kind: KindGroupUpdate, Group: gid, Approve: true}, ZeroID,
				&GroupUpdateBody{Group: gb, Name: cmp.Or(g.Name, "Private"), Description: g.Description, Policy: policy, Archived: g.Archived, Approve: true})
			for r := range g.Requests {
				a := Action{Kind: KindGroupDecide, Group: gid, Member: r}
				check("group.decide", a, ZeroID, &GroupDecideBody{Group: gb, Member: r[:], Approve: true})
				consistent("group.decide", Action{Kind: KindGroupDecide, Group: gid}, a)
			}
			for _, m := range actors {
				a := Action{Kind: KindGroupAdd, Group: gid, Member: m, Time: 5}
				check("group.add", a, ZeroID, &GroupAddBody{Group: gb, Member: m[:], Time: 5})
				check("group.remove", Action{Kind: KindGroupRemove, Group: gid, Member: m}, ZeroID, &GroupRemoveBody{Group: gb, Member: m[:]})
				if _, left := g.Left[m]; st.Role(m) == RoleMember && !g.Has(m) && !left {
					consistent("group.add", Action{Kind: KindGroupAdd, Group: gid}, a)
				}
			}
			check("message", Action{Kind: KindMessage, Group: gid}, gid, &MessageBody{Text: "x"})
			check("poll", Action{Kind: KindPoll, Group: gid}, gid, &PollBody{Question: "Q?", Options: []string{"a", "b"}})
			// The team kinds (team.go).
			check("win", Action{Kind: KindWin, Group: gid}, gid, &WinBody{Member: slices.Clone(actor[:]), Badge: BadgeGoal})
			check("promo", Action{Kind: KindPromo, Group: gid}, gid, &PromoBody{Title: "Sale", Starts: 1, Ends: 2})
			check("event", Action{Kind: KindEvent, Group: gid}, gid, &EventBody{Title: "Call", Starts: 1})
			check("group.qa", Action{Kind: KindGroupQA, Group: gid}, ZeroID, &GroupQABody{Group: gb, On: !g.QA})
			for _, e := range c.Entries(gid) {
				target := e.Op
				others := target.Author != actor
				whose := ""
				if others {
					whose = " others'"
				}
				tb := idb(target.ID())
				switch target.Kind {
				case KindMessage:
					check("reply", Action{Kind: KindMessage, Group: gid}, gid, &MessageBody{Text: "x", ReplyTo: tb})
					check("edit"+whose, Action{Kind: KindEdit, Group: gid, Others: others}, gid, &EditBody{Target: tb, Text: "y"})
					check("delete"+whose, Action{Kind: KindDelete, Group: gid, Others: others}, gid, &DeleteBody{Target: tb})
					check("reaction"+whose, Action{Kind: KindReaction, Group: gid, Others: others}, gid, &ReactionBody{Target: tb, Emoji: "👍", On: true})
					check("pin", Action{Kind: KindPin, Group: gid, Others: others}, gid, &PinBody{Target: tb, On: true})
					if b, _ := e.Body.(*MessageBody); b != nil && len(b.ReplyTo) == 0 {
						check("answer"+whose, Action{Kind: KindAnswer, Group: gid, Others: others}, gid, &AnswerBody{Question: tb})
					}
					check("collect", Action{Kind: KindCollect, Group: gid, Others: others}, gid, &CollectBody{Target: tb, Collection: "Tips", On: true})
				case KindEvent:
					check("rsvp"+whose, Action{Kind: KindRSVP, Group: gid, Others: others}, gid, &RSVPBody{Event: tb, Answer: RSVPGoing})
					check("event.edit"+whose, Action{Kind: KindEventEdit, Group: gid, Others: others}, gid, &EventEditBody{Target: tb, Title: "Call", Starts: 1})
				case KindPromo:
					check("promo.edit"+whose, Action{Kind: KindPromoEdit, Group: gid, Others: others}, gid, &PromoEditBody{Target: tb, Title: "Sale", Starts: 1, Ends: 2})
				case KindPoll:
					check("vote"+whose, Action{Kind: KindVote, Group: gid, Others: others}, gid, &VoteBody{Poll: tb, Choices: []uint8{1}})
					check("poll.close"+whose, Action{Kind: KindPollClose, Group: gid, Others: others}, gid, &PollCloseBody{Poll: tb})
				}
			}
		}
	}
}

// TestPermitsRefusesWhatItDoesNotKnow: a kind that is no permission query
// is refused, never allowed by default.
func TestPermitsRefusesWhatItDoesNotKnow(t *testing.T) {
	w, general := setup(t, "ben")
	st := w.reps["olivia"].State()
	for _, a := range []Action{{Kind: KindGenesis}, {Kind: KindJoin}, {Kind: KindRekey}, {Kind: Kind(150), Group: general}} {
		if st.Permits(w.pub("olivia"), a) {
			t.Errorf("%s: permitted", a.Kind)
		}
	}
}
