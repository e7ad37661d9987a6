package view

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestTeamLists: the wall of wins, active promotions, upcoming events with
// their answers, the FAQ, unanswered questions and the collections, and
// the cards in the messages.
func TestTeamLists(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben, mia := w.owner, member(1), member(2)
	w.join(ben, "Ben")
	w.join(mia, "Mia")
	w.clock = time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC).UnixMilli()
	gid := w.general
	win := w.write(olivia, gid, crdt.KindWin, &crdt.WinBody{Member: []byte(ben.PublicKey()), Badge: crdt.BadgeFirstSale, Text: "First sale!", Time: w.now()})
	w.write(mia, gid, crdt.KindWin, &crdt.WinBody{Member: []byte(mia.PublicKey()), Badge: crdt.BadgeGoal, Text: "Goal reached", Time: w.now()})
	now := time.UnixMilli(w.clock)
	hour := int64(time.Hour / time.Millisecond)
	running := w.write(olivia, w.cid, crdt.KindPromo, &crdt.PromoBody{Title: "Spring sale", Text: "20% off", Starts: now.UnixMilli() - hour, Ends: now.UnixMilli() + hour, Code: "SPRING", Time: w.now()})
	ended := w.write(olivia, w.cid, crdt.KindPromo, &crdt.PromoBody{Title: "Winter sale", Starts: now.UnixMilli() - 3*hour, Ends: now.UnixMilli() - hour, Time: w.now()})
	call := w.write(ben, gid, crdt.KindEvent, &crdt.EventBody{Title: "Thursday training", Starts: now.UnixMilli() + 2*hour, Duration: hour, Where: "https://meet.example/glow", Text: "Bring a friend", Time: w.now()})
	past := w.write(ben, gid, crdt.KindEvent, &crdt.EventBody{Title: "Last week", Starts: now.UnixMilli() - 3*hour, Duration: hour, Time: w.now()})
	w.write(mia, gid, crdt.KindRSVP, &crdt.RSVPBody{Event: call.Bytes(), Answer: crdt.RSVPGoing, Time: w.now()})
	w.write(olivia, gid, crdt.KindRSVP, &crdt.RSVPBody{Event: call.Bytes(), Answer: crdt.RSVPMaybe, Time: w.now()})
	w.write(ben, gid, crdt.KindRSVP, &crdt.RSVPBody{Event: call.Bytes(), Answer: crdt.RSVPNo, Time: w.now()})
	w.write(ben, gid, crdt.KindRSVP, &crdt.RSVPBody{Event: call.Bytes(), Answer: crdt.RSVPGoing, Time: w.now()})

	w.write(olivia, crdt.ZeroID, crdt.KindGroupQA, &crdt.GroupQABody{Group: gid.Bytes(), On: true})
	q1 := w.post(mia, gid, "Can I take the shake while pregnant?")
	q2 := w.post(ben, gid, "Where do I order samples?")
	a1 := w.reply(olivia, gid, q1, "Ask your doctor first.")
	w.write(mia, gid, crdt.KindAnswer, &crdt.AnswerBody{Question: q1.Bytes(), Answer: a1.Bytes(), Time: w.now()})
	w.write(olivia, gid, crdt.KindCollect, &crdt.CollectBody{Target: a1.Bytes(), Collection: "Tips", On: true, Time: w.now()})
	w.write(olivia, gid, crdt.KindCollect, &crdt.CollectBody{Target: win.Bytes(), Collection: "Testimonials", On: true, Time: w.now()})
	w.write(olivia, gid, crdt.KindCollect, &crdt.CollectBody{Target: q2.Bytes(), Collection: "Tips", On: true, Time: w.now()})

	v := w.views(mia)
	wins, err := v.Wins(w.cid, "")
	if err != nil || len(wins) != 2 || wins[0].Badge != crdt.BadgeGoal || wins[1].ID != win || wins[1].MemberName != "Ben" || wins[1].ByName != "Olivia" || wins[1].Group != gid {
		t.Fatalf("wins %+v %v", wins, err)
	}
	if wins, _ := v.Wins(w.cid, testNames{}.PeerID(ben.Key())); len(wins) != 1 || wins[0].ID != win {
		t.Fatalf("Ben's wins %+v", wins)
	}
	promos, err := v.Promos(w.cid, now, false)
	if err != nil || len(promos) != 1 || promos[0].ID != running || promos[0].Code != "SPRING" || promos[0].Text != "20% off" || !promos[0].ActiveAt(now) {
		t.Fatalf("active promos %+v %v", promos, err)
	}
	if all, _ := v.Promos(w.cid, now, true); len(all) != 2 || all[0].ID != ended {
		t.Fatalf("all promos %+v", all)
	}
	if later, _ := v.Promos(w.cid, now.Add(time.Hour), false); len(later) != 0 {
		t.Fatalf("a promotion past its end is active: %+v", later)
	}
	events, err := v.Events(w.cid, now, false)
	if err != nil || len(events) != 1 || events[0].ID != call {
		t.Fatalf("upcoming events %+v %v", events, err)
	}
	ev := events[0]
	if ev.Going != 2 || ev.Maybe != 1 || ev.No != 0 || ev.Mine != "going" || len(ev.Answers) != 3 || ev.Answers[0].Name != "Ben" || ev.Answers[0].Answer != "going" ||
		time.Duration(ev.Duration) != time.Hour || ev.Where != "https://meet.example/glow" || ev.Text != "Bring a friend" {
		t.Fatalf("event %+v", ev)
	}
	if all, _ := v.Events(w.cid, now, true); len(all) != 2 || all[0].ID != past {
		t.Fatalf("all events %+v", all)
	}
	if one, err := v.Event(w.cid, call); err != nil || one.ID != call || one.Going != 2 {
		t.Fatalf("event %+v %v", one, err)
	}
	if _, err := v.Event(w.cid, q1); err == nil {
		t.Fatal("a message taken for an event")
	}
	faq, err := v.FAQ(w.cid, "")
	if err != nil || len(faq) != 1 || faq[0].QuestionID != q1 || faq[0].Answer != "Ask your doctor first." || faq[0].GroupName != "General" {
		t.Fatalf("faq %+v %v", faq, err)
	}
	if found, _ := v.FAQ(w.cid, "DOCTOR"); len(found) != 1 {
		t.Fatalf("faq search by the answer: %+v", found)
	}
	if found, _ := v.FAQ(w.cid, "samples"); len(found) != 0 {
		t.Fatalf("faq search finds an unanswered question: %+v", found)
	}
	open, err := v.Questions(w.cid, true)
	if err != nil || len(open) != 1 || open[0].ID != q2 || open[0].AuthorName != "Ben" {
		t.Fatalf("unanswered %+v %v", open, err)
	}
	if all, _ := v.Questions(w.cid, false); len(all) != 2 || all[0].ID != q1 || all[0].Answer == nil || *all[0].Answer != a1 {
		t.Fatalf("questions %+v", all)
	}
	cols, err := v.Collections(w.cid)
	if err != nil || len(cols) != 2 || cols[0].Name != "Testimonials" || cols[1].Name != "Tips" || len(cols[1].Messages) != 2 ||
		cols[1].Messages[0].ID != q2 || cols[1].Messages[1].ID != a1 || cols[0].Messages[0].Win == nil || cols[1].Messages[0].Group != gid {
		t.Fatalf("collections %+v %v", cols, err)
	}

	// The cards in messages, as messages --json shows them.
	msgs, err := v.Messages(w.cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[crdt.ID]api.Message{}
	for _, m := range msgs {
		byID[m.ID] = m
	}
	raw, _ := json.Marshal(byID[win])
	if !bytes.Contains(raw, []byte(`"kind":"win"`)) || !bytes.Contains(raw, []byte(`"badge":"first-sale"`)) || bytes.Contains(raw, []byte(`"group"`)) {
		t.Fatalf("win message JSON: %s", raw)
	}
	if m := byID[call]; m.Kind != "event" || m.Event == nil || m.Event.Going != 2 {
		t.Fatalf("event message %+v", m)
	}
	if m := byID[q1]; m.Answer == nil || *m.Answer != a1 {
		t.Fatalf("question without its answer: %+v", m)
	}
	if m := byID[q2]; m.Answer != nil || !slices.Equal(m.Collections, []string{"Tips"}) {
		t.Fatalf("unanswered question %+v", m)
	}
	// Search finds cards by their titles and places too.
	if found, err := v.Search(w.cid, gid, "thursday", 10); err != nil || len(found) != 1 || found[0].ID != call {
		t.Fatalf("search for an event's title: %+v %v", found, err)
	}
	if found, _ := v.Search(w.cid, w.cid, "spring", 10); len(found) != 1 || found[0].ID != running {
		t.Fatalf("search for a promotion's title: %+v", found)
	}
	ann, _ := v.Messages(w.cid, w.cid)
	if len(ann) != 2 || ann[0].Kind != "promo" || ann[0].Promo == nil || ann[0].Promo.Title != "Spring sale" {
		t.Fatalf("promotion messages %+v", ann)
	}
}

