package crdt

import (
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"lukechampine.com/blake3"
)

// stepID is the id a test's writer draws for the step titled title.
func stepID(title string) []byte {
	h := blake3.Sum256([]byte(title))
	return h[:StepIDSize]
}

// stepsOf is a steps body with the welcome and steps titled titles.
func stepsOf(welcome string, titles ...string) *StepsBody {
	b := &StepsBody{Welcome: welcome, Time: 5}
	for _, t := range titles {
		b.Steps = append(b.Steps, StepItem{ID: stepID(t), Title: t})
	}
	return b
}

// titles lists the titles of st's first steps.
func titles(st *State) []string {
	if st.Steps == nil {
		return nil
	}
	var out []string
	for _, s := range st.Steps.List {
		out = append(out, s.Title)
	}
	return out
}

// tick has by tick (done) or untick one of its first steps in its
// progress log.
func (w *world) tick(by, title string, done bool) (*Op, error) {
	w.t.Helper()
	log := w.reps[by].State().Progress[w.pub(by)]
	return w.try(by, log, KindStep, &StepBody{Step: stepID(title), Done: done, Time: 7})
}

// doneTitles lists the titles of the steps k ticked, as c sees them.
func doneTitles(c *Community, k PublicKey) []string {
	st := c.State()
	var out []string
	for _, d := range c.Progress(k).Done {
		for _, s := range st.Steps.List {
			if s.ID == d.Step {
				out = append(out, s.Title)
			}
		}
	}
	return out
}

