package crdt

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// Scenario tests of the team kinds (team.go): wins, promotions, events,
// Q&A and collections, each rule on replicas without a network.

func TestWinsAnyoneOrOnlyAdmins(t *testing.T) {
	w, general := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	win := w.do("ben", general, KindWin, &WinBody{Member: w.pk("ann"), Badge: BadgeRank, Text: "Ann made Gold!", Time: 7})
	if _, err := w.try("ben", w.cid(), KindWin, &WinBody{Member: w.pk("ann"), Badge: BadgeRank, Time: 7}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member's win in the announcement group: %v, want ErrUnauthorized", err)
	}
	if _, err := w.try("ben", general, KindWin, &WinBody{Member: make([]byte, 32), Badge: BadgeRank, Time: 7}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a win for a non-member: %v, want ErrInvalid", err)
	}
	if _, err := EncodeBody(&WinBody{Member: w.pk("ann"), Badge: "trophy"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a badge outside the set: %v", err)
	}
	if _, err := w.try("ben", ZeroID, KindTeamSettings, &TeamSettingsBody{AdminsCelebrate: true}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member changes the team settings: %v", err)
	}
	w.do("olivia", ZeroID, KindTeamSettings, &TeamSettingsBody{AdminsCelebrate: true, Time: 8})
	w.syncAll()
	if _, err := w.try("ben", general, KindWin, &WinBody{Member: w.pk("ann"), Badge: BadgeGoal, Time: 9}); !errors.Is(err, ErrUnauthorized) || !errors.Is(err, ErrAdminsCelebrate) {
		t.Fatalf("a member celebrates where only admins do: %v", err)
	}
	st := w.reps["ben"].State()
	if st.Permits(w.pub("ben"), Action{Kind: KindWin, Group: general}) || !st.Permits(w.pub("ann"), Action{Kind: KindWin, Group: general}) {
		t.Fatal("the permission query disagrees with the setting")
	}
	byAdmin := w.do("ann", general, KindWin, &WinBody{Member: w.pk("ben"), Badge: BadgeFirstSale, Text: "First sale!", Time: 9})
	c := w.final(rng())
	// Ben's win was written before the setting: it stands.
	p := findPost(t, c, general, win.ID())
	if p.Kind != KindWin || p.Win == nil || p.Win.Member != w.pub("ann") || p.Win.Badge != BadgeRank || p.Text != "Ann made Gold!" {
		t.Fatalf("win card: %+v", p)
	}
	if p := findPost(t, c, general, byAdmin.ID()); p.Win == nil || p.Win.Member != w.pub("ben") {
		t.Fatalf("admin's win: %+v", p)
	}
	// Ann deletes Ben's win as an admin; the card goes.
	w.syncAll()
	w.do("ann", general, KindDelete, &DeleteBody{Target: idb(win.ID())})
	w.do("ben", general, KindReaction, &ReactionBody{Target: idb(byAdmin.ID()), Emoji: "🎉", On: true})
	c = w.final(rng())
	if p := findPost(t, c, general, win.ID()); !p.Deleted || p.Win != nil {
		t.Fatalf("deleted win still shows its card: %+v", p)
	}
	if p := findPost(t, c, general, byAdmin.ID()); len(p.Reactions) != 1 {
		t.Fatalf("reaction to a win: %v", p.Reactions)
	}
}

// TestPromotionWhoseEndPasses: a promotion is active from its start up to
// its end by the card's own times on every replica; an edit written after
// the end does not revive it, one written before ends it early; members
// post none.
func TestPromotionWhoseEndPasses(t *testing.T) {
	w, _ := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	ann := w.cid()
	if _, err := w.try("ben", ann, KindPromo, &PromoBody{Title: "Spring sale", Starts: 1000, Ends: 5000, Time: 900}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member's promotion: %v, want ErrUnauthorized", err)
	}
	promo := w.do("ann", ann, KindPromo, &PromoBody{Title: "Spring sale", Text: "20% off", Starts: 1000, Ends: 5000, Code: "SPRING", Time: 900})
	w.syncAll()
	for _, name := range []string{"olivia", "ben"} {
		p := findPost(t, w.reps[name], ann, promo.ID())
		for now, want := range map[int64]bool{999: false, 1000: true, 4999: true, 5000: false, 9000: false} {
			if p.Promo.Active(now) != want {
				t.Errorf("%s: active at %d = %v, want %v", name, now, !want, want)
			}
		}
	}
	if _, err := w.try("ben", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "x", Starts: 1, Ends: 2, Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member edits a promotion: %v", err)
	}
	// After its end (by the writer's clock) Olivia tries to extend it:
	// ignored everywhere.
	w.do("olivia", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Spring sale", Starts: 1000, Ends: 90000, Time: 6000})
	if p := findPost(t, w.final(rng()), ann, promo.ID()); p.Promo.Ends != 5000 || p.Promo.Edited {
		t.Fatalf("an edit after the end revived the promotion: %+v", p.Promo)
	}
	// Ann's edit, written before the end, ends it at 3000; Olivia's
	// extension, concurrent and written after that end, stays ignored.
	w.do("ann", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Spring sale ends early", Text: "last hours", Starts: 1000, Ends: 3000, Time: 2500})
	w.sync("ann", "ben")
	w.do("ben", ann, KindReaction, &ReactionBody{Target: idb(promo.ID()), Emoji: "🎉", On: true})
	w.syncAll()
	w.do("olivia", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Spring sale", Starts: 1000, Ends: 90000, Time: 4000})
	c := w.final(rng())
	p := findPost(t, c, ann, promo.ID())
	if p.Promo.Ends != 3000 || p.Promo.Title != "Spring sale ends early" || p.Text != "last hours" || !p.Promo.Edited {
		t.Fatalf("promotion after the edits: %+v %q", p.Promo, p.Text)
	}
	if p.Promo.Active(3000) || !p.Promo.Active(2999) {
		t.Fatal("the early end does not hold")
	}
}

// TestPromotionEditFile: an edit that carries a file replaces the
// promotion's file, one that drops it removes it, and one with neither —
// as every edit written before edits could carry files — keeps it. An
// edit both setting and dropping the file is refused, and an encoding
// without the new keys still decodes.
func TestPromotionEditFile(t *testing.T) {
	w, _ := setup(t, "ann")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	ann := w.cid()
	flyer := &FileRef{Name: "flyer.png", Size: 10, Mime: "image/png", Root: bytes.Repeat([]byte{1}, 32), Key: bytes.Repeat([]byte{2}, 32)}
	prices := &FileRef{Name: "prices.pdf", Size: 20, Mime: "application/pdf", Root: bytes.Repeat([]byte{3}, 32), Key: bytes.Repeat([]byte{4}, 32)}
	promo := w.do("ann", ann, KindPromo, &PromoBody{Title: "Sale", Starts: 1000, Ends: 9000, File: flyer, Time: 900})
	fileOf := func() *FileRef {
		t.Helper()
		return findPost(t, w.final(rng()), ann, promo.ID()).Promo.File
	}
	w.do("ann", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Sale!", Starts: 1000, Ends: 9000, Time: 1100})
	if f := fileOf(); f == nil || f.Name != "flyer.png" {
		t.Fatalf("an edit without a file lost the promotion's file: %+v", f)
	}
	if _, err := w.try("ann", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Sale", Starts: 1000, Ends: 9000, Time: 1150, File: prices, DropFile: true}); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("an edit setting and dropping the file: %v, want refused", err)
	}
	w.syncAll()
	w.do("olivia", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Sale", Starts: 1000, Ends: 9000, Time: 1200, File: prices})
	w.syncAll()
	if f := fileOf(); f == nil || f.Name != "prices.pdf" {
		t.Fatalf("an edit with a file: %+v, want prices.pdf", f)
	}
	w.do("ann", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Sale", Starts: 1000, Ends: 9000, Time: 1300, DropFile: true})
	if f := fileOf(); f != nil {
		t.Fatalf("an edit dropping the file: %+v, want none", f)
	}
	// An edit encoded before keys 8 and 9 existed decodes as one that
	// keeps the file.
	old, err := Marshal(struct {
		Target []byte `cbor:"1,keyasint"`
		Title  string `cbor:"2,keyasint"`
		Starts int64  `cbor:"4,keyasint"`
		Ends   int64  `cbor:"5,keyasint"`
		Time   int64  `cbor:"7,keyasint"`
	}{idb(promo.ID()), "Sale", 1000, 9000, 1400})
	if err != nil {
		t.Fatal(err)
	}
	var b PromoEditBody
	if err := Unmarshal(old, &b); err != nil || b.File != nil || b.DropFile || b.Title != "Sale" {
		t.Fatalf("old promotion edit: %+v, %v", b, err)
	}
}

// TestPromotionByAdminDemotedConcurrently: a promotion needs an admin's
// rank, so one written concurrently with its author's demotion is hidden.
func TestPromotionByAdminDemotedConcurrently(t *testing.T) {
	w, _ := setup(t, "ann")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	demotion := w.promote("olivia", "ann", RoleMember) // concurrent:
	promo := w.do("ann", w.cid(), KindPromo, &PromoBody{Title: "Sale", Starts: 1, Ends: 2, Time: 1})
	c := w.final(rng())
	p := findPost(t, c, w.cid(), promo.ID())
	if h, ok := p.Hidden.(*Hidden); !ok || h.Cause != HiddenDemoted || h.By != demotion.ID() || p.Promo != nil {
		t.Fatalf("promotion by a demoted admin: hidden %v, card %+v", p.Hidden, p.Promo)
	}
}

// TestRSVPByMemberRemovedConcurrently: each member's latest answer counts;
// the answer of a member removed concurrently is hidden and not counted,
// and a removed member answers no more.
func TestRSVPByMemberRemovedConcurrently(t *testing.T) {
	w, general := setup(t, "ann", "ben", "mia")
	ev := w.do("ann", general, KindEvent, &EventBody{Title: "Thursday training", Starts: 10_000, Duration: 3_600_000, Where: "https://meet.example/glow", Time: 5})
	w.syncAll()
	w.do("mia", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPGoing, Time: 6})
	w.do("mia", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPNo, Time: 7}) // changes her mind
	w.do("olivia", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPMaybe, Time: 6})
	w.do("ann", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPGoing, Time: 6})
	w.sync("olivia", "mia")
	w.sync("olivia", "ann")
	removal := w.remove("olivia", "ben") // concurrent:
	late := w.do("ben", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPGoing, Time: 8})
	c := w.final(rng())
	e := findPost(t, c, general, ev.ID()).Event
	want := []RSVP{{w.pub("ann"), RSVPGoing}, {w.pub("mia"), RSVPNo}, {w.pub("olivia"), RSVPMaybe}}
	slices.SortFunc(want, func(a, b RSVP) int { return comparePK(a.Member, b.Member) })
	if !slices.Equal(e.Answers, want) || e.Count(RSVPGoing) != 1 || e.Count(RSVPMaybe) != 1 || e.Count(RSVPNo) != 1 {
		t.Fatalf("answers %v, want %v", e.Answers, want)
	}
	if e.AnswerOf(w.pub("ben")) != RSVPNone || e.AnswerOf(w.pub("mia")) != RSVPNo {
		t.Fatal("AnswerOf disagrees with the answers")
	}
	if h := c.Timeline(general).Get(late.ID()); h == nil {
		t.Fatal("ben's answer was dropped rather than kept hidden")
	} else if c.Entries(general); !errors.Is(h.Hidden, ErrHidden) {
		t.Fatalf("ben's concurrent answer: %v, want hidden by %s", h.Hidden, removal.ID().Short())
	}
	// Once Ben's node learns of the removal, he answers no more.
	w.syncAll()
	if _, err := w.try("ben", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPMaybe, Time: 9}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a removed member answers: %v", err)
	}
	// Withdrawing an answer takes it out.
	w.do("mia", general, KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPNone, Time: 10})
	if e := findPost(t, w.final(rng()), general, ev.ID()).Event; e.AnswerOf(w.pub("mia")) != RSVPNone || len(e.Answers) != 2 {
		t.Fatalf("after withdrawing: %v", e.Answers)
	}
}

