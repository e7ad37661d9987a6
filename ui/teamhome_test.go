package ui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestTeamHome: the community home shows the active promotions with the
// time left at the top (the strip drops a promotion by itself when it
// ends), the upcoming events, the wall of wins, the FAQ with its search
// and the collections under the groups.
func TestTeamHome(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	teamCommunity(h, "member")
	tm := h.a.home.team
	if want := []string{"🏷 Spring kits · 1d 1h left · code SPRING20"}; !slices.Equal(tm.strip, want) {
		t.Fatalf("promotions strip %q, want %q", tm.strip, want)
	}
	got := strings.Join(tm.lines, "\n")
	want := "# Upcoming events\n📅 Training call · Fri Nov 27, 19:31 · 1 going\n# Wall of wins\n🏆 Ben · 1 win · ⭐\n1 win this month\n# FAQ\n# Collections\nTips · 1"
	if got != want {
		t.Fatalf("team sections\n%s\nwant\n%s", got, want)
	}
	if len(tm.faqItems) != 2 {
		t.Fatalf("FAQ lists %d, want 2", len(tm.faqItems))
	}
	test.Type(tm.faq, "tea")
	if len(tm.faqItems) != 1 || tm.faqItems[0].Answer != "Yes, the herbal one is." {
		t.Fatalf("FAQ search for tea: %+v", tm.faqItems)
	}
	// The promotion leaves the strip by itself when it ends.
	f.mu.Lock()
	f.clock = f.clock.Add(27 * time.Hour)
	f.mu.Unlock()
	h.a.refreshStatus()
	if len(h.a.home.team.strip) != 0 {
		t.Fatalf("an ended promotion stays in the strip: %q", h.a.home.team.strip)
	}
}

// teamCommunity is a community with a running promotion, an event with an
// answer, a win, two answered questions and a collection.
func teamCommunity(h *harness, role string) {
	f := h.f
	c := h.community("Glow Team", role, 4, "")
	ann := h.a.groups[0].ID
	gen := h.a.groups[1].ID
	f.deliverCard(c.ID, ann, "Olivia", api.Message{Text: "20% off.", Promo: &api.Promo{Title: "Spring kits", Starts: f.clock, Ends: f.clock.Add(26*time.Hour + 2*time.Minute), Code: "SPRING20"}})
	eid := f.deliverCard(c.ID, gen, "Chloe", trainingCall(f))
	f.rsvpAs(c.ID, eid, "Ben", "going")
	f.deliverCard(c.ID, ann, "Olivia", api.Message{Text: "Silver!", Win: &api.Win{Member: "peer-Ben", MemberName: "Ben", Badge: crdt.BadgeRank}})
	qa := f.setQA(c.ID, "Product questions")
	q := f.deliver(c.ID, qa, "Dev", "Can I take the shake while pregnant?", false)
	a := f.deliverReply(c.ID, qa, "Chloe", "Ask your doctor first.", false, q)
	q2 := f.deliver(c.ID, qa, "Ben", "Is the tea caffeine-free?", false)
	a2 := f.deliverReply(c.ID, qa, "Chloe", "Yes, the herbal one is.", false, q2)
	f.mu.Lock()
	for _, g := range f.comm(c.ID).groups {
		for i := range g.msgs {
			switch g.msgs[i].ID {
			case q:
				g.msgs[i].Answer = &a
			case q2:
				g.msgs[i].Answer = &a2
			case eid:
				g.msgs[i].Collections = []string{"Tips"}
			}
		}
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: c.ID})
	h.drain()
}

// TestGoldenTeamHome renders the community home with its team sections,
// light and dark.
func TestGoldenTeamHome(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h := newHarness(t, newFake())
			teamCommunity(h, "owner")
			h.open("General")
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "teamhome_"+variant.name+".png", img)
			writeScreenshot(t, "teamhome_"+variant.name+".png", img)
		})
	}
}

// TestMemberBadges: the members list shows beside each member the badges
// of its wins, each once.
func TestMemberBadges(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "owner", 4, "General")
	ben := fakePeople[0].PeerID
	for _, b := range []string{crdt.BadgeFirstSale, crdt.BadgeRank, crdt.BadgeRank} {
		f.deliverCard(c.ID, h.a.group, "Olivia", api.Message{Win: &api.Win{Member: ben, MemberName: "Ben", Badge: b}})
	}
	h.drain()
	v := h.membersDialog(c.ID)
	if got := v.rowOf(t, "Ben").nameText(); got != "Ben ⭐💰" {
		t.Fatalf("Ben's row is named %q, want his badges", got)
	}
	if got := v.rowOf(t, "Chloe").nameText(); got != "Chloe" {
		t.Fatalf("Chloe's row is named %q", got)
	}
}

// homeListReads are the backend's methods that read the home's lists
// (Newcomers for an admin's Say welcome prompts).
var homeListReads = []string{"Steps", "Newcomers", "Promos", "Events", "Wins", "Questions", "FAQ", "Collections"}

