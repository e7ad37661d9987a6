package ui

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// WCAG 2.x minimum contrast ratios.
const (
	textContrast    = 4.5 // body text (1.4.3)
	controlContrast = 3.0 // large text and the parts of controls (1.4.3, 1.4.11)
)

// layer is a colour drawn over another: a background that is itself
// translucent (a hover, a chip) lies on an opaque base.
type layer []fyne.ThemeColorName

// TestThemeContrast checks, in both variants, every colour the app draws
// text or a control's outline in against every background it is drawn on,
// by the WCAG relative-luminance contrast ratio.
func TestThemeContrast(t *testing.T) {
	bg := layer{theme.ColorNameBackground}
	on := func(n fyne.ThemeColorName) layer { return layer{theme.ColorNameBackground, n} }
	rail := layer{colorNameRail}
	input := layer{theme.ColorNameBackground, theme.ColorNameInputBackground}
	overlay := layer{theme.ColorNameOverlayBackground}
	menu := layer{theme.ColorNameMenuBackground}
	type pair struct {
		where string
		fg    fyne.ThemeColorName
		bg    layer
		min   float64
	}
	pairs := []pair{
		// Plain text.
		{"message text", theme.ColorNameForeground, bg, textContrast},
		{"message text, hovered row", theme.ColorNameForeground, on(theme.ColorNameHover), textContrast},
		{"message text, mentioning you", theme.ColorNameForeground, on(colorNameMention), textContrast},
		{"message text, search match", theme.ColorNameForeground, on(colorNameHighlight), textContrast},
		{"quoted reply text", theme.ColorNameForeground, on(colorNameQuote), textContrast},
		{"reaction count", theme.ColorNameForeground, on(colorNameChip), textContrast},
		{"your reaction's count", theme.ColorNameForeground, on(colorNameChipMine), textContrast},
		{"rail: your name, communities", theme.ColorNameForeground, rail, textContrast},
		{"rail: selected community", theme.ColorNameForeground, layer{colorNameRail, theme.ColorNameSelection}, textContrast},
		{"group row, hovered", theme.ColorNameForeground, on(theme.ColorNameHover), textContrast},
		{"group row, selected", theme.ColorNameForeground, on(theme.ColorNameSelection), textContrast},
		{"composer text, departed banner", theme.ColorNameForeground, input, textContrast},
		{"dialog text", theme.ColorNameForeground, overlay, textContrast},
		{"popup menu item", theme.ColorNameForeground, menu, textContrast},

		// Low-importance labels (Fyne draws them in the disabled colour).
		{"empty conversation, read-only note", theme.ColorNameDisabled, bg, textContrast},
		{"home: section headers, hint", theme.ColorNameDisabled, bg, textContrast},
		{"poll voters, invite state", theme.ColorNameDisabled, overlay, textContrast},
		{"admin: empty list", theme.ColorNameDisabled, bg, textContrast},
		{"disabled button and entry text", theme.ColorNameDisabled, on(theme.ColorNameDisabledButton), textContrast},

		// Secondary text: times, captions, safety numbers, deleted messages.
		{"message time, deleted message", theme.ColorNamePlaceHolder, bg, textContrast},
		{"message time, hovered row", theme.ColorNamePlaceHolder, on(theme.ColorNameHover), textContrast},
		{"message time, mentioning you", theme.ColorNamePlaceHolder, on(colorNameMention), textContrast},
		{"message time, search match", theme.ColorNamePlaceHolder, on(colorNameHighlight), textContrast},
		{"rail: safety number, network status", theme.ColorNamePlaceHolder, rail, textContrast},
		{"entry placeholder", theme.ColorNamePlaceHolder, input, textContrast},
		{"info pane, admin audit in a dialog", theme.ColorNamePlaceHolder, overlay, textContrast},

		// Coloured text.
		{"reply and edit bar, mention", theme.ColorNamePrimary, bg, textContrast},
		{"quoted author", theme.ColorNamePrimary, on(colorNameQuote), textContrast},
		{"mention, hovered row", theme.ColorNamePrimary, on(theme.ColorNameHover), textContrast},
		{"pinned count, link in a dialog", theme.ColorNamePrimary, overlay, textContrast},
		{"mention of you, departed notice", theme.ColorNameWarning, bg, textContrast},
		{"departed banner", theme.ColorNameWarning, input, textContrast},
		{"group state in settings", theme.ColorNameWarning, overlay, textContrast},
		{"new-messages marker, error text", theme.ColorNameError, bg, textContrast},
		{"error text in a dialog", theme.ColorNameError, overlay, textContrast},
		{"invite state: used", theme.ColorNameSuccess, overlay, textContrast},
		{"invite state: used, window", theme.ColorNameSuccess, bg, textContrast},
		{"primary button", theme.ColorNameForegroundOnPrimary, layer{theme.ColorNamePrimary}, textContrast},
		{"danger button", theme.ColorNameForegroundOnError, layer{theme.ColorNameError}, textContrast},
		{"unread count", theme.ColorNameBackground, layer{colorNameBadge}, textContrast},
		{"unread count, muted group", theme.ColorNameBackground, layer{colorNameBadgeMute}, textContrast},

		// Controls.
		{"unselected radio and checkbox outline", theme.ColorNameInputBorder, bg, controlContrast},
		{"unselected radio and checkbox outline, in their fill", theme.ColorNameInputBorder, input, controlContrast},
		{"unselected radio and checkbox outline, in a dialog", theme.ColorNameInputBorder, overlay, controlContrast},
		{"selected radio outline", theme.ColorNameForeground, bg, controlContrast},
		{"checked box, selected radio dot", theme.ColorNamePrimary, bg, controlContrast},
		{"checked box in a dialog", theme.ColorNamePrimary, overlay, controlContrast},
		{"online dot", colorNameOnline, bg, controlContrast},
	}
	for i := range authorColors {
		n := fyne.ThemeColorName(fmt.Sprintf("umbrella-author-%d", i))
		pairs = append(pairs,
			pair{fmt.Sprintf("author name %d", i), n, bg, textContrast},
			pair{fmt.Sprintf("author name %d, hovered row", i), n, on(theme.ColorNameHover), textContrast},
			pair{fmt.Sprintf("author name %d, mentioning you", i), n, on(colorNameMention), textContrast},
			pair{fmt.Sprintf("avatar initial %d", i), theme.ColorNameBackground, layer{n}, textContrast})
	}

	for _, v := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		th := fixedTheme(v.v)
		for _, p := range pairs {
			back := flatten(th, v.v, p.bg)
			fore := over(th.Color(p.fg, v.v), back)
			if r := contrastRatio(fore, back); r < p.min {
				t.Errorf("%s: %s (%s %v on %v %v) contrast %.2f:1, want at least %.1f:1", v.name, p.where, p.fg, hex(fore), p.bg, hex(back), r, p.min)
			}
		}
	}
}