// TestEventEditsAndAnswersInAnnouncements: the creator or an admin edits
// an event, nobody else; members answer events of the announcement group,
// where they post none; an answer targets an event only.
func TestEventEditsAndAnswersInAnnouncements(t *testing.T) {
	w, general := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	ev := w.do("ben", general, KindEvent, &EventBody{Title: "Coffee", Starts: 100, Time: 1})
	msg := w.post("ben", general, "hello")
	w.syncAll()
	if _, err := w.try("olivia", general, KindEventEdit, &EventEditBody{Target: idb(msg.ID()), Title: "x", Starts: 1, Time: 2}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("event.edit of a message: %v", err)
	}
	if _, err := w.try("olivia", general, KindRSVP, &RSVPBody{Event: idb(msg.ID()), Answer: RSVPGoing, Time: 2}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rsvp to a message: %v", err)
	}
	w.member("mia", "olivia")
	if _, err := w.try("mia", general, KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "Mine now", Starts: 1, Time: 2}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member edits another's event: %v", err)
	}
	w.do("ben", general, KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "Coffee at 5", Starts: 200, Duration: 1000, Where: "Main St 1", Time: 2})
	w.syncAll()
	w.do("ann", general, KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "Coffee at 6", Starts: 300, Duration: 1000, Where: "Main St 1", Time: 3})
	call := w.do("olivia", w.cid(), KindEvent, &EventBody{Title: "Monday call", Starts: 500, Time: 4})
	if _, err := w.try("ben", w.cid(), KindEvent, &EventBody{Title: "Mine", Starts: 500, Time: 4}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member's event in the announcement group: %v", err)
	}
	w.syncAll()
	w.do("ben", w.cid(), KindRSVP, &RSVPBody{Event: idb(call.ID()), Answer: RSVPGoing, Time: 5})
	c := w.final(rng())
	e := findPost(t, c, general, ev.ID()).Event
	if e.Title != "Coffee at 6" || e.Starts != 300 || e.Ends() != 1300 || !e.Edited {
		t.Fatalf("event after edits: %+v", e)
	}
	if findPost(t, c, w.cid(), call.ID()).Event.Count(RSVPGoing) != 1 {
		t.Fatal("a member's answer in the announcement group does not count")
	}
}

