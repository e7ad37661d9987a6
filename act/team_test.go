package act

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// body returns the decoded body of op id in community cid.
func (w *world) body(t *testing.T, id crdt.ID) (crdt.Kind, crdt.ID, any) {
	t.Helper()
	var kind crdt.Kind
	var log crdt.ID
	var b any
	err := w.rep.View(w.cid, func(c *crdt.Community) error {
		o := c.Op(id)
		if o == nil {
			return errors.New("no such op")
		}
		kind, log, b = o.Kind, o.Log, c.Body(id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kind, log, b
}

// TestTeamActions: each team action writes the op its input says, where
// it belongs, with the clock it is given.
func TestTeamActions(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	bo := testNames{}.PeerID(member(1).Key())

	// An owner's win goes to the announcement group by default.
	win, err := w.act.Celebrate(ctx, w.cid, crdt.ZeroID, bo, " first-sale ", "Bo's first sale!")
	if err != nil {
		t.Fatal(err)
	}
	if kind, log, b := w.body(t, win); kind != crdt.KindWin || log != w.cid || crdt.PublicKey(b.(*crdt.WinBody).Member) != member(1).Key() ||
		b.(*crdt.WinBody).Badge != crdt.BadgeFirstSale || b.(*crdt.WinBody).Time != w.now.UnixMilli() {
		t.Fatalf("win %s in %s: %+v", kind, log.Short(), b)
	}
	if id, err := w.act.Celebrate(ctx, w.cid, w.general, bo, crdt.BadgeStreak, ""); err != nil {
		t.Fatal(err)
	} else if _, log, _ := w.body(t, id); log != w.general {
		t.Fatal("a win for a chosen group went elsewhere")
	}

	promo, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: " Spring sale ", Text: "20% off", Ends: w.now.Add(48 * time.Hour), Code: "SPRING"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if kind, log, b := w.body(t, promo); kind != crdt.KindPromo || log != w.cid || b.(*crdt.PromoBody).Starts != w.now.UnixMilli() ||
		b.(*crdt.PromoBody).Ends != w.now.Add(48*time.Hour).UnixMilli() || b.(*crdt.PromoBody).Title != "Spring sale" {
		t.Fatalf("promo %+v", b)
	}

	start := w.now.Add(24 * time.Hour)
	ev, err := w.act.CreateEvent(ctx, w.cid, w.general, api.EventDraft{Title: "Training", Starts: start, Duration: 90 * time.Minute, Where: "Main St 1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, b := w.body(t, ev); b.(*crdt.EventBody).Duration != 90*60*1000 || b.(*crdt.EventBody).Starts != start.UnixMilli() {
		t.Fatalf("event %+v", b)
	}
	for answer, want := range map[string]uint8{"going": crdt.RSVPGoing, "Maybe": crdt.RSVPMaybe, "no": crdt.RSVPNo, "": crdt.RSVPNone} {
		w.journal = nil
		if err := w.act.RSVP(ctx, w.cid, ev, answer); err != nil {
			t.Fatalf("rsvp %q: %v", answer, err)
		}
		if !slices.Equal(w.journal, []string{"rsvp"}) {
			t.Fatalf("rsvp %q wrote %v", answer, w.journal)
		}
		var got uint8
		_ = w.rep.View(w.cid, func(c *crdt.Community) error {
			got = c.View(w.general).Posts[len(c.View(w.general).Posts)-1].Event.AnswerOf(member(0).Key())
			return nil
		})
		if got != want {
			t.Fatalf("rsvp %q: answer %d, want %d", answer, got, want)
		}
	}
	if err := w.act.EditEvent(ctx, w.cid, ev, api.EventDraft{Title: "Training moved", Starts: start.Add(time.Hour), Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}

	if err := w.act.SetQA(ctx, w.cid, w.general, true); err != nil {
		t.Fatal(err)
	}
	q := w.authored(t, member(1), w.general, crdt.KindMessage, &crdt.MessageBody{Text: "Where do I order?", Time: w.tick()})
	a := w.authored(t, member(0), w.general, crdt.KindMessage, &crdt.MessageBody{Text: "In the shop.", ReplyTo: q.Bytes(), Time: w.tick()})
	w.views.msgs[a] = api.Message{ID: a, Kind: "message", ReplyTo: &q}
	w.views.msgs[q] = api.Message{ID: q, Kind: "message"}
	if err := w.act.MarkAnswer(ctx, w.cid, w.general, q, a); err != nil {
		t.Fatal(err)
	}
	if err := w.act.Collect(ctx, w.cid, a, " Tips ", true); err != nil {
		t.Fatal(err)
	}
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		for _, p := range c.View(w.general).Posts {
			if p.ID == q && p.Answer != a {
				t.Errorf("question answered by %s", p.Answer.Short())
			}
			if p.ID == a && !slices.Equal(p.Collections, []string{"Tips"}) {
				t.Errorf("collections %v", p.Collections)
			}
		}
		return nil
	})
	if err := w.act.SetAdminsCelebrate(ctx, w.cid, true); err != nil {
		t.Fatal(err)
	}
	// The capability flags say what the owner may do, as crdt judges it.
	groups, err := w.act.Groups(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if g.ID == w.general && (!g.QA || !g.CanMarkAnswers || !g.CanCelebrate || !g.CanCollect || !g.CanCreateEvent || !g.CanRSVP) {
			t.Fatalf("owner's flags in the Q&A group General: %+v", g.GroupTeamPermits)
		}
		if g.ID == w.cid && (g.QA || g.CanMarkAnswers || !g.CanCelebrate) {
			t.Fatalf("owner's flags in the announcements: %+v", g.GroupTeamPermits)
		}
	}
}

// TestTeamActionsRefusedBeforeWriting: bad input and wrong targets are
// refused with the API's errors before anything is written.
func TestTeamActionsRefusedBeforeWriting(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	bo := testNames{}.PeerID(member(1).Key())
	msg := w.authored(t, member(1), w.general, crdt.KindMessage, &crdt.MessageBody{Text: "hi", Time: w.tick()})
	other := w.authored(t, member(1), w.general, crdt.KindMessage, &crdt.MessageBody{Text: "?", Time: w.tick()})
	w.views.msgs[msg] = api.Message{ID: msg, Kind: "message"}
	w.journal = nil
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"a badge outside the set", func() error { _, err := w.act.Celebrate(ctx, w.cid, crdt.ZeroID, bo, "trophy", ""); return err }, crdt.ErrInvalid},
		{"a win for a stranger", func() error {
			_, err := w.act.Celebrate(ctx, w.cid, crdt.ZeroID, testNames{}.PeerID(member(3).Key()), crdt.BadgeGoal, "")
			return err
		}, api.ErrUnknownMember},
		{"a promotion that has ended", func() error {
			_, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: "Old", Ends: w.now.Add(-time.Hour)}, nil)
			return err
		}, crdt.ErrInvalid},
		{"an event without a start", func() error {
			_, err := w.act.CreateEvent(ctx, w.cid, w.general, api.EventDraft{Title: "Call"})
			return err
		}, crdt.ErrInvalid},
		{"an event in the year 9999", func() error {
			_, err := w.act.CreateEvent(ctx, w.cid, w.general, api.EventDraft{Title: "Call", Starts: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)})
			return err
		}, crdt.ErrInvalid},
		{"a promotion until the year 2200", func() error {
			_, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: "Forever", Starts: time.Date(2199, 12, 1, 0, 0, 0, 0, time.UTC), Ends: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
			return err
		}, crdt.ErrInvalid},
		{"an answer to a message", func() error { return w.act.RSVP(ctx, w.cid, msg, "going") }, crdt.ErrInvalid},
		{"an unknown answer", func() error { return w.act.RSVP(ctx, w.cid, msg, "perhaps") }, crdt.ErrInvalid},
		{"ending a message", func() error { return w.act.EndPromo(ctx, w.cid, msg) }, crdt.ErrInvalid},
		{"collecting what is not there", func() error { return w.act.Collect(ctx, w.cid, crdt.ID{9}, "Tips", true) }, api.ErrUnknownMessage},
		{"an answer that is no reply", func() error { return w.act.MarkAnswer(ctx, w.cid, w.general, other, msg) }, crdt.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if len(w.journal) != 0 {
				t.Errorf("wrote %v", w.journal)
			}
		})
	}
}