// TestICS: an event as an iCalendar file: CRLF lines of at most 75
// octets, folded without splitting a character, text escaped, times in
// UTC, and two reminders.
func TestICS(t *testing.T) {
	id, _ := crdt.ParseID(strings.Repeat("ab", 32))
	e := api.CalendarEvent{ID: id, Title: "Training; new, products \\ more", Starts: time.Date(2026, 12, 10, 18, 0, 0, 0, time.FixedZone("CET", 3600)),
		Duration: api.Duration(90 * time.Minute), Where: "https://meet.example/glow", Text: "Line one\nLine two — " + strings.Repeat("é", 60),
		By: "12D3KooW", ByName: `Olivia "O" Reyes`}
	got := string(ICS(e, "Glow Team", time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)))
	if !strings.HasSuffix(got, "\r\n") || strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\n") {
		t.Fatalf("lines do not all end in CRLF:\n%q", got)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n")
	var unfolded []string
	for _, l := range lines {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("a fold split a character: %q", l)
		}
		if strings.HasPrefix(l, " ") {
			unfolded[len(unfolded)-1] += l[1:]
			continue
		}
		unfolded = append(unfolded, l)
	}
	want := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT",
		"UID:" + id.String() + "@umbrella",
		"DTSTAMP:20261204T150000Z", "DTSTART:20261210T170000Z", "DTEND:20261210T183000Z",
		`SUMMARY:Training\; new\, products \\ more`,
		"LOCATION:https://meet.example/glow", "URL:https://meet.example/glow",
		`DESCRIPTION:Line one\nLine two — ` + strings.Repeat("é", 60) + `\n\nGlow Team on Umbrella`,
		`ORGANIZER;CN="Olivia O Reyes":urn:umbrella:12D3KooW`,
		"TRIGGER:-PT60M", "TRIGGER:-PT10M", "END:VEVENT", "END:VCALENDAR",
	}
	for _, l := range want {
		if !slices.Contains(unfolded, l) {
			t.Errorf("no line %q in\n%s", l, strings.Join(unfolded, "\n"))
		}
	}
	if strings.Count(got, "BEGIN:VALARM") != 2 || unfolded[len(unfolded)-1] != "END:VCALENDAR" {
		t.Fatalf("reminders or ending wrong:\n%s", got)
	}
}