// TestEventLinksToCall: an event links to a voice or video call of its
// group; an edit replaces the link (dropping it when the edit has none);
// an unknown call kind is refused.
func TestEventLinksToCall(t *testing.T) {
	w, general := setup(t, "ann")
	ev := w.do("ann", general, KindEvent, &EventBody{Title: "Monday kick-off", Starts: 100, Duration: 3_600_000, Call: EventCallVideo, Time: 1})
	w.syncAll()
	if e := findPost(t, w.final(rng()), general, ev.ID()).Event; e.Call != EventCallVideo || EventCallName(e.Call) != "video" {
		t.Fatalf("the event's call: %+v", e)
	}
	w.do("ann", general, KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "Monday kick-off", Starts: 100, Call: EventCallVoice, Time: 2})
	w.syncAll()
	if e := findPost(t, w.final(rng()), general, ev.ID()).Event; e.Call != EventCallVoice {
		t.Fatalf("the event's call after an edit: %+v", e)
	}
	w.do("ann", general, KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "Monday kick-off", Starts: 100, Time: 3})
	w.syncAll()
	if e := findPost(t, w.final(rng()), general, ev.ID()).Event; e.Call != EventCallNone || EventCallName(e.Call) != "" {
		t.Fatalf("the event's call after an edit without one: %+v", e)
	}
	if _, err := w.try("ann", general, KindEvent, &EventBody{Title: "x", Starts: 100, Call: 3, Time: 4}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an event with an unknown call: %v", err)
	}
	if _, err := w.try("ann", general, KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "x", Starts: 100, Call: 9, Time: 4}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an edit with an unknown call: %v", err)
	}
}