// TestSteps: only admins set the first steps; a step links only a group
// members can open; each steps op replaces the list; the judge agrees.
func TestSteps(t *testing.T) {
	w, general := setup(t, "ann", "cal", "dee")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	dm, err := w.dm("cal", "dee")
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	withLink := stepsOf("Hi {name}", "Watch the video")
	withLink.Steps[0].Group = idb(dm.ID())
	for _, tc := range []struct {
		name, by string
		body     *StepsBody
		want     error
	}{
		{"member", "cal", stepsOf("Hi", "Call"), ErrUnauthorized},
		{"link to a private conversation", "ann", withLink, ErrInvalid},
		{"link to no group", "ann", &StepsBody{Steps: []StepItem{{ID: stepID("a"), Title: "a", Group: make([]byte, 32)}}}, ErrInvalid},
		{"step id twice", "ann", &StepsBody{Steps: []StepItem{{ID: stepID("a"), Title: "a"}, {ID: stepID("a"), Title: "b"}}}, ErrInvalid},
		{"empty title", "ann", &StepsBody{Steps: []StepItem{{ID: stepID("a"), Title: " "}}}, ErrInvalid},
		{"message without group", "ann", &StepsBody{Steps: []StepItem{{ID: stepID("a"), Title: "a", Message: make([]byte, 32)}}}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.try(tc.by, ZeroID, KindSteps, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if w.reps["cal"].State().Permits(w.pub("cal"), Action{Kind: KindSteps}) || !w.reps["ann"].State().Permits(w.pub("ann"), Action{Kind: KindSteps}) {
		t.Fatal("the judge disagrees on who sets first steps")
	}
	linked := stepsOf("Welcome {name}!", "Watch the welcome video", "Join the Monday call")
	linked.Steps[1].Group = idb(general)
	w.do("ann", ZeroID, KindSteps, linked)
	st := w.final(rng()).State()
	if got := titles(st); !slices.Equal(got, []string{"Watch the welcome video", "Join the Monday call"}) || st.Steps.Welcome != "Welcome {name}!" || st.Steps.List[1].Group != general {
		t.Fatalf("steps %q, welcome %q", got, st.Steps.Welcome)
	}
	w.syncAll()
	w.do("olivia", ZeroID, KindSteps, stepsOf("Hello {name}", "Write your list of 20"))
	if got := titles(w.final(rng()).State()); !slices.Equal(got, []string{"Write your list of 20"}) {
		t.Fatalf("after the second edit: %q", got)
	}
}

// TestConcurrentStepsConverge: two admins edit the steps list at once;
// every replica, whatever order it receives the ops in, shows the list of
// the op replayed last. A list by an admin demoted concurrently falls,
// and the other stands.
func TestConcurrentStepsConverge(t *testing.T) {
	w, _ := setup(t, "ann", "ben", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	w.promote("olivia", "ben", RoleAdmin)
	w.syncAll()
	w.do("olivia", ZeroID, KindSteps, stepsOf("Hi", "Watch", "Call"))
	w.syncAll()
	byAnn := w.do("ann", ZeroID, KindSteps, stepsOf("Hi", "Watch", "Call", "List of 20"))
	byBen := w.do("ben", ZeroID, KindSteps, stepsOf("Hello", "Call", "Watch"))
	final := w.final(rand.New(rand.NewPCG(1, 2)))
	got := titles(final.State())
	annWon := slices.Equal(got, []string{"Watch", "Call", "List of 20"})
	if !annWon && !slices.Equal(got, []string{"Call", "Watch"}) {
		t.Fatalf("converged on %q, neither admin's list", got)
	}
	for seed := range uint64(20) {
		if h := w.final(rand.New(rand.NewPCG(seed, 3))).Hash(); h != final.Hash() {
			t.Fatalf("seed %d diverged", seed)
		}
	}
	winner, loser, want := "ann", byBen, []string{"Call", "Watch"}
	if !annWon {
		winner, loser, want = "ben", byAnn, []string{"Watch", "Call", "List of 20"}
	}
	w.reps["olivia"] = w.copyOf("olivia")
	w.promote("olivia", winner, RoleMember)
	st := w.final(rng()).State()
	if _, fell := st.Rejected[loser.ID()]; fell {
		t.Fatal("the list of the admin who kept the rank fell")
	}
	if got := titles(st); !slices.Equal(got, want) {
		t.Fatalf("after %s's demotion the list is %q, want %q", winner, got, want)
	}
	if st.Steps.Since != 5 {
		t.Fatalf("since %d: the first list's time must stay", st.Steps.Since)
	}
}

// TestProgressReaders: a member's progress log is read by it and the
// admins only, whatever the roles become: a promoted member reads every
// progress log, a demoted admin stops (and the log's epoch is exposed to
// be renewed), a removed member's log stays with the admins and is its
// own again when it comes back. Nobody joins, leaves, renames, orders or
// posts in it, and it is no group of the home.
func TestProgressReaders(t *testing.T) {
	w, general := setup(t, "ann", "dev", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	log := w.do("dev", ZeroID, KindProgress, &ProgressBody{Time: 3}).ID()
	w.syncAll()
	readers := func(st *State) []PublicKey { return st.Readers(log) }
	want := func(names ...string) []PublicKey {
		var out []PublicKey
		for _, n := range names {
			out = append(out, w.pub(n))
		}
		slices.SortFunc(out, comparePublicKeys)
		return out
	}
	st := w.reps["cal"].State()
	if got := readers(st); !slices.Equal(got, want("olivia", "ann", "dev")) {
		t.Fatalf("readers %x", got)
	}
	if st.MayRead(w.pub("cal"), log) || !st.MayRead(w.pub("dev"), log) || !st.MayRead(w.pub("ann"), log) {
		t.Fatal("MayRead disagrees with the readers")
	}
	if slices.ContainsFunc(st.SortedGroups(), func(g *Group) bool { return g.ID == log }) {
		t.Fatal("a progress log is listed among the groups")
	}
	if _, err := w.try("dev", ZeroID, KindProgress, &ProgressBody{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a second progress log: %v", err)
	}
	for _, tc := range []struct {
		name, by string
		log      ID
		kind     Kind
		body     interface{ check() error }
		want     error
	}{
		{"a member joins it", "cal", ZeroID, KindGroupJoin, &GroupJoinBody{Group: idb(log)}, ErrInvalid},
		{"an admin leaves it", "ann", ZeroID, KindGroupLeave, &GroupLeaveBody{Group: idb(log)}, ErrInvalid},
		{"an owner renames it", "olivia", ZeroID, KindGroupUpdate, &GroupUpdateBody{Group: idb(log), Name: "x"}, ErrInvalid},
		{"an owner orders it", "olivia", ZeroID, KindGroupOrder, orderOf(log), ErrInvalid},
		{"its member posts in it", "dev", log, KindMessage, &MessageBody{Text: "hi", Time: 1}, ErrInvalid},
		{"an admin posts in it", "ann", log, KindMessage, &MessageBody{Text: "hi", Time: 1}, ErrInvalid},
		{"another member posts in it", "cal", log, KindMessage, &MessageBody{Text: "hi", Time: 1}, ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.try(tc.by, tc.log, tc.kind, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := w.try("dev", general, KindStep, &StepBody{Step: stepID("x")}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a step in a group: %v", err)
	}
	// Promoted, cal reads it; demoted again, not, and the epoch it could
	// read is exposed.
	w.promote("olivia", "cal", RoleAdmin)
	if !w.reps["olivia"].State().MayRead(w.pub("cal"), log) {
		t.Fatal("a new admin does not read the progress log")
	}
	st = w.reps["olivia"].State().Clone()
	e := &Epoch{ID: EpochID{9}, Log: log}
	st.Current[log] = e
	st.ownMember(w.pub("cal")).Role = RoleMember
	st.progressRoles(w.pub("cal"), RoleAdmin, RoleMember)
	if st.MayRead(w.pub("cal"), log) || !st.Exposed[e.ID] {
		t.Fatal("a demoted admin still reads the progress log, or its epoch is not exposed")
	}
	w.promote("olivia", "cal", RoleMember)
	if w.reps["olivia"].State().MayRead(w.pub("cal"), log) {
		t.Fatal("a demoted admin reads the progress log")
	}
	// Dev is removed: its log stays, read by the admins; it comes back and
	// reads it again.
	w.syncAll()
	w.remove("ann", "dev")
	w.syncAll()
	st = w.reps["olivia"].State()
	if st.Progress[w.pub("dev")] != log || !slices.Equal(readers(st), want("olivia", "ann")) {
		t.Fatal("a removed member's progress log is gone or still read by it")
	}
	inv := w.invite("olivia")
	k := w.keys["dev"]
	w.reps["dev"] = w.copyOf("olivia")
	w.do("dev", ZeroID, KindJoin, &JoinBody{Invite: idb(inv.ID()), Proof: signJoin(w, inv, k.pub()), Name: "dev", Time: 200_000})
	w.syncAll()
	if st := w.final(rng()).State(); !slices.Equal(readers(st), want("olivia", "ann", "dev")) {
		t.Fatal("a member who came back does not read its progress log")
	}
}

// signJoin is the proof a newcomer with key k gives to redeem inv.
func signJoin(w *world, inv *Op, k PublicKey) []byte {
	return ed25519.Sign(w.invKeys[inv.ID()], JoinProofMessage(w.cid(), inv.ID(), k))
}

// TestStepTicks: only the member ticks its steps, in its own progress
// log, on steps of the list in its causal past; the last tick or untick
// of a step wins; a step the admins drop stops counting, and counts again
// when they put it back with its id.
func TestStepTicks(t *testing.T) {
	w, _ := setup(t, "ann", "dev", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	w.do("olivia", ZeroID, KindSteps, stepsOf("Hi {name}", "Watch", "Call", "List"))
	w.syncAll()
	log := w.do("dev", ZeroID, KindProgress, &ProgressBody{Time: 3}).ID()
	w.syncAll()
	if _, err := w.tick("dev", "Watch", true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.tick("dev", "List", true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.tick("dev", "Nope", true); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a step not in the list: %v", err)
	}
	w.syncAll()
	for _, by := range []string{"ann", "olivia"} {
		if _, err := w.try(by, log, KindStep, &StepBody{Step: stepID("Call"), Done: true}); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("%s ticks dev's step: %v", by, err)
		}
	}
	if _, err := w.try("cal", log, KindStep, &StepBody{Step: stepID("Call"), Done: true}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a third member ticks dev's step: %v", err)
	}
	if w.reps["cal"].State().Permits(w.pub("cal"), Action{Kind: KindStep, Group: log}) || !w.reps["dev"].State().Permits(w.pub("dev"), Action{Kind: KindStep, Group: log}) {
		t.Fatal("the judge disagrees on who ticks dev's steps")
	}
	c := w.final(rng())
	if got := doneTitles(c, w.pub("dev")); !slices.Equal(got, []string{"Watch", "List"}) {
		t.Fatalf("done %q", got)
	}
	if _, err := w.tick("dev", "List", false); err != nil {
		t.Fatal(err)
	}
	c = w.final(rng())
	if got := doneTitles(c, w.pub("dev")); !slices.Equal(got, []string{"Watch"}) {
		t.Fatalf("after unticking: %q", got)
	}
	if p := c.Progress(w.pub("cal")); p.Log != (ID{}) || len(p.Done) != 0 {
		t.Fatalf("cal, who has no log, has progress %+v", p)
	}
	w.syncAll()
	w.do("ann", ZeroID, KindSteps, stepsOf("Hi", "Call", "List"))
	if got := doneTitles(w.final(rng()), w.pub("dev")); len(got) != 0 {
		t.Fatalf("a dropped step still counts: %q", got)
	}
	w.syncAll()
	w.do("ann", ZeroID, KindSteps, stepsOf("Hi", "Watch", "Call", "List"))
	if got := doneTitles(w.final(rng()), w.pub("dev")); !slices.Equal(got, []string{"Watch"}) {
		t.Fatalf("a step put back does not count again: %q", got)
	}
}

// TestInvitedBy: every member's inviter is the maker of the invite it
// redeemed (also when an admin approved its request) or the admin who
// added it, and stays so when the inviter is removed.
func TestInvitedBy(t *testing.T) {
	w, _ := setup(t, "ann")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	w.member("chloe", "ann")
	w.member("ben", "olivia")
	w.do("olivia", ZeroID, KindAdd, &AddBody{Member: newKey(99).pubBytes(), Name: "Zoe", Role: RoleMember, Time: 9})
	w.syncAll()
	w.remove("olivia", "ann")
	w.syncAll()
	// Approval: the request keeps who made the link it redeemed.
	w.do("olivia", ZeroID, KindSettings, &SettingsBody{Name: "Glow Team", JoinPolicy: JoinByApproval})
	w.syncAll()
	w.member("dee", "olivia")
	w.do("olivia", ZeroID, KindDecide, &DecideBody{Member: w.pk("dee"), Approve: true})
	st := w.final(rng()).State()
	for who, by := range map[PublicKey]PublicKey{w.pub("chloe"): w.pub("ann"), w.pub("ben"): w.pub("olivia"), newKey(99).pub(): w.pub("olivia"), w.pub("dee"): w.pub("olivia")} {
		if st.Members[who] == nil || st.Invited[who].By != by {
			t.Errorf("%s invited by %s, want %s", who.String()[:8], st.Invited[who].By.String()[:8], by.String()[:8])
		}
	}
	if st.Invited[w.pub("chloe")].Invite.IsZero() || !st.Invited[newKey(99).pub()].Invite.IsZero() {
		t.Error("the invite redeemed is not recorded, or a direct add names one")
	}
	if st.Role(w.pub("ann")) != RoleNone {
		t.Fatal("ann was not removed")
	}
}

// TestNewcomer: newcomers are the members below admin who joined since
// the first steps were set, or opened a progress log.
func TestNewcomer(t *testing.T) {
	w, _ := setup(t, "ann", "old", "keen")
	w.promote("olivia", "ann", RoleAdmin)
	w.do("keen", ZeroID, KindProgress, &ProgressBody{})
	w.syncAll()
	w.do("olivia", ZeroID, KindSteps, &StepsBody{Steps: stepsOf("", "Watch").Steps, Time: 150_000})
	w.syncAll()
	w.member("new", "olivia") // joins at 100_000 on its clock
	w.syncAll()
	st := w.final(rng()).State()
	for name, want := range map[string]bool{"ann": false, "olivia": false, "old": false, "keen": true, "new": false} {
		if got := st.Newcomer(w.pub(name)); got != want {
			t.Errorf("%s newcomer %v, want %v", name, got, want)
		}
	}
	st.Members[w.pub("new")].Joined = 160_000
	if !st.Newcomer(w.pub("new")) {
		t.Error("a member who joined after the steps is no newcomer")
	}
}

// TestProgressReadersFollowRoles: a member who left and comes back reads
// its progress log again, and a snapshot taken before is left as it was;
// nobody is added to or removed from a progress log, and a third member
// does not read it.
func TestProgressReadersFollowRoles(t *testing.T) {
	w, _ := setup(t, "dev", "cal")
	log := w.do("dev", ZeroID, KindProgress, &ProgressBody{Time: 3}).ID()
	w.syncAll()
	for _, kind := range []Kind{KindGroupAdd, KindGroupRemove} {
		var body interface{ check() error } = &GroupAddBody{Group: idb(log), Member: w.pk("cal"), Time: 4}
		if kind == KindGroupRemove {
			body = &GroupRemoveBody{Group: idb(log), Member: w.pk("dev"), Time: 4}
		}
		if _, err := w.try("olivia", ZeroID, kind, body); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%s in a progress log: %v", kind, err)
		}
	}
	w.do("dev", ZeroID, KindLeave, &LeaveBody{Time: 4})
	inv := w.invite("olivia")
	w.syncAll()
	c := w.reps["olivia"]
	snap := c.Snapshot()
	if snap.MayRead(w.pub("dev"), log) {
		t.Fatal("dev reads its progress log after leaving")
	}
	w.do("dev", ZeroID, KindJoin, &JoinBody{Invite: idb(inv.ID()), Proof: ed25519.Sign(w.invKey, JoinProofMessage(w.cid(), inv.ID(), w.pub("dev"))), Name: "dev", Time: 200_000})
	w.syncAll()
	if !c.State().MayRead(w.pub("dev"), log) {
		t.Fatal("dev, back, does not read its progress log")
	}
	if snap.MayRead(w.pub("dev"), log) {
		t.Fatal("the snapshot taken before dev came back changed")
	}
	if c.State().MayRead(w.pub("cal"), log) || !slices.Equal(c.State().Readers(log), sortedKeys(w.pub("olivia"), w.pub("dev"))) {
		t.Fatalf("readers %v, want olivia and dev", c.State().Readers(log))
	}
}

func sortedKeys(ks ...PublicKey) []PublicKey {
	slices.SortFunc(ks, comparePublicKeys)
	return ks
}