// TestTeamCardsCountUnread: wins, promotions and events are posts of the
// group like messages: others' count as unread, in the same places of
// the display list.
func TestTeamCardsCountUnread(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	gid := w.general
	w.post(olivia, gid, "Welcome!")
	w.write(olivia, gid, crdt.KindWin, &crdt.WinBody{Member: []byte(ben.PublicKey()), Badge: crdt.BadgeNewMember, Time: w.now()})
	w.write(olivia, gid, crdt.KindEvent, &crdt.EventBody{Title: "Call", Starts: w.now() + 1000, Time: w.now()})
	w.write(olivia, w.cid, crdt.KindPromo, &crdt.PromoBody{Title: "Sale", Starts: 1, Ends: w.now() + 1000, Time: w.now()})
	v := w.views(ben)
	gs := []api.Group{{ID: w.cid, Joined: true}, {ID: gid, Joined: true}}
	if err := v.FillGroups(w.cid, gs); err != nil {
		t.Fatal(err)
	}
	if gs[0].Unread != 1 || gs[1].Unread != 3 {
		t.Fatalf("unread: announcements %d, General %d; want 1 and 3", gs[0].Unread, gs[1].Unread)
	}
	page, err := v.MessagePage(w.cid, gid, 0, 10)
	if err != nil || page.Total != 3 || page.FirstUnread != 0 {
		t.Fatalf("page: %d messages, first unread %d: %v", page.Total, page.FirstUnread, err)
	}
}

