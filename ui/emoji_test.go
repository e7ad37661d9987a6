package ui

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The emoji of bug 5: 🎓 is the one Fyne drew smallest.
var emojiUnderTest = []string{"🎓", "👍", "🎉", "🔥"}

// inkHeight is how many rows of r in img have a pixel that differs
// clearly from bg.
func inkHeight(img image.Image, r image.Rectangle, bg color.Color) int {
	r = r.Intersect(img.Bounds())
	br, bgr, bb, _ := bg.RGBA()
	top, bottom := -1, -1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			d := absDiff(cr, br) + absDiff(cg, bgr) + absDiff(cb, bb)
			if d > 3*0x1800 {
				if top < 0 {
					top = y
				}
				bottom = y
				break
			}
		}
	}
	if top < 0 {
		return 0
	}
	return bottom - top + 1
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// capHeight is the height of a capital H drawn at size, in pixels.
func capHeight(t *testing.T, size float32) int {
	t.Helper()
	txt := canvas.NewText("H", theme.Color(theme.ColorNameForeground))
	txt.TextSize = size
	w := test.NewTempWindow(t, container.NewWithoutLayout(txt))
	w.Resize(fyne.NewSize(60, 60))
	txt.Move(fyne.NewPos(10, 10))
	txt.Resize(txt.MinSize())
	img := w.Canvas().Capture()
	h := inkHeight(img, img.Bounds(), img.At(0, 0))
	if h < 5 {
		t.Fatalf("a capital H at size %v measures %d pixels", size, h)
	}
	return h
}

// objectRect is where o is drawn in an unpadded window's capture (scale
// 1) when its parent is the window's content.
func objectRect(o fyne.CanvasObject) image.Rectangle {
	p := o.Position()
	s := o.Size()
	return image.Rect(int(p.X), int(p.Y), int(p.X+s.Width), int(p.Y+s.Height))
}

// TestEmojiInMessagesAtTextSize: an emoji in a message is at least as
// tall as the text's capitals (Fyne drew 🎓 7 pixels tall beside
// 10-pixel capitals).
func TestEmojiInMessagesAtTextSize(t *testing.T) {
	test.NewTempApp(t)
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		fyne.CurrentApp().Settings().SetTheme(fixedTheme(v))
		want := capHeight(t, theme.TextSize())
		for _, e := range emojiUnderTest {
			rt := widget.NewRichText(bodySegments("Congratulations "+e, nil, "")...)
			w := test.NewTempWindow(t, rt)
			w.Resize(fyne.NewSize(400, 80))
			img := w.Canvas().Capture()
			// Only the emoji's columns: after the word.
			word := fyne.MeasureText("Congratulations ", theme.TextSize(), fyne.TextStyle{})
			x0 := int(rt.Position().X+theme.InnerPadding()+word.Width) + 1
			r := image.Rect(x0, 0, img.Bounds().Dx(), img.Bounds().Dy())
			if got := inkHeight(img, r, img.At(img.Bounds().Dx()-1, img.Bounds().Dy()-1)); got < want {
				t.Errorf("variant %v: %s in a message is %d pixels tall; its text's capitals are %d", v, e, got, want)
			}
		}
	}
}

// TestEmojiInChipsAtTextSize: a reaction chip's emoji is at least as
// tall as the chip text's capitals.
func TestEmojiInChipsAtTextSize(t *testing.T) {
	test.NewTempApp(t)
	fyne.CurrentApp().Settings().SetTheme(fixedTheme(theme.VariantLight))
	for _, e := range emojiUnderTest {
		c := newChip(e, nil)
		w := test.NewTempWindow(t, container.NewWithoutLayout(c))
		w.SetPadded(false)
		w.Resize(fyne.NewSize(120, 60))
		c.Move(fyne.NewPos(10, 10))
		c.Resize(c.MinSize())
		want := capHeight(t, c.text.TextSize)
		img := w.Canvas().Capture()
		r := objectRect(c)
		// Inside the chip's rounded ends, against its fill.
		r.Min.X += 10
		r.Max.X -= 10
		bg := img.At(r.Min.X, r.Min.Y+1)
		if got := inkHeight(img, r, bg); got < want {
			t.Errorf("%s in a reaction chip is %d pixels tall; the chip's capitals are %d", e, got, want)
		}
	}
}

// TestEmojiInReactionMenuAtTextSize: the reaction picker's and the
// message menu's emoji are at least as tall as the menu text's
// capitals.
func TestEmojiInReactionMenuAtTextSize(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "member", 3, "General")
	h.f.deliver(c.ID, h.a.group, "Ben", "Hello", false)
	h.drain()
	want := capHeight(t, theme.TextSize())

	h.a.convo.pickReaction(0, nil)
	pop := h.a.lastPopUp
	if pop == nil {
		t.Fatal("no reaction picker")
	}
	pop.Hide()
	picker := pop.Content.(*emojiPicker)
	for _, cell := range picker.quick[:4] {
		w := test.NewTempWindow(t, cell)
		w.SetPadded(false)
		w.Resize(cell.MinSize())
		img := w.Canvas().Capture()
		r := img.Bounds()
		bg := img.At(r.Min.X+1, r.Min.Y+1)
		if got := inkHeight(img, r, bg); got < want {
			t.Errorf("%s in the reaction picker is %d pixels tall; text capitals are %d", cell.emoji, got, want)
		}
	}

	h.menu(0)
	var react *fyne.Menu
	for _, it := range h.a.convo.lastMenu.Items {
		if it.Label == "React" {
			react = it.ChildMenu
		}
	}
	if react == nil {
		t.Fatal("no React submenu")
	}
	m := widget.NewMenu(react)
	w := test.NewTempWindow(t, container.NewWithoutLayout(m))
	w.SetPadded(false)
	w.Resize(fyne.NewSize(300, 600))
	m.Resize(m.MinSize())
	img := w.Canvas().Capture()
	n := len(react.Items)
	ms := m.MinSize()
	for i := range 4 {
		band := image.Rect(2, int(ms.Height)*i/n+1, int(ms.Width)-2, int(ms.Height)*(i+1)/n-1)
		bg := img.At(band.Max.X-1, band.Min.Y)
		if got := inkHeight(img, band, bg); got < want {
			t.Errorf("%s in the React menu is %d pixels tall; text capitals are %d", quickReactions[i], got, want)
		}
	}
}
