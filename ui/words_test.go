package ui

import (
	"image/color"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
)

// screenTexts is every line of text drawn under o, as laid out.
func screenTexts(o fyne.CanvasObject) []string {
	var out []string
	for _, x := range test.LaidOutObjects(o) {
		if t, ok := x.(*canvas.Text); ok && t.Visible() && t.Text != "" && t.Color != color.Transparent {
			out = append(out, t.Text)
		}
	}
	return out
}

// mainScreenText joins what the main window draws, dialogs left out.
func (h *harness) mainScreenText() string {
	return strings.Join(screenTexts(h.w.Canvas().Content()), " | ")
}

// tapOnCanvas taps the middle of o where it is on the window's canvas.
func (h *harness) tapOnCanvas(o fyne.CanvasObject) {
	h.t.Helper()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	test.TapCanvas(h.w.Canvas(), pos.Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2)))
}

// TestProfileHoldsYourSafetyNumber: the main screen does not show your
// safety number; tapping your name in the rail opens your profile, with
// your name, your safety number and how to compare it.
func TestProfileHoldsYourSafetyNumber(t *testing.T) {
	h := newHarness(t, newFake())
	h.community("Glow Team", "owner", 4, "General")
	if got := h.mainScreenText(); strings.Contains(got, "Safety number") || strings.Contains(got, "05823 11947") {
		t.Fatalf("the main screen shows a safety number: %q", got)
	}
	if !slices.Contains(screenTexts(h.a.rail.root), "Olivia") {
		t.Fatalf("the rail does not show your name: %q", screenTexts(h.a.rail.root))
	}
	h.tapOnCanvas(h.a.rail.me)
	top := h.w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("tapping your name opened nothing")
	}
	got := strings.Join(screenTexts(top), " | ")
	for _, want := range []string{"Your profile", "Olivia", "Safety number", "05823 11947 60392", "48815 90137 27764", "compare"} {
		if !strings.Contains(got, want) {
			t.Fatalf("the profile lacks %q: %q", want, got)
		}
	}
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.w.Canvas().Overlays().Top() != nil {
		t.Fatal("Esc did not close the profile")
	}
}

// TestRoleWordsAgree: the rail, the info pane and the members list call
// the local member's role by the same word.
func TestRoleWordsAgree(t *testing.T) {
	for _, tc := range []struct{ role, word string }{{"owner", "Leader"}, {"admin", "Admin"}} {
		t.Run(tc.role, func(t *testing.T) {
			h := newHarness(t, newFake())
			c := h.community("Glow Team", tc.role, 4, "General")

			var rail string
			for _, s := range screenTexts(h.a.rail.root) {
				if rest, ok := strings.CutPrefix(s, "4 members · "); ok {
					rail = rest
				}
			}

			h.typeShortcut(fyne.KeyI)
			var info string
			texts := screenTexts(h.a.info.root)
			if i := slices.Index(texts, "Olivia (you)"); i >= 0 && i+1 < len(texts) {
				info = texts[i+1]
			}

			v := h.membersDialog(c.ID)
			row := screenTexts(v.rowOf(t, "Olivia").box)
			row = slices.DeleteFunc(row, func(s string) bool {
				return s == "O" || s == "Olivia (you)" || strings.HasPrefix(s, "05823 11947") // avatar, name, safety number
			})
			if len(row) != 1 {
				t.Fatalf("Olivia's row in the members list shows %q besides her name and safety number", row)
			}
			members := row[0]

			if rail != tc.word || info != tc.word || members != tc.word {
				t.Fatalf("role words: rail %q, info pane %q, members list %q; want %q everywhere", rail, info, members, tc.word)
			}
		})
	}
}