// TestDueReminders: each event reminds 1 hour and 10 minutes before it
// starts, once, when the reminder's time falls in the window looked at;
// not the member who can't go.
func TestDueReminders(t *testing.T) {
	t0 := time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC)
	call := api.CalendarEvent{ID: crdt.ID{1}, Title: "Training", Starts: t0.Add(2 * time.Hour), Mine: "going"}
	coffee := api.CalendarEvent{ID: crdt.ID{2}, Title: "Coffee", Starts: t0.Add(70 * time.Minute)}
	skipped := api.CalendarEvent{ID: crdt.ID{3}, Title: "Party", Starts: t0.Add(90 * time.Minute), Mine: "no"}
	events := []api.CalendarEvent{call, coffee, skipped}
	due := func(from, to time.Duration) []string {
		var out []string
		for _, r := range DueReminders(events, t0.Add(from), t0.Add(to)) {
			out = append(out, r.Event.Title+" "+r.Lead.String())
		}
		return out
	}
	if got := due(0, time.Hour); !slices.Equal(got, []string{"Coffee 1h0m0s", "Training 1h0m0s", "Coffee 10m0s"}) {
		t.Fatalf("first hour: %v", got)
	}
	if got := due(time.Hour, 2*time.Hour); !slices.Equal(got, []string{"Training 10m0s"}) {
		t.Fatalf("second hour: %v", got)
	}
	if got := due(2*time.Hour, 3*time.Hour); len(got) != 0 {
		t.Fatalf("after the start: %v", got)
	}
}

// TestPromoFileListed: a promotion's image or file is listed with the
// community's files under the promotion's id, with the promotion's end
// (after which members no longer serve it), so it downloads like any
// file while the promotion runs; the message carries it with its thumbnail, as a file message
// does, so the app shows and downloads it as any.
func TestPromoFileListed(t *testing.T) {
	w := newWorld(t, "Glow Team")
	ref := &crdt.FileRef{Name: "flyer.png", Size: 10, Mime: "image/png", Root: bytes.Repeat([]byte{1}, 32), Key: bytes.Repeat([]byte{2}, 32), Thumb: []byte("thumb")}
	ends := w.now() + 1000
	promo := w.write(w.owner, w.cid, crdt.KindPromo, &crdt.PromoBody{Title: "Sale", Starts: 1, Ends: ends, File: ref, Time: w.now()})
	v := w.views(w.owner)
	fs, err := v.Files(w.cid, crdt.ZeroID)
	if err != nil || len(fs) != 1 || fs[0].Message != promo || fs[0].Group != w.cid || fs[0].Name != "flyer.png" || !bytes.Equal(fs[0].Key, ref.Key) {
		t.Fatalf("files %+v %v", fs, err)
	}
	if !fs[0].Promo || !fs[0].PromoEnds.Equal(time.UnixMilli(ends)) {
		t.Fatalf("the promotion's file: promo %v, ends %v, want %v", fs[0].Promo, fs[0].PromoEnds, time.UnixMilli(ends))
	}
	m, err := v.Message(w.cid, w.cid, promo)
	if err != nil || m.Promo == nil || m.Promo.File == nil || string(m.Promo.File.Thumb) != "thumb" || m.File == nil || m.File.Name != "flyer.png" {
		t.Fatalf("promotion card %+v %v", m.Promo, err)
	}
}