// flatten composes l's colours bottom to top into one opaque colour.
func flatten(th fyne.Theme, v fyne.ThemeVariant, l layer) color.NRGBA {
	c := color.NRGBA{A: 0xff}
	for _, n := range l {
		c = over(th.Color(n, v), c)
	}
	return c
}

// over is fg drawn with its alpha over the opaque bg.
func over(fg color.Color, bg color.NRGBA) color.NRGBA {
	f := color.NRGBAModel.Convert(fg).(color.NRGBA)
	a := float64(f.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{mix(f.R, bg.R), mix(f.G, bg.G), mix(f.B, bg.B), 0xff}
}

// contrastRatio is WCAG's (L1 + 0.05) / (L2 + 0.05), lighter over darker.
func contrastRatio(a, b color.NRGBA) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is WCAG's relative luminance of an sRGB colour.
func luminance(c color.NRGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func TestContrastRatio(t *testing.T) {
	for _, c := range []struct {
		a, b color.NRGBA
		want float64
	}{
		{color.NRGBA{0, 0, 0, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}, 21},
		{color.NRGBA{0x76, 0x76, 0x76, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}, 4.54},
		{color.NRGBA{0xe3, 0xe3, 0xe3, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}, 1.29},
	} {
		if got := contrastRatio(c.a, c.b); math.Abs(got-c.want) > 0.01 {
			t.Errorf("contrastRatio(%v, %v) = %.3f, want %.2f", hex(c.a), hex(c.b), got, c.want)
		}
	}
}

// TestQuietTextReadable opens an empty group in each theme and reads the
// colour of the text on screen: the home's section headers and the empty
// conversation's note must reach 4.5:1 against the window's background.
func TestQuietTextReadable(t *testing.T) {
	for _, v := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(v.name, func(t *testing.T) {
			h := newHarness(t, newFake())
			h.community("Glow Team", "owner", 12, "General")
			h.drain()
			th := fixedTheme(v.v)
			fyne.CurrentApp().Settings().SetTheme(th)
			back := flatten(th, v.v, layer{theme.ColorNameBackground})
			for _, want := range []string{"YOUR GROUPS", "No messages yet"} {
				var found bool
				for _, o := range test.LaidOutObjects(h.w.Canvas().Content()) {
					txt, ok := o.(*canvas.Text)
					if !ok || !txt.Visible() || !strings.Contains(txt.Text, want) {
						continue
					}
					found = true
					fore := over(txt.Color, back)
					if r := contrastRatio(fore, back); r < textContrast {
						t.Errorf("%q is drawn %v on %v: contrast %.2f:1, want at least %.1f:1", txt.Text, hex(fore), hex(back), r, textContrast)
					}
				}
				if !found {
					t.Errorf("no text %q on screen", want)
				}
			}
		})
	}
}
