package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// trainingCall is Thursday's training call as Chloe posts it.
func trainingCall(f *fakeBackend) api.Message {
	return api.Message{Text: "Bring your questions about the spring range.", Event: &api.CalendarEvent{
		Title: "Training call", Starts: f.clock.Add(2*24*time.Hour + 10*time.Hour), Duration: api.Duration(90 * time.Minute),
		Where: "https://meet.example/glow", Answers: []api.RSVP{}}}
}

// TestEventCardRSVP: an event shows as a card with its time, length and
// place; the member answers Going, Maybe or Can't go, sees the counts and
// who answered change live as others answer, and takes its answer back by
// tapping it again.
func TestEventCardRSVP(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	gid := h.a.group
	eid := f.deliverCard(c.ID, gid, "Chloe", trainingCall(f))
	h.drain()
	want := "[Today] | Chloe 09:31 | 📅 Training call\nFri Nov 27, 19:30 · 1h30m · https://meet.example/glow\nBring your questions about the spring range. | Going 0 / Maybe 0 / Can't go 0 / No answers yet"
	if got := h.last(); got != want {
		t.Fatalf("event card shows\n%q\nwant\n%q", got, want)
	}
	test.Tap(h.row(0).rsvp.buttons[0])
	h.drain()
	if got := h.row(0).rsvp.summary(); got != "✓Going 1 / Maybe 0 / Can't go 0 / Going: You" {
		t.Fatalf("after answering Going: %q", got)
	}
	f.rsvpAs(c.ID, eid, "Ben", "going")
	f.rsvpAs(c.ID, eid, "Dev", "maybe")
	h.drain()
	if got := h.row(0).rsvp.summary(); got != "✓Going 2 / Maybe 1 / Can't go 0 / Going: You, Ben · Maybe: Dev" {
		t.Fatalf("live answers: %q", got)
	}
	test.Tap(h.row(0).rsvp.buttons[2])
	h.drain()
	if got := h.row(0).rsvp.summary(); got != "Going 1 / Maybe 1 / ✓Can't go 1 / Going: Ben · Maybe: Dev · Can't go: You" {
		t.Fatalf("after changing to Can't go: %q", got)
	}
	test.Tap(h.row(0).rsvp.buttons[2])
	h.drain()
	if got := h.row(0).rsvp.summary(); got != "Going 1 / Maybe 1 / Can't go 0 / Going: Ben · Maybe: Dev" {
		t.Fatalf("after taking the answer back: %q", got)
	}
	// The card takes reactions like any message.
	h.act(0, "React/👍")
	h.drain()
	if got := h.last(); !strings.HasSuffix(got, "| (👍 1)") {
		t.Fatalf("reaction on the event card: %q", got)
	}
}

// TestWinAndPromoCards: a win shows its badge and the member celebrated;
// a promotion its title, end and code, and says it ended once its end
// passes.
func TestWinAndPromoCards(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	gid := h.a.group
	f.deliverCard(c.ID, gid, "Olivia", api.Message{Text: "Ben reached Silver this month!", Win: &api.Win{Member: "peer-Ben", MemberName: "Ben", Badge: crdt.BadgeRank}})
	f.deliverCard(c.ID, gid, "Olivia", api.Message{Text: "20% off starter kits.", Promo: &api.Promo{Title: "Spring kits", Starts: f.clock, Ends: f.clock.Add(48 * time.Hour), Code: "SPRING20"}})
	h.drain()
	if got := h.row(0).summary(); got != "[Today] | Olivia 09:31 | ⭐ Rank advancement · Ben\nBen reached Silver this month!" {
		t.Fatalf("win card: %q", got)
	}
	if got := h.row(1).summary(); got != "Olivia 09:32 | 🏷 Spring kits | 20% off starter kits.\nuntil Fri Nov 27, 09:31 · code SPRING20" {
		t.Fatalf("promo card: %q", got)
	}
	f.mu.Lock()
	f.clock = f.clock.Add(72 * time.Hour)
	f.mu.Unlock()
	h.a.convo.reload()
	if got := h.row(1).summary(); !strings.Contains(got, "ended Fri Nov 27, 09:31 · code SPRING20") {
		t.Fatalf("ended promo card: %q", got)
	}
}