// TestTouchesHome: each team op marks the list of the home it may change
// (api.Event.Home), a deletion every list but the steps, and a plain
// post, a reply in a Q&A group, an edit outside one, a reaction, or
// another member's tick none.
func TestTouchesHome(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	b := stepsBody("Welcome {name}!", "Watch")
	b.Time = w.now()
	w.write(olivia, crdt.ZeroID, crdt.KindSteps, b)
	log := w.write(ben, crdt.ZeroID, crdt.KindProgress, &crdt.ProgressBody{Time: w.now()})
	gid := w.general
	hour := int64(time.Hour / time.Millisecond)
	plain := w.op(ben, gid, crdt.KindMessage, &crdt.MessageBody{Text: "hello", Time: w.now()})
	promo := w.write(olivia, w.cid, crdt.KindPromo, &crdt.PromoBody{Title: "Spring sale", Starts: w.clock, Ends: w.clock + hour, Time: w.now()})
	event := w.write(ben, gid, crdt.KindEvent, &crdt.EventBody{Title: "Training", Starts: w.clock + hour, Duration: hour, Time: w.now()})
	qa := w.write(olivia, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Product questions", Policy: crdt.PolicyEveryone, Time: w.now()})
	w.write(olivia, crdt.ZeroID, crdt.KindGroupQA, &crdt.GroupQABody{Group: qa.Bytes(), On: true})
	q := w.post(olivia, qa, "Can I take the shake while pregnant?")
	reply := w.op(olivia, qa, crdt.KindMessage, &crdt.MessageBody{Text: "Ask your doctor.", ReplyTo: q.Bytes(), Time: w.now()})
	for name, tc := range map[string]struct {
		o    *crdt.Op
		want api.HomeParts
	}{
		"plain post":            {plain, 0},
		"edit":                  {w.op(ben, gid, crdt.KindEdit, &crdt.EditBody{Target: plain.ID().Bytes(), Text: "hello all", Time: w.now()}), 0},
		"reaction":              {w.op(olivia, gid, crdt.KindReaction, &crdt.ReactionBody{Target: plain.ID().Bytes(), Emoji: "👍", On: true, Time: w.now()}), 0},
		"own tick":              {w.op(ben, log, crdt.KindStep, &crdt.StepBody{Step: b.Steps[0].ID, Done: true, Time: w.now()}), api.HomeSteps},
		"promotion":             {w.op(olivia, w.cid, crdt.KindPromo, &crdt.PromoBody{Title: "Kits", Starts: w.clock, Ends: w.clock + hour, Time: w.now()}), api.HomePromos},
		"promotion edited":      {w.op(olivia, w.cid, crdt.KindPromoEdit, &crdt.PromoEditBody{Target: promo.Bytes(), Title: "Spring sale", Starts: w.clock, Ends: w.clock + 2*hour, Time: w.now()}), api.HomePromos},
		"event":                 {w.op(ben, gid, crdt.KindEvent, &crdt.EventBody{Title: "Launch", Starts: w.clock + hour, Time: w.now()}), api.HomeEvents},
		"answer to event":       {w.op(olivia, gid, crdt.KindRSVP, &crdt.RSVPBody{Event: event.Bytes(), Answer: crdt.RSVPGoing, Time: w.now()}), api.HomeEvents},
		"win":                   {w.op(olivia, gid, crdt.KindWin, &crdt.WinBody{Member: []byte(ben.PublicKey()), Badge: crdt.BadgeFirstSale, Time: w.now()}), api.HomeWins},
		"question":              {w.op(ben, qa, crdt.KindMessage, &crdt.MessageBody{Text: "Where are samples?", Time: w.now()}), api.HomeQA},
		"reply in Q&A":          {reply, 0},
		"answer marked":         {w.op(olivia, qa, crdt.KindAnswer, &crdt.AnswerBody{Question: q.Bytes(), Answer: reply.ID().Bytes(), Time: w.now()}), api.HomeQA},
		"edit in Q&A":           {w.op(olivia, qa, crdt.KindEdit, &crdt.EditBody{Target: reply.ID().Bytes(), Text: "Ask your doctor first.", Time: w.now()}), api.HomeQA},
		"saved to a collection": {w.op(olivia, gid, crdt.KindCollect, &crdt.CollectBody{Target: plain.ID().Bytes(), Collection: "Tips", On: true, Time: w.now()}), api.HomeCollections},
		"deletion":              {w.op(ben, gid, crdt.KindDelete, &crdt.DeleteBody{Target: plain.ID().Bytes()}), api.HomeAll &^ api.HomeSteps},
	} {
		if got := w.views(ben).TouchesHome(w.cid, tc.o); got != tc.want {
			t.Errorf("%s: TouchesHome %b, want %b", name, got, tc.want)
		}
	}
	tick := w.op(ben, log, crdt.KindStep, &crdt.StepBody{Step: b.Steps[0].ID, Done: false, Time: w.now()})
	if got := w.views(olivia).TouchesHome(w.cid, tick); got != 0 {
		t.Errorf("Ben's tick marks %b of Olivia's home", got)
	}
}