// TestAnswerMarkedByAdminDemotedConcurrently: the asker or an admin marks
// a reply as the answer, in a Q&A group only; the mark of an admin demoted
// concurrently is hidden and the question is unanswered again; the asker's
// own mark stands; an answer deleted later leaves the question unanswered.
func TestAnswerMarkedByAdminDemotedConcurrently(t *testing.T) {
	w, general := setup(t, "ann", "ben", "mia")
	w.promote("olivia", "ann", RoleAdmin)
	q := w.post("ben", general, "Can I take the shake while pregnant?")
	w.syncAll()
	reply := w.do("mia", general, KindMessage, &MessageBody{Text: "Ask your doctor first.", ReplyTo: idb(q.ID()), Time: 6})
	w.syncAll()
	mark := &AnswerBody{Question: idb(q.ID()), Answer: idb(reply.ID()), Time: 7}
	if _, err := w.try("ann", general, KindAnswer, mark); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a mark outside a Q&A group: %v, want ErrInvalid", err)
	}
	if _, err := w.try("mia", ZeroID, KindGroupQA, &GroupQABody{Group: idb(general), On: true}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member marks a Q&A group: %v", err)
	}
	if _, err := w.try("olivia", ZeroID, KindGroupQA, &GroupQABody{Group: idb(w.cid()), On: true}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the announcement group as a Q&A group: %v", err)
	}
	w.do("olivia", ZeroID, KindGroupQA, &GroupQABody{Group: idb(general), On: true})
	w.syncAll()
	if !w.reps["mia"].State().Groups[general].QA {
		t.Fatal("the group is not a Q&A group")
	}
	if _, err := w.try("mia", general, KindAnswer, mark); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member marks the answer to another's question: %v", err)
	}
	if _, err := w.try("ann", general, KindAnswer, &AnswerBody{Question: idb(reply.ID()), Answer: idb(q.ID()), Time: 7}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a reply taken for a question: %v", err)
	}
	demotion := w.promote("olivia", "ann", RoleMember) // concurrent:
	byAnn := w.do("ann", general, KindAnswer, mark)
	if p := findPost(t, w.reps["ann"], general, q.ID()); p.Answer != reply.ID() {
		t.Fatal("the mark does not show where it was written")
	}
	c := w.final(rng())
	if p := findPost(t, c, general, q.ID()); !p.Answer.IsZero() {
		t.Fatal("the demoted admin's concurrent mark stands")
	}
	if e := c.Timeline(general).Get(byAnn.ID()); e.Hidden == nil || !errors.Is(e.Hidden, ErrHidden) {
		t.Fatalf("the mark: %v, want hidden by %s", e.Hidden, demotion.ID().Short())
	}
	// The asker marks it himself; a mark naming no reply of the question
	// is ignored.
	w.syncAll()
	other := w.post("mia", general, "Where do I order?")
	w.do("ben", general, KindAnswer, mark)
	w.syncAll()
	w.do("ben", general, KindAnswer, &AnswerBody{Question: idb(q.ID()), Answer: idb(other.ID()), Time: 8})
	c = w.final(rng())
	if p := findPost(t, c, general, q.ID()); p.Answer != reply.ID() {
		t.Fatalf("the asker's mark: answer %s", p.Answer.Short())
	}
	// The answer deleted: unanswered.
	w.syncAll()
	w.do("mia", general, KindDelete, &DeleteBody{Target: idb(reply.ID())})
	if p := findPost(t, w.final(rng()), general, q.ID()); !p.Answer.IsZero() {
		t.Fatal("a deleted answer still answers")
	}
	// Taking the mark back.
	reply2 := w.do("olivia", general, KindMessage, &MessageBody{Text: "Only with your doctor's advice.", ReplyTo: idb(q.ID()), Time: 9})
	w.do("olivia", general, KindAnswer, &AnswerBody{Question: idb(q.ID()), Answer: idb(reply2.ID()), Time: 10})
	if p := findPost(t, w.final(rng()), general, q.ID()); p.Answer != reply2.ID() {
		t.Fatal("an admin's mark does not answer")
	}
	w.do("olivia", general, KindAnswer, &AnswerBody{Question: idb(q.ID()), Time: 11})
	if p := findPost(t, w.final(rng()), general, q.ID()); !p.Answer.IsZero() {
		t.Fatal("the mark was not taken back")
	}
}