// TestMarkAnswer: in a Q&A group the asker marks a reply as the answer
// to its question, and the question shows it; a member cannot mark the
// answer to another's question, an admin can (crdt's verdicts); a reply
// in a group that is not Q&A offers no mark.
func TestMarkAnswer(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	gid := f.setQA(c.ID, "Product questions")
	h.drain()
	h.open("Product questions")
	mine := f.deliver(c.ID, gid, "Olivia", "Can I take the shake while pregnant?", true)
	f.deliverReply(c.ID, gid, "Chloe", "Ask your doctor first; the label lists every ingredient.", false, mine)
	theirs := f.deliver(c.ID, gid, "Dev", "Is the tea caffeine-free?", false)
	f.deliverReply(c.ID, gid, "Ben", "Yes, the herbal one is.", false, theirs)
	h.drain()
	if got := h.menu(3); slices.Contains(got, "Mark as answer") {
		t.Fatalf("a member may mark the answer to another's question: %v", got)
	}
	h.act(1, "Mark as answer")
	h.drain()
	if got := h.row(0).summary(); !strings.HasSuffix(got, "Can I take the shake while pregnant?\n✅ Answered: Ask your doctor first; the label lists every ingredient.") {
		t.Fatalf("question with its answer: %q", got)
	}
	if got := h.menu(1); !slices.Contains(got, "Unmark as answer") {
		t.Fatalf("the marked answer's menu: %v", got)
	}

	// An admin marks the answer to anyone's question.
	f.mu.Lock()
	f.comm(c.ID).info.Role = "admin"
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: c.ID})
	f.emit(api.Event{Kind: api.EventGroups, Community: c.ID})
	h.drain()
	h.open("Product questions")
	h.act(3, "Mark as answer")
	h.drain()
	if got := h.row(2).summary(); !strings.HasSuffix(got, "✅ Answered: Yes, the herbal one is.") {
		t.Fatalf("question answered by an admin's mark: %q", got)
	}

	// Not in a group that is not Q&A.
	h.open("General")
	q := f.deliver(c.ID, h.a.group, "Dev", "Anyone driving to the meeting?", false)
	f.deliverReply(c.ID, h.a.group, "Ben", "I am.", false, q)
	h.drain()
	if got := h.menu(1); slices.Contains(got, "Mark as answer") {
		t.Fatalf("a reply outside a Q&A group offers a mark: %v", got)
	}
}

// TestGoldenTeamCards renders a win, a promotion and an event with
// answers in the conversation, light and dark.
func TestGoldenTeamCards(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			f := newFake()
			h := newHarness(t, f)
			c := h.community("Glow Team", "owner", 6, "General")
			gid := h.a.group
			win := f.deliverCard(c.ID, gid, "Olivia", api.Message{Text: "Ben reached Silver this month! 🎉", Win: &api.Win{Member: "peer-Ben", MemberName: "Ben", Badge: crdt.BadgeRank}})
			f.reactAs(c.ID, gid, win, "Chloe", "🎉")
			f.reactAs(c.ID, gid, win, "Dev", "🎉")
			f.deliverCard(c.ID, gid, "Olivia", api.Message{Text: "20% off every starter kit, this week only.", Promo: &api.Promo{Title: "Spring kits", Starts: f.clock, Ends: f.clock.Add(5 * 24 * time.Hour), Code: "SPRING20"}})
			eid := f.deliverCard(c.ID, gid, "Chloe", trainingCall(f))
			f.rsvpAs(c.ID, eid, "Ben", "going")
			f.rsvpAs(c.ID, eid, "Dev", "maybe")
			h.drain()
			test.Tap(h.row(2).rsvp.buttons[0])
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "teamcards_"+variant.name+".png", img)
			writeScreenshot(t, "teamcards_"+variant.name+".png", img)
		})
	}
}