// TestHomeListsRefresh: the home, built again on every message for its
// unread counts, reads its first steps, promotions, events, wins, Q&A,
// FAQ and collections again only when something one shows changes: 50
// messages of a group read none of them, and a new promotion, event,
// answer to an event, win, question or ticked step each reads its own
// list once, which the home then shows.
func TestHomeListsRefresh(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	teamCommunity(h, "admin")
	cid := h.a.community
	f.setSteps(cid, "Welcome {name}!", true, "Watch the welcome video", "Join the Monday call")
	h.drain()
	ann := h.a.groups[0].ID
	gen := h.open("General") // its messages are marked read as they come
	h.drain()
	var qa, event crdt.ID
	f.mu.Lock()
	for _, g := range f.comm(cid).groups {
		if g.info.Name == "Product questions" {
			qa = g.info.ID
		}
		for _, m := range g.msgs {
			if m.Event != nil {
				event = m.ID
			}
		}
	}
	f.mu.Unlock()
	reads := func() map[string]int {
		f.mu.Lock()
		defer f.mu.Unlock()
		out := map[string]int{}
		for _, m := range homeListReads {
			out[m] = f.calls[m]
		}
		return out
	}
	// read runs change and returns how many times it read each list.
	read := func(change func()) map[string]int {
		before := reads()
		change()
		h.drain()
		after := reads()
		for m := range after {
			if after[m] -= before[m]; after[m] == 0 {
				delete(after, m)
			}
		}
		return after
	}

	got := read(func() {
		for i := range 50 {
			f.deliver(cid, gen, "Ben", fmt.Sprintf("See you at the call %d", i), false)
			h.drain()
			h.a.convo.jumpToLatest() // read, as the member reads them
			h.drain()
		}
	})
	if len(got) != 0 || h.a.convo.win.total != 51 || !slices.Contains(h.homeRows(), "General") || f.calls["MarkRead"] < 50 {
		t.Fatalf("50 messages read the home's lists %v times (the group shows %d, marked read %d times; the home %q)", got, h.a.convo.win.total, f.calls["MarkRead"], h.homeRows())
	}
	// Messages of a group not open (its unread count changes) read none
	// either.
	if got := read(func() { f.deliver(cid, ann, "Olivia", "Call at 7", false) }); len(got) != 0 || !slices.Contains(h.homeRows(), "Announcements [3]") {
		t.Fatalf("a message in another group read the home's lists %v times (the home shows %q)", got, h.homeRows())
	}
	clock := f.clock
	for _, tc := range []struct {
		name   string
		change func()
		lists  []string
		shows  func() bool
	}{
		{"promotion", func() {
			f.deliverCard(cid, ann, "Olivia", api.Message{Promo: &api.Promo{Title: "Summer kits", Starts: clock, Ends: clock.Add(72 * time.Hour)}})
		}, []string{"Promos"}, func() bool {
			return slices.ContainsFunc(h.a.home.team.strip, func(s string) bool { return strings.Contains(s, "Summer kits") })
		}},
		{"event", func() {
			f.deliverCard(cid, gen, "Chloe", api.Message{Event: &api.CalendarEvent{Title: "Launch party", Starts: clock.Add(48 * time.Hour), Answers: []api.RSVP{}}})
		}, []string{"Events"}, func() bool { return strings.Contains(strings.Join(h.a.home.team.lines, "\n"), "Launch party") }},
		{"answer to an event", func() { f.rsvpAs(cid, event, "Dev", "going") },
			[]string{"Events"}, func() bool {
				return strings.Contains(strings.Join(h.a.home.team.lines, "\n"), "Training call · Fri Nov 27, 19:31 · 2 going")
			}},
		{"win", func() {
			f.deliverCard(cid, gen, "Olivia", api.Message{Win: &api.Win{Member: "peer-Dev", MemberName: "Dev", Badge: crdt.BadgeFirstSale}})
		}, []string{"Wins"}, func() bool { return slices.Contains(h.a.home.team.wins.lines, "Dev · 1 win · 💰") }},
		{"question", func() { f.deliver(cid, qa, "Dev", "Do you ship abroad?", false) },
			[]string{"FAQ", "Questions"}, func() bool { return h.a.home.team.unanswered == 1 }},
		{"step ticked on another device", func() {
			f.mu.Lock()
			f.comm(cid).team.steps[0].Done = true
			f.mu.Unlock()
			f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: crdt.ID{9}, Newcomers: true, Home: api.HomeSteps})
		}, []string{"Steps", "Newcomers"}, func() bool { return h.a.home.steps.progress.Text == "1 of 2 done" }},
	} {
		got := read(tc.change)
		want := map[string]int{}
		for _, m := range tc.lists {
			want[m] = 1
		}
		if !maps.Equal(got, want) || !tc.shows() {
			t.Errorf("a %s read %v, want %v; the home shows %q", tc.name, got, want, h.a.home.team.lines)
		}
	}
	// An event leaves Upcoming events by itself once it has ended: the
	// home's tick (every few seconds, with the reminders, which read the
	// events on their own) reads the events again.
	f.mu.Lock()
	_, _, m, _ := f.find(cid, gen, event)
	f.clock = m.Event.Starts.Add(time.Duration(m.Event.Duration))
	f.mu.Unlock()
	got = read(h.a.home.tickTeam)
	if lines := strings.Join(h.a.home.team.lines, "\n"); got["Events"] != 1 || strings.Contains(lines, "Training call") {
		t.Errorf("when the training call ended the tick read %v; the home shows %q", got, lines)
	}
}