// TestCollections: admins save posts into named collections and take them
// out (last writer wins); members cannot; a post is in at most
// MaxCollections.
func TestCollections(t *testing.T) {
	w, general := setup(t, "ben")
	tip := w.post("ben", general, "Follow up within 48 hours")
	w.syncAll()
	if _, err := w.try("ben", general, KindCollect, &CollectBody{Target: idb(tip.ID()), Collection: "Tips", On: true, Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a member collects: %v", err)
	}
	w.do("olivia", general, KindCollect, &CollectBody{Target: idb(tip.ID()), Collection: "Tips", On: true, Time: 1})
	w.do("olivia", general, KindCollect, &CollectBody{Target: idb(tip.ID()), Collection: "Scripts", On: true, Time: 2})
	w.do("olivia", general, KindCollect, &CollectBody{Target: idb(tip.ID()), Collection: "Scripts", Time: 3})
	c := w.final(rng())
	if p := findPost(t, c, general, tip.ID()); !slices.Equal(p.Collections, []string{"Tips"}) {
		t.Fatalf("collections %v, want [Tips]", p.Collections)
	}
	for i := range MaxCollections + 1 {
		w.do("olivia", general, KindCollect, &CollectBody{Target: idb(tip.ID()), Collection: string(rune('A' + i)), On: true, Time: 4})
	}
	if p := findPost(t, w.final(rng()), general, tip.ID()); len(p.Collections) != MaxCollections || !slices.Contains(p.Collections, "Tips") {
		t.Fatalf("%d collections, want %d: %v", len(p.Collections), MaxCollections, p.Collections)
	}
}

// TestTeamKindsInPrivateConversations: nobody posts promotions or
// collects in a private conversation; events and answers to them work.
func TestTeamKindsInPrivateConversations(t *testing.T) {
	w, _ := setup(t, "ben")
	dm, err := w.dm("olivia", "ben")
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	msg := w.post("ben", dm.ID(), "hi")
	if _, err := w.try("olivia", dm.ID(), KindPromo, &PromoBody{Title: "Sale", Starts: 1, Ends: 2, Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a promotion in a private conversation: %v", err)
	}
	w.sync("olivia", "ben")
	if _, err := w.try("olivia", dm.ID(), KindCollect, &CollectBody{Target: idb(msg.ID()), Collection: "Tips", On: true, Time: 1}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("collecting from a private conversation: %v", err)
	}
	ev := w.do("ben", dm.ID(), KindEvent, &EventBody{Title: "Coffee", Starts: 100, Time: 1})
	w.sync("olivia", "ben")
	if _, err := w.try("olivia", dm.ID(), KindEventEdit, &EventEditBody{Target: idb(ev.ID()), Title: "x", Starts: 1, Time: 2}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("editing the other's event in a private conversation: %v", err)
	}
	w.do("olivia", dm.ID(), KindRSVP, &RSVPBody{Event: idb(ev.ID()), Answer: RSVPGoing, Time: 2})
}
