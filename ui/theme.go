package ui

import (
	"hash/fnv"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is Umbrella's look: Fyne's default theme with the brand colour and
// a palette for authors' names and avatars. It follows the system's light
// or dark setting.
func Theme() fyne.Theme { return &umbrellaTheme{} }

// fixedTheme is Theme in one variant whatever the system says (golden
// images, screenshots).
func fixedTheme(v fyne.ThemeVariant) fyne.Theme { return &umbrellaTheme{fixed: true, variant: v} }

type umbrellaTheme struct {
	fixed   bool
	variant fyne.ThemeVariant
}

var _ fyne.Theme = (*umbrellaTheme)(nil)

// Colour names of the theme's own.
const (
	colorNameMention   fyne.ThemeColorName = "umbrella-mention"    // background of a message that mentions you
	colorNameHighlight fyne.ThemeColorName = "umbrella-highlight"  // a search match or a jumped-to message
	colorNameChip      fyne.ThemeColorName = "umbrella-chip"       // a reaction's background
	colorNameChipMine  fyne.ThemeColorName = "umbrella-chip-mine"  // your reaction's background
	colorNameBar       fyne.ThemeColorName = "umbrella-bar"        // a poll bar's track
	colorNameQuote     fyne.ThemeColorName = "umbrella-quote"      // a quoted reply's background
	colorNameBadge     fyne.ThemeColorName = "umbrella-badge"      // an unread count's background
	colorNameBadgeMute fyne.ThemeColorName = "umbrella-badge-mute" // a muted group's unread count
	colorNameOnline    fyne.ThemeColorName = "umbrella-online"     // a member who is online
	colorNameRail      fyne.ThemeColorName = "umbrella-rail"       // the rail's background
)

// authorColors are the colours of names and avatars, picked by a hash of
// the author so each person keeps theirs.
var authorColors = [...]struct{ light, dark color.NRGBA }{
	{color.NRGBA{0xc2, 0x3b, 0x22, 0xff}, color.NRGBA{0xff, 0x8a, 0x70, 0xff}},
	{color.NRGBA{0x1f, 0x7a, 0x4d, 0xff}, color.NRGBA{0x6f, 0xd6, 0x9c, 0xff}},
	{color.NRGBA{0x6a, 0x3d, 0xc8, 0xff}, color.NRGBA{0xb3, 0x96, 0xff, 0xff}},
	{color.NRGBA{0x0b, 0x6e, 0x99, 0xff}, color.NRGBA{0x6c, 0xc4, 0xee, 0xff}},
	{color.NRGBA{0xa8, 0x32, 0x7a, 0xff}, color.NRGBA{0xf0, 0x8c, 0xc8, 0xff}},
	{color.NRGBA{0x8a, 0x5a, 0x00, 0xff}, color.NRGBA{0xf2, 0xc0, 0x5c, 0xff}},
	{color.NRGBA{0x00, 0x75, 0x72, 0xff}, color.NRGBA{0x5e, 0xd8, 0xd2, 0xff}},
	{color.NRGBA{0x4a, 0x55, 0xa8, 0xff}, color.NRGBA{0x9c, 0xa8, 0xff, 0xff}},
}

// authorColor is the colour name of peerID's name and avatar.
func authorColor(peerID string) fyne.ThemeColorName {
	h := fnv.New32a()
	h.Write([]byte(peerID))
	return fyne.ThemeColorName("umbrella-author-" + string(rune('0'+h.Sum32()%uint32(len(authorColors)))))
}

var (
	brandLight = color.NRGBA{0x5b, 0x3c, 0xc4, 0xff}
	brandDark  = color.NRGBA{0x9d, 0x84, 0xf5, 0xff}
)

// Color implements fyne.Theme.
func (t *umbrellaTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.fixed {
		v = t.variant
	}
	dark := v == theme.VariantDark
	pick := func(light, darkC color.NRGBA) color.Color {
		if dark {
			return darkC
		}
		return light
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink, theme.ColorNameFocus:
		c := pick(brandLight, brandDark).(color.NRGBA)
		if n == theme.ColorNameFocus {
			c.A = 0x7f
		}
		return c
	case theme.ColorNameForegroundOnPrimary:
		// White on the light brand colour; on the pale dark one white
		// reads at 3:1, so dark text as Material does.
		return pick(color.NRGBA{0xff, 0xff, 0xff, 0xff}, color.NRGBA{0x17, 0x17, 0x18, 0xff})
	// Fyne's greys and status colours are too faint to read (#e3e3e3 on
	// white is 1.3:1). These keep its hues and order (foreground most prominent,
	// then placeholder, then disabled) but reach WCAG's 4.5:1 for text and
	// 3:1 for outlines on every background the app draws them on, which
	// TestThemeContrast lists.
	case theme.ColorNamePlaceHolder: // times, captions
		return pick(color.NRGBA{0x66, 0x66, 0x66, 0xff}, color.NRGBA{0xb2, 0xb2, 0xb2, 0xff})
	case theme.ColorNameDisabled: // low-importance labels: empty states, section headers
		return pick(color.NRGBA{0x6e, 0x6e, 0x6e, 0xff}, color.NRGBA{0x94, 0x94, 0x94, 0xff})
	case theme.ColorNameInputBorder: // entries, and unselected radios and checkboxes
		return pick(color.NRGBA{0x8a, 0x8a, 0x8a, 0xff}, color.NRGBA{0x70, 0x70, 0x73, 0xff})
	case theme.ColorNameWarning:
		return pick(color.NRGBA{0xa8, 0x4b, 0x00, 0xff}, color.NRGBA{0xff, 0x98, 0x00, 0xff})
	case theme.ColorNameError:
		return pick(color.NRGBA{0xd3, 0x2f, 0x2f, 0xff}, color.NRGBA{0xf4, 0x43, 0x36, 0xff})
	case theme.ColorNameSuccess:
		return pick(color.NRGBA{0x2e, 0x7d, 0x32, 0xff}, color.NRGBA{0x43, 0xf4, 0x36, 0xff})
	case theme.ColorNameSelection:
		return pick(color.NRGBA{0x5b, 0x3c, 0xc4, 0x30}, color.NRGBA{0x9d, 0x84, 0xf5, 0x40})
	case colorNameMention:
		return pick(color.NRGBA{0xff, 0xc1, 0x07, 0x24}, color.NRGBA{0xff, 0xc1, 0x07, 0x22})
	case colorNameHighlight:
		return pick(color.NRGBA{0x5b, 0x3c, 0xc4, 0x22}, color.NRGBA{0x9d, 0x84, 0xf5, 0x30})
	case colorNameChip:
		return pick(color.NRGBA{0x00, 0x00, 0x00, 0x0d}, color.NRGBA{0xff, 0xff, 0xff, 0x14})
	case colorNameChipMine:
		return pick(color.NRGBA{0x5b, 0x3c, 0xc4, 0x26}, color.NRGBA{0x9d, 0x84, 0xf5, 0x38})
	case colorNameBar:
		return pick(color.NRGBA{0x00, 0x00, 0x00, 0x12}, color.NRGBA{0xff, 0xff, 0xff, 0x18})
	case colorNameQuote:
		return pick(color.NRGBA{0x00, 0x00, 0x00, 0x09}, color.NRGBA{0xff, 0xff, 0xff, 0x0c})
	case colorNameBadge:
		return pick(brandLight, brandDark)
	case colorNameBadgeMute:
		return pick(color.NRGBA{0x73, 0x73, 0x73, 0xff}, color.NRGBA{0x8a, 0x8a, 0x8a, 0xff})
	case colorNameOnline:
		return pick(color.NRGBA{0x2e, 0x9d, 0x4f, 0xff}, color.NRGBA{0x5c, 0xd6, 0x7f, 0xff})
	case colorNameRail:
		return pick(color.NRGBA{0xf1, 0xef, 0xf8, 0xff}, color.NRGBA{0x1b, 0x1a, 0x22, 0xff})
	}
	if len(n) == len("umbrella-author-0") && n[:len(n)-1] == "umbrella-author-" {
		c := authorColors[int(n[len(n)-1]-'0')%len(authorColors)]
		return pick(c.light, c.dark)
	}
	return theme.DefaultTheme().Color(n, v)
}

// Font implements fyne.Theme.
func (t *umbrellaTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon implements fyne.Theme.
func (t *umbrellaTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size implements fyne.Theme.
func (t *umbrellaTheme) Size(n fyne.ThemeSizeName) float32 {
	if k, ok := emojiSizeScale(n); ok { // an emoji in text (emoji.go)
		return theme.DefaultTheme().Size(theme.SizeNameText) * k
	}
	return theme.DefaultTheme().Size(n)
}

// themeColor is the current theme's colour n.
func themeColor(n fyne.ThemeColorName) color.Color {
	return fyne.CurrentApp().Settings().Theme().Color(n, fyne.CurrentApp().Settings().ThemeVariant())
}

// colorRGBA is a colour from 16-bit channels (as color.Color.RGBA returns
// them) with the given alpha.
func colorRGBA(r, g, b uint32, a uint8) color.NRGBA {
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}
