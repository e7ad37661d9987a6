package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// groupNamed returns the id of the selected community's group name.
func (h *harness) groupNamed(name string) crdt.ID {
	h.t.Helper()
	for _, g := range h.a.groups {
		if g.Name == name {
			return g.ID
		}
	}
	h.t.Fatalf("no group %s", name)
	return crdt.ID{}
}

// indexOf is message id's position in group gid.
func (h *harness) indexOf(gid, id crdt.ID) int {
	h.t.Helper()
	m, err := h.f.Message(h.a.community, gid, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return m.Index
}

// wantOpened fails unless message id of group gid is open, highlighted.
func (h *harness) wantOpened(gid, id crdt.ID) {
	h.t.Helper()
	h.drain()
	if h.a.group != gid {
		h.t.Fatalf("group %s is open, want %s", h.a.groupName(h.a.group), h.a.groupName(gid))
	}
	if want := h.indexOf(gid, id); h.a.convo.highlight != want {
		h.t.Fatalf("row %d is highlighted, want %d", h.a.convo.highlight, want)
	}
}

// addQuestions asks two questions in Product questions, Ben's first, and
// answers neither (Chloe's reply is not a question).
func addQuestions(h *harness) (qa, first, second crdt.ID) {
	f, cid := h.f, h.a.community
	qa = h.groupNamed("Product questions")
	first = f.deliver(cid, qa, "Ben", "Does the kit ship abroad?", false)
	f.deliverReply(cid, qa, "Chloe", "Good question, checking.", false, first)
	second = f.deliver(cid, qa, "Dev", "When does the autumn catalogue come?", false)
	h.drain()
	return qa, first, second
}

// TestUnansweredQuestions: an admin's home counts the unanswered
// questions on its Q&A entry; they open oldest first, and tapping one
// opens it in its conversation. Members, who mark no answers but their
// own, have no such entry.
func TestUnansweredQuestions(t *testing.T) {
	h := newHarness(t, newFake())
	teamCommunity(h, "owner")
	qa, first, second := addQuestions(h)
	tm := h.a.home.team
	if tm.qaRow == nil || tm.unanswered != 2 || !slices.Contains(tm.lines, "# Q&A") {
		t.Fatalf("Q&A entry %v with %d unanswered; sections %q", tm.qaRow, tm.unanswered, tm.lines)
	}
	test.Tap(tm.qaRow)
	v, ok := h.a.lastDialog.handles.(*questionsView)
	if !ok || len(v.items) != 2 || v.items[0].ID != first || v.items[1].ID != second {
		t.Fatalf("questions dialog %T %+v", h.a.lastDialog.handles, v)
	}
	test.Tap(v.rows[0])
	if h.a.lastDialog.open {
		t.Fatal("the dialog stays open")
	}
	h.wantOpened(qa, first)

	// Answering one takes it off the count.
	reply := h.f.deliverReply(h.a.community, qa, "Chloe", "Yes, to the EU.", false, first)
	if err := h.f.MarkAnswer(t.Context(), h.a.community, qa, first, reply); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if n := h.a.home.team.unanswered; n != 1 {
		t.Fatalf("%d unanswered after an answer", n)
	}

	m := newHarness(t, newFake())
	teamCommunity(m, "member")
	addQuestions(m)
	if m.a.home.team.qaRow != nil || slices.Contains(m.a.home.team.lines, "# Q&A") {
		t.Fatal("a member sees the unanswered questions")
	}
}

// TestFAQOpensQuestion: tapping an entry of the home's FAQ opens its
// question in its conversation; the search keeps the entries tappable.
func TestFAQOpensQuestion(t *testing.T) {
	h := newHarness(t, newFake())
	teamCommunity(h, "member")
	tm := h.a.home.team
	test.Type(tm.faq, "tea")
	if len(tm.faqRows) != 1 {
		t.Fatalf("%d FAQ rows for tea", len(tm.faqRows))
	}
	want := tm.faqItems[0]
	test.Tap(tm.faqRows[0])
	h.wantOpened(want.Group, want.QuestionID)
}

// TestCollectionOpens: a member opens a collection from the home and
// browses it; tapping an entry opens the message in its conversation.
func TestCollectionOpens(t *testing.T) {
	h := newHarness(t, newFake())
	teamCommunity(h, "member")
	tm := h.a.home.team
	if len(tm.collections) != 1 {
		t.Fatalf("%d collection rows", len(tm.collections))
	}
	test.Tap(tm.collections[0])
	v, ok := h.a.lastDialog.handles.(*collectionView)
	if !ok || len(v.items) != 1 || v.items[0].Event == nil || h.a.lastDialog.title != "Tips" {
		t.Fatalf("collection dialog %T %+v", h.a.lastDialog.handles, v)
	}
	if got := strings.Join(screenTexts(h.a.lastDialog.holder), " | "); !strings.Contains(got, "📅 Training call") || !strings.Contains(got, "Chloe · General") {
		t.Fatalf("collection shows %q", got)
	}
	test.Tap(v.rows[0])
	h.wantOpened(h.groupNamed("General"), v.items[0].ID)
}

// TestQuestionsRefresh: the open Unanswered questions dialog lists a
// question asked meanwhile and drops one answered meanwhile, without
// being closed and opened again; the messages of other groups read
// nothing again.
func TestQuestionsRefresh(t *testing.T) {
	h := newHarness(t, newFake())
	teamCommunity(h, "owner")
	qa, first, second := addQuestions(h)
	test.Tap(h.a.home.team.qaRow)
	d := h.a.lastDialog
	v := d.handles.(*questionsView)
	reads := h.f.calls["Questions"]
	for range 20 {
		h.f.deliver(h.a.community, h.groupNamed("General"), "Ben", "See you at 7", false)
	}
	h.drain()
	if n := h.f.calls["Questions"] - reads; n != 0 {
		t.Fatalf("20 messages in General read the questions %d times", n)
	}
	third := h.f.deliver(h.a.community, qa, "Ben", "Is the shake vegan?", false)
	h.drain()
	if ids := questionIDs(v.items); !slices.Equal(ids, []crdt.ID{first, second, third}) || len(v.rows) != 3 {
		t.Fatalf("after a new question the dialog lists %v (%d rows)", ids, len(v.rows))
	}
	if got := strings.Join(screenTexts(d.holder), " | "); !strings.Contains(got, "Is the shake vegan?") {
		t.Fatalf("the dialog shows %q", got)
	}
	reply := h.f.deliverReply(h.a.community, qa, "Chloe", "Yes.", false, third)
	if err := h.f.MarkAnswer(t.Context(), h.a.community, qa, third, reply); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if ids := questionIDs(v.items); !slices.Equal(ids, []crdt.ID{first, second}) || !d.open {
		t.Fatalf("after an answer the dialog lists %v (open %v)", ids, d.open)
	}
	test.Tap(v.rows[1])
	h.wantOpened(qa, second)
}

func questionIDs(qs []api.Question) []crdt.ID {
	var out []crdt.ID
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

// TestCollectionRefresh: the open collection lists a message saved into
// it elsewhere, and says so when its last entry is taken out.
func TestCollectionRefresh(t *testing.T) {
	h := newHarness(t, newFake())
	teamCommunity(h, "owner")
	test.Tap(h.a.home.team.collections[0])
	d := h.a.lastDialog
	v := d.handles.(*collectionView)
	if len(v.items) != 1 {
		t.Fatalf("Tips lists %d", len(v.items))
	}
	gen := h.groupNamed("General")
	tip := h.f.deliver(h.a.community, gen, "Chloe", "Always bring samples.", false)
	if err := h.f.Collect(t.Context(), h.a.community, tip, "Tips", true); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if len(v.items) != 2 || len(v.rows) != 2 || v.items[1].ID != tip {
		t.Fatalf("after a save Tips lists %d: %+v", len(v.items), v.items)
	}
	if got := strings.Join(screenTexts(d.holder), " | "); !strings.Contains(got, "Always bring samples.") {
		t.Fatalf("the dialog shows %q", got)
	}
	for _, m := range slices.Clone(v.items) {
		if err := h.f.Collect(t.Context(), h.a.community, m.ID, "Tips", false); err != nil {
			t.Fatal(err)
		}
	}
	h.drain()
	if got := strings.Join(screenTexts(d.holder), " | "); len(v.items) != 0 || !strings.Contains(got, "Nothing is saved in Tips any more.") {
		t.Fatalf("emptied, Tips lists %d and shows %q", len(v.items), got)
	}
}

// TestWallOfWins: the Wall of wins counts wins per member, the most
// first with each member's badges, this month or all time.
func TestWallOfWins(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	gen := h.groupNamed("General")
	win := func(who, badge string) crdt.ID {
		return f.deliverCard(c.ID, gen, "Olivia", api.Message{Win: &api.Win{Member: "peer-" + who, MemberName: who, Badge: badge}})
	}
	old := win("Dev", crdt.BadgeStreak)
	f.mu.Lock()
	_, _, m, _ := f.find(c.ID, gen, old)
	m.Time = m.Time.AddDate(0, -2, 0)
	f.mu.Unlock()
	win("Chloe", crdt.BadgeGoal)
	win("Ben", crdt.BadgeRank)
	win("Ben", crdt.BadgeFirstSale)
	h.drain()
	w := h.a.home.team.wins
	want := []string{"🏆 Ben · 2 wins · ⭐💰", "Chloe · 1 win · 🎯", "3 wins this month"}
	if !slices.Equal(w.lines, want) {
		t.Fatalf("this month %q, want %q", w.lines, want)
	}
	w.period.SetSelected(winsAllTime)
	want = []string{"🏆 Ben · 2 wins · ⭐💰", "Chloe · 1 win · 🎯", "Dev · 1 win · 🔥", "4 wins all time"}
	if !slices.Equal(w.lines, want) {
		t.Fatalf("all time %q, want %q", w.lines, want)
	}
	f.mu.Lock()
	f.clock = f.clock.AddDate(0, 1, 0)
	f.mu.Unlock()
	w.period.SetSelected(winsThisMonth)
	if want := []string{"No wins this month yet."}; !slices.Equal(w.lines, want) {
		t.Fatalf("a month later %q, want %q", w.lines, want)
	}
}

// TestGoldenTeamLists renders the home scrolled down to its Wall of wins,
// Q&A entry, FAQ and collections, the unanswered questions and a
// collection, light and dark.
func TestGoldenTeamLists(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			for _, s := range []struct {
				name string
				show func(h *harness)
			}{
				{"home_lists", func(h *harness) {
					h.open("General")
					h.a.home.scroll.ScrollToBottom()
				}},
				{"questions", func(h *harness) { test.Tap(h.a.home.team.qaRow) }},
				{"collection", func(h *harness) { test.Tap(h.a.home.team.collections[0]) }},
			} {
				t.Run(s.name, func(t *testing.T) {
					h := newHarness(t, newFake())
					teamCommunity(h, "owner")
					addQuestions(h)
					fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
					s.show(h)
					img := h.w.Canvas().Capture()
					test.AssertImageMatches(t, "team"+s.name+"_"+variant.name+".png", img)
					writeScreenshot(t, "team"+s.name+"_"+variant.name+".png", img)
				})
			}
		})
	}
}