// TestEventCalendarFile: Add to calendar on an event's card saves it as
// an .ics file with the event's title, place and reminders.
func TestEventCalendarFile(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	ev := trainingCall(f)
	ev.Event.Title = "Training: Q&A / spring"
	f.deliverCard(c.ID, h.a.group, "Chloe", ev)
	h.drain()
	if !h.row(0).rsvp.calendar.Visible() {
		t.Fatal("no Add to calendar on the event card")
	}
	m, _ := h.a.convo.message(0)
	name, data := h.a.convo.eventFile(m)
	ics := string(data)
	if name != "Training_ Q&A _ spring.ics" {
		t.Fatalf("file name %q", name)
	}
	for _, want := range []string{"BEGIN:VCALENDAR", "SUMMARY:Training: Q&A / spring", "DTSTART:20261127T193000Z", "LOCATION:https://meet.example/glow", "TRIGGER:-PT10M", "Glow Team"} {
		if !strings.Contains(ics, want) {
			t.Fatalf("the calendar file lacks %q:\n%s", want, ics)
		}
	}
}

// TestSaveToCollection: an admin saves a message into a named collection
// from its menu and takes it out again; a member is not offered it.
func TestSaveToCollection(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "Tip: follow up within 48 hours.", false)
	h.drain()
	if got := h.menu(0); slices.Contains(got, "Save to collection…") {
		t.Fatalf("a member may save to collections: %v", got)
	}
	f.mu.Lock()
	f.comm(c.ID).info.Role = "admin"
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: c.ID})
	h.drain()
	h.open("General")
	h.act(0, "Save to collection…")
	d := h.a.lastDialog
	test.Type(d.createEntry, "Tips")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("collection dialog still open: %q", h.dialogText())
	}
	if got := h.menu(0); !slices.Contains(got, "Remove from Tips") {
		t.Fatalf("after saving: %v", got)
	}
	h.act(0, "Remove from Tips")
	h.drain()
	if got := h.menu(0); slices.Contains(got, "Remove from Tips") {
		t.Fatalf("after removing: %v", got)
	}
}

// TestEventWhereLink: an event's place that is one web address shows as
// a link that opens with the system's handler; an address, text with a
// link in it, and links of other schemes show as plain text.
func TestEventWhereLink(t *testing.T) {
	for where, link := range map[string]bool{
		"https://meet.example/glow":           true,
		" http://zoom.us/j/123?pwd=x ":        true,
		"HTTPS://Meet.Example/Glow":           true,
		"12 Main St, Springfield":             false,
		"Zoom: https://zoom.us/j/123":         false,
		"javascript:alert(1)":                 false,
		"file:///etc/passwd":                  false,
		"zoommtg://zoom.us/join?confno=123":   false,
		"https://user:secret@meet.example/x":  false,
		"https:///nohost":                     false,
		"":                                    false,
		"https://meet.example/a b":            false,
		"ftp://files.example/catalogue.pdf":   false,
		"mailto:olivia@example.com":           false,
		"data:text/html,<script>x</script>":   false,
		"//meet.example/no-scheme":            false,
		"https://meet.example/glow#room-2":    true,
		"https://meet.example/glow?lang=en&x": true,
	} {
		var found *widget.HyperlinkSegment
		e := &api.CalendarEvent{Title: "Training call", Starts: time.Date(2026, 11, 27, 19, 30, 0, 0, time.Local), Where: where}
		_, segs := cardSegments(api.Message{Event: e}, rowData{}, time.Date(2026, 11, 25, 9, 0, 0, 0, time.Local))
		for _, s := range segs {
			if l, ok := s.(*widget.HyperlinkSegment); ok {
				found = l
			}
		}
		switch {
		case link && (found == nil || !strings.EqualFold(found.URL.String(), strings.TrimSpace(where))):
			t.Errorf("%q: link %+v, want one to open", where, found)
		case !link && found != nil:
			t.Errorf("%q shows as a link to %s", where, found.URL)
		case !strings.Contains(segmentsString(segs), strings.TrimSpace(where)):
			t.Errorf("%q: the card says %q", where, segmentsString(segs))
		}
	}
}
