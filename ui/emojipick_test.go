package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestEmojiTable: the picker's table is Unicode's (well over a thousand
// emoji, each once, each named) and every emoji in it is one the
// community accepts as a reaction.
func TestEmojiTable(t *testing.T) {
	tab := emojiTable()
	if len(tab) < 1000 {
		t.Fatalf("the table has %d emoji", len(tab))
	}
	seen := map[string]bool{}
	for _, e := range tab {
		if seen[e.emoji] {
			t.Errorf("%s twice", e.emoji)
		}
		seen[e.emoji] = true
		if e.name == "" || e.group == "" {
			t.Errorf("%s has no name or group", e.emoji)
		}
		if err := crdt.CheckEmoji(e.emoji); err != nil {
			t.Errorf("%s (%s): %v", e.emoji, e.name, err)
		}
	}
	for _, e := range quickReactions {
		if !seen[e] {
			t.Errorf("quick reaction %s is not in the table", e)
		}
	}
}

func emojiOf(es []emojiEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.emoji)
	}
	return out
}

// TestSearchEmoji: a search finds emoji by the start of the words of
// their names first, then of their groups; every word must match.
func TestSearchEmoji(t *testing.T) {
	for _, tc := range []struct {
		query, first string
		has          []string
	}{
		{"party", "🎉", nil},
		{"PARTY pop", "🎉", nil},
		{"thumbs up", "👍", nil},
		{"rock", "🚀", nil},
		{"heart", "😍", []string{"❤️", "💜"}},
		{"flag bra", "🇧🇷", nil},
		{"food", "", []string{"🍕", "🍎"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := emojiOf(searchEmoji(tc.query))
			if len(got) == 0 {
				t.Fatal("found nothing")
			}
			if tc.first != "" && got[0] != tc.first {
				t.Errorf("first is %s, want %s (%v…)", got[0], tc.first, got[:min(8, len(got))])
			}
			for _, e := range tc.has {
				if !slices.Contains(got, e) {
					t.Errorf("%s not found", e)
				}
			}
		})
	}
	if got := searchEmoji("zzzqx"); len(got) != 0 {
		t.Fatalf("nonsense found %v", emojiOf(got))
	}
	if got := searchEmoji("  "); len(got) != len(emojiTable()) {
		t.Fatalf("an empty search shows %d of %d", len(got), len(emojiTable()))
	}
}

// pickerOf is the picker the conversation shows last.
func (h *harness) pickerOf() *emojiPicker {
	h.t.Helper()
	p, ok := h.a.lastPopUp.Content.(*emojiPicker)
	if !ok || !h.a.lastPopUp.Visible() {
		h.t.Fatalf("no emoji picker is shown (%T)", h.a.lastPopUp.Content)
	}
	return p
}

// shownResults lists the emoji the picker's result grid draws.
func (p *emojiPicker) shownResults() []string {
	var out []string
	for _, o := range test.LaidOutObjects(p.results) {
		if c, ok := o.(*emojiCell); ok && c.Visible() {
			out = append(out, c.emoji)
		}
	}
	return out
}

// TestReactWithAnyEmoji: ☺ + opens the picker with its search focused;
// typing "rocket" shows 🚀, tapping it reacts with it, and the next
// picker and the message menu offer 🚀 first. More… in the menu opens
// the picker too, and Enter picks the first match.
func TestReactWithAnyEmoji(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "We launch on Monday!", false)
	h.drain()
	h.row(0).act.pickReaction(0, h.row(0).addChip)
	p := h.pickerOf()
	if h.w.Canvas().Focused() != p.search {
		t.Fatal("the search does not have the keyboard")
	}
	if len(p.quick) != maxQuickEmoji || p.quick[0].emoji != quickReactions[0] {
		t.Fatalf("the quick emoji start %q", p.quick[0].emoji)
	}
	test.Type(p.search, "rocket")
	shown := p.shownResults()
	if len(shown) == 0 || shown[0] != "🚀" {
		t.Fatalf("searching rocket shows %q", shown)
	}
	for _, o := range test.LaidOutObjects(p.results) {
		if c, ok := o.(*emojiCell); ok && c.emoji == "🚀" {
			test.Tap(c)
			break
		}
	}
	h.drain()
	if h.a.lastPopUp.Visible() {
		t.Fatal("the picker stayed open")
	}
	if got := h.row(0).summary(); !strings.HasSuffix(got, "| (🚀 1)") {
		t.Fatalf("after picking 🚀: %q", got)
	}
	h.row(0).act.pickReaction(0, nil)
	if p := h.pickerOf(); p.quick[0].emoji != "🚀" || len(p.quick) != maxQuickEmoji {
		t.Fatalf("the next picker starts with %q", p.quick[0].emoji)
	}
	h.a.lastPopUp.Hide()

	h.act(0, "React/🚀")
	h.drain()
	if got := h.row(0).summary(); !strings.HasSuffix(got, "| (🚀 1)") {
		t.Fatalf("reacting 🚀 again from the menu: %q", got)
	}
	h.act(0, "React/More…")
	p = h.pickerOf()
	test.Type(p.search, "party popper")
	p.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	if got := h.row(0).summary(); !strings.Contains(got, "🎉 1") {
		t.Fatalf("Enter on party popper: %q", got)
	}
	p = func() *emojiPicker { h.row(0).act.pickReaction(0, nil); return h.pickerOf() }()
	test.Type(p.search, "zzzqx")
	if !p.none.Visible() || len(p.shownResults()) != 0 {
		t.Fatal("a search that finds nothing does not say so")
	}
}

// TestGoldenEmojiPicker renders the picker searching "heart", light and
// dark.
func TestGoldenEmojiPicker(t *testing.T) {
	for _, tv := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(tv.name, func(t *testing.T) {
			f := newFake()
			h := newHarness(t, f)
			c := h.community("Glow Team", "member", 4, "General")
			f.deliver(c.ID, h.a.group, "Ben", "We launch on Monday!", false)
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			h.row(0).act.pickReaction(0, h.row(0).addChip)
			test.Type(h.pickerOf().search, "heart")
			test.AssertImageMatches(t, "emojipicker_"+tv.name+".png", h.w.Canvas().Capture())
		})
	}
}
