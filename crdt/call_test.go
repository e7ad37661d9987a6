package crdt

import (
	"errors"
	"slices"
	"testing"
)

// findCall returns call id of group's view in c, failing the test when it
// is not there.
func findCall(t *testing.T, c *Community, group, id ID) *CallView {
	t.Helper()
	for _, cv := range c.View(group).Calls {
		if cv.ID == id {
			return cv
		}
	}
	t.Fatalf("call %s not in the view", id.Short())
	return nil
}

// TestCallStartedAndEndedByCallerOrAdmin: anyone who may post starts a
// call; the caller or an admin ends it, nobody else; the first end is the
// one shown; an end names a call's start and nothing else.
func TestCallStartedAndEndedByCallerOrAdmin(t *testing.T) {
	w, general := setup(t, "ann", "ben", "mia")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	call := w.do("ben", general, KindCall, &CallBody{Action: CallStart, Video: true, Time: 10})
	msg := w.post("ben", general, "join the call")
	w.syncAll()
	end := func(by string, target ID, joined ...string) (*Op, error) {
		b := &CallBody{Action: CallEnd, Target: idb(target), Duration: 60_000, Time: 20}
		for _, j := range joined {
			b.Joined = append(b.Joined, w.pk(j))
		}
		return w.try(by, general, KindCall, b)
	}
	if _, err := end("mia", call.ID()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member ends another's call: %v", err)
	}
	if _, err := end("ben", msg.ID()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an end naming a message: %v", err)
	}
	first, err := end("ann", call.ID(), "ben", "mia")
	if err != nil {
		t.Fatalf("an admin ends a member's call: %v", err)
	}
	w.syncAll()
	if _, err := end("olivia", first.ID()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an end naming an end: %v", err)
	}
	if _, err := end("ben", call.ID(), "ben"); err != nil { // stands, changes nothing
		t.Fatalf("the caller ends its call again: %v", err)
	}
	c := w.final(rng())
	cv := findCall(t, c, general, call.ID())
	want := []PublicKey{w.pub("ben"), w.pub("mia")}
	slices.SortFunc(want, comparePK)
	if !cv.Video || cv.Caller != w.pub("ben") || cv.Time != 10 || !cv.Ended || cv.EndedBy != w.pub("ann") || cv.Duration != 60_000 || !slices.Equal(cv.Joined, want) {
		t.Fatalf("call after its ends: %+v", cv)
	}
	st := c.State()
	if !st.MayCall(w.pub("mia"), general) || !st.MayEndCall(w.pub("ben"), w.pub("ben"), general) ||
		!st.MayEndCall(w.pub("ann"), w.pub("ben"), general) || st.MayEndCall(w.pub("mia"), w.pub("ben"), general) {
		t.Fatal("MayCall/MayEndCall disagree with the rules")
	}
	// The call's row stands at its start's place, before the message
	// said after it, and shows the call as its end recorded it.
	v := c.View(general)
	i := slices.IndexFunc(v.Posts, func(p *Post) bool { return p.ID == call.ID() })
	if i < 0 || i > slices.IndexFunc(v.Posts, func(p *Post) bool { return p.ID == msg.ID() }) {
		t.Fatalf("call's row at %d of %d posts, not before the message after it", i, len(v.Posts))
	}
	if p := v.Posts[i]; p.Kind != KindCall || p.Call == nil || p.Call.ID != call.ID() || !p.Call.Ended || p.Call.Duration != 60_000 || p.Author != w.pub("ben") || p.Time != 10 {
		t.Fatalf("call's row: %+v", p)
	}
	// It is no post to react to, reply to or pin.
	if _, err := w.try("mia", general, KindReaction, &ReactionBody{Target: idb(call.ID()), Emoji: "👍", On: true}); err == nil {
		t.Fatal("a reaction to a call stands")
	}
}

// TestCallLapsedEndByAnyMember: a member who may not end another's call
// may still record that it lapsed (nobody left in it); a lapsed end shows
// the call ended and lapsed, another lapsed end changes nothing, and a
// later full end by the caller or an admin replaces its details. A start
// never says lapsed.
func TestCallLapsedEndByAnyMember(t *testing.T) {
	w, general := setup(t, "ann", "ben", "mia")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	call := w.do("ben", general, KindCall, &CallBody{Action: CallStart, Time: 10})
	w.syncAll()
	if _, err := w.try("mia", general, KindCall, &CallBody{Action: CallEnd, Target: idb(call.ID()), Time: 20}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member ends another's call without saying it lapsed: %v", err)
	}
	if _, err := w.try("mia", general, KindCall, &CallBody{Action: CallEnd, Target: idb(call.ID()), Lapsed: true, Duration: 5_000, Time: 20}); err != nil {
		t.Fatalf("a member records that another's call lapsed: %v", err)
	}
	w.syncAll()
	cv := findCall(t, w.final(rng()), general, call.ID())
	if !cv.Ended || !cv.Lapsed || cv.EndedBy != w.pub("mia") || cv.Duration != 5_000 {
		t.Fatalf("call after a lapsed end: %+v", cv)
	}
	if _, err := w.try("ann", general, KindCall, &CallBody{Action: CallEnd, Target: idb(call.ID()), Lapsed: true, Duration: 9_000, Time: 21}); err != nil {
		t.Fatalf("a second lapsed end: %v", err)
	}
	w.syncAll()
	if cv := findCall(t, w.final(rng()), general, call.ID()); cv.EndedBy != w.pub("mia") || cv.Duration != 5_000 {
		t.Fatalf("a second lapsed end replaced the first: %+v", cv)
	}
	if _, err := w.try("ben", general, KindCall, &CallBody{Action: CallEnd, Target: idb(call.ID()), Duration: 60_000, Joined: [][]byte{w.pk("ann")}, Time: 30}); err != nil {
		t.Fatalf("the caller ends its lapsed call: %v", err)
	}
	w.syncAll()
	cv = findCall(t, w.final(rng()), general, call.ID())
	if !cv.Ended || cv.Lapsed || cv.EndedBy != w.pub("ben") || cv.Duration != 60_000 || !slices.Equal(cv.Joined, []PublicKey{w.pub("ann")}) {
		t.Fatalf("a full end did not replace the lapsed one: %+v", cv)
	}
	if err := (&CallBody{Action: CallStart, Lapsed: true}).check(); err == nil {
		t.Fatal("a start that says it lapsed is accepted")
	}
}

// TestCallInAnnouncementsOnlyByAdmins: in the announcement group only
// admins start calls, as only they post there.
func TestCallInAnnouncementsOnlyByAdmins(t *testing.T) {
	w, _ := setup(t, "ben")
	if _, err := w.try("ben", w.cid(), KindCall, &CallBody{Action: CallStart, Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member's call in the announcement group: %v", err)
	}
	if w.reps["ben"].State().MayCall(w.pub("ben"), w.cid()) {
		t.Fatal("MayCall lets a member call in the announcement group")
	}
	w.do("olivia", w.cid(), KindCall, &CallBody{Action: CallStart, Time: 1})
}

// TestCallByMemberRemoved: the call of a member removed concurrently is
// hidden and shows no more; once its node knows of the removal it
// records no more calls.
func TestCallByMemberRemoved(t *testing.T) {
	w, general := setup(t, "ben")
	w.remove("olivia", "ben") // concurrent:
	call := w.do("ben", general, KindCall, &CallBody{Action: CallStart, Time: 1})
	c := w.final(rng())
	if len(c.View(general).Calls) != 0 {
		t.Fatalf("a removed member's concurrent call shows: %+v", c.View(general).Calls)
	}
	if e := c.Timeline(general).Get(call.ID()); e == nil || e.Hidden == nil || !errors.Is(e.Hidden, ErrHidden) {
		t.Fatal("the concurrent call is not kept hidden")
	}
	w.syncAll()
	if _, err := w.try("ben", general, KindCall, &CallBody{Action: CallStart, Time: 2}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a removed member records a call: %v", err)
	}
}

// TestCallBodyRefusesMalformed: a start names no target, an end names a
// target, a sane duration and distinct participants.
func TestCallBodyRefusesMalformed(t *testing.T) {
	id := make([]byte, 32)
	other := append(make([]byte, 31), 1)
	for name, b := range map[string]*CallBody{
		"unknown action":    {Action: 3},
		"start with target": {Action: CallStart, Target: id},
		"end without":       {Action: CallEnd},
		"end with video":    {Action: CallEnd, Target: id, Video: true},
		"negative duration": {Action: CallEnd, Target: id, Duration: -1},
		"too long":          {Action: CallEnd, Target: id, Duration: MaxCallDuration + 1},
		"twice":             {Action: CallEnd, Target: id, Joined: [][]byte{other, other}},
		"short key":         {Action: CallEnd, Target: id, Joined: [][]byte{other[:31]}},
	} {
		if _, err := EncodeBody(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
