package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/fyne-io/oksvg"
	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/shaping"
	"github.com/srwiley/rasterx"
	"golang.org/x/image/math/fixed"
)

// Emoji drawn at the size of the text around them.
//
// Fyne 2.7 draws emoji from its bundled colour font (EmojiOne, SVG
// glyphs) by squeezing each glyph's whole 64-unit picture into the box
// of the glyph's fallback outline, which is smaller than the em and
// differs from glyph to glyph: 🎓 came out 7 pixels tall beside 10-pixel
// capitals, 👍 9. The app therefore draws the emoji it shows itself
// (reaction chips, the reaction menu, messages), from the same font's
// SVG glyphs, each filling a square one em high, as browsers do.

// emojiFont is Fyne's bundled emoji font, parsed once; nil without it
// (a build with the no_emoji tag).
var emojiFont = sync.OnceValue(func() *font.Face {
	res := theme.DefaultEmojiFont()
	if res == nil {
		return nil
	}
	f, err := font.ParseTTF(bytes.NewReader(res.Content()))
	if err != nil {
		return nil
	}
	return f
})

// textFont is the theme's text font, to tell an emoji from a character
// the text font draws itself (© and ™ are in both).
var textFont = sync.OnceValue(func() *font.Face {
	f, err := font.ParseTTF(bytes.NewReader(theme.DefaultTextFont().Content()))
	if err != nil {
		return nil
	}
	return f
})

const (
	zwj        = '\u200d'
	vs16       = '\ufe0f'
	keycapMark = '\u20e3'
)

// isEmojiStart says whether r begins an emoji the emoji font draws and
// the text font does not.
func isEmojiStart(r rune) bool {
	ef := emojiFont()
	if ef == nil || r < 0x80 {
		return false
	}
	if _, ok := ef.NominalGlyph(r); !ok {
		return false
	}
	if tf := textFont(); tf != nil {
		if _, ok := tf.NominalGlyph(r); ok {
			return false
		}
	}
	return true
}

// nextEmoji returns the length in bytes of the emoji sequence at the
// start of s (a base with variation selectors, skin tones, keycap marks,
// a flag's two letters, or several joined by ZWJ), or 0 if s does not
// start with one.
func nextEmoji(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !isEmojiStart(r) {
		return 0
	}
	regional := r >= 0x1f1e6 && r <= 0x1f1ff
	i := n
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == vs16 || r == keycapMark || (r >= 0x1f3fb && r <= 0x1f3ff) || (r >= 0xe0020 && r <= 0xe007f):
			i += n
		case regional && r >= 0x1f1e6 && r <= 0x1f1ff:
			i += n
			regional = false
		case r == zwj:
			r2, n2 := utf8.DecodeRuneInString(s[i+n:])
			if n2 == 0 || !isEmojiStart(r2) {
				return i
			}
			i += n + n2
		default:
			return i
		}
	}
	return i
}

// maxEmojiCache bounds the rendered emoji kept in memory.
const maxEmojiCache = 1024

type emojiKey struct {
	e  string
	px int
}

var (
	emojiMu    sync.Mutex
	emojiCache = map[emojiKey]*image.NRGBA{}
)

// emojiImage draws emoji sequence e as a px×px picture, or returns nil
// if the emoji font has no single glyph for it.
func emojiImage(e string, px int) *image.NRGBA {
	if px <= 0 || px > 512 {
		return nil
	}
	k := emojiKey{e, px}
	emojiMu.Lock()
	img, ok := emojiCache[k]
	emojiMu.Unlock()
	if ok {
		return img
	}
	img = renderEmoji(e, px)
	emojiMu.Lock()
	if len(emojiCache) >= maxEmojiCache {
		clear(emojiCache)
	}
	emojiCache[k] = img
	emojiMu.Unlock()
	return img
}

func renderEmoji(e string, px int) *image.NRGBA {
	f := emojiFont()
	if f == nil || e == "" {
		return nil
	}
	runes := []rune(e)
	out := (&shaping.HarfbuzzShaper{}).Shape(shaping.Input{
		Text: runes, RunEnd: len(runes), Direction: di.DirectionLTR,
		Face: f, Size: fixed.I(px),
	})
	var svg font.GlyphSVG
	found := false
	for _, g := range out.Glyphs {
		d, ok := f.GlyphData(g.GlyphID).(font.GlyphSVG)
		if !ok || g.GlyphID == 0 {
			continue // a variation selector or joiner left as its own glyph
		}
		if found {
			return nil // not one picture
		}
		svg, found = d, true
	}
	if !found {
		return nil
	}
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg.Source), oksvg.IgnoreErrorMode)
	if err != nil || icon.ViewBox.W <= 0 {
		return nil
	}
	// The viewBox's width is the em; its y is the baseline, with the
	// font's ascender above it. Map the em square onto the picture.
	upem := float64(f.Upem())
	asc := 0.8 * upem
	if ext, ok := f.FontHExtents(); ok && ext.Ascender > 0 {
		asc = float64(ext.Ascender)
	}
	unitsPerEm := icon.ViewBox.W
	top := icon.ViewBox.Y - asc*unitsPerEm/upem
	s := float64(px) / unitsPerEm
	icon.Transform = rasterx.Identity.Scale(s, s).Translate(-icon.ViewBox.X, -top)
	img := image.NewNRGBA(image.Rect(0, 0, px, px))
	scanner := rasterx.NewScannerGV(px, px, img, img.Bounds())
	icon.Draw(rasterx.NewDasher(px, px, scanner), 1)
	return img
}

// emojiOversample is how many pixels an emoji picture has per unit of
// its size on screen, so it stays sharp on high-density screens.
const emojiOversample = 2

// emojiResource is emoji e as a PNG resource (menu and button icons), or
// nil if it cannot be drawn as a picture.
func emojiResource(e string, px int) fyne.Resource {
	img := emojiImage(e, px)
	if img == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	return fyne.NewStaticResource(emojiResourceName(e, px), buf.Bytes())
}

// emojiResourceName names emoji e's picture of px pixels: the emoji
// itself first, so a menu item showing only the picture still says
// what it is.
func emojiResourceName(e string, px int) string { return fmt.Sprintf("%s@%d.png", e, px) }

// In messages the emoji stay text (they wrap, copy and select as text)
// but each is drawn at the size that makes Fyne's squeezed picture one
// em: its segment carries a size name, emojiSizeName, that the theme
// turns into the text size times the emoji's own factor.

// emojiSizePrefix begins the theme size names of emoji in text.
const emojiSizePrefix = "umbrella-emoji-"

// emojiEm is the side of an emoji's square in ems of the text around it:
// a little larger than the text, as chat apps draw them, so that flat
// ones (🎓, 0.63 em of ink in its square) still reach the capitals.
const emojiEm = 1.25

// emojiScale is how much larger than its text emoji e must be drawn for
// Fyne's picture of it to fill emojiEm: that over the smaller side of the
// glyph's box, between 1 and 2.5; 1 if the font lacks it.
func emojiScale(e string) float32 {
	f := emojiFont()
	if f == nil {
		return 1
	}
	runes := []rune(e)
	out := (&shaping.HarfbuzzShaper{}).Shape(shaping.Input{
		Text: runes, RunEnd: len(runes), Direction: di.DirectionLTR,
		Face: f, Size: fixed.I(int(f.Upem())),
	})
	side := float32(0)
	for _, g := range out.Glyphs {
		if g.GlyphID == 0 {
			continue
		}
		ext, ok := f.GlyphExtents(g.GlyphID)
		if !ok {
			continue
		}
		s := min(ext.Width, -ext.Height)
		if s > 0 && (side == 0 || s < side) {
			side = s
		}
	}
	if side <= 0 {
		return 1
	}
	return min(max(emojiEm*float32(f.Upem())/side, 1), 2.5)
}

// emojiSizeName is the theme size name of emoji e in text.
func emojiSizeName(e string) fyne.ThemeSizeName {
	return fyne.ThemeSizeName(fmt.Sprintf("%s%d", emojiSizePrefix, int(emojiScale(e)*100+0.5)))
}

// emojiSizeScale is the factor a size name from emojiSizeName stands
// for.
func emojiSizeScale(n fyne.ThemeSizeName) (float32, bool) {
	s, ok := strings.CutPrefix(string(n), emojiSizePrefix)
	if !ok {
		return 0, false
	}
	pct, err := strconv.Atoi(s)
	if err != nil || pct < 100 || pct > 250 {
		return 0, false
	}
	return float32(pct) / 100, true
}

// splitEmoji cuts the emoji out of text segments of the text size into
// segments of their own, sized by emojiSizeName. Other segments pass
// unchanged.
func splitEmoji(segs []widget.RichTextSegment) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	for _, s := range segs {
		ts, ok := s.(*widget.TextSegment)
		if !ok || ts.Style.SizeName != "" && ts.Style.SizeName != theme.SizeNameText {
			out = append(out, s)
			continue
		}
		text, from := ts.Text, 0
		for i := 0; i < len(text); {
			n := nextEmoji(text[i:])
			if n == 0 {
				_, w := utf8.DecodeRuneInString(text[i:])
				i += w
				continue
			}
			if from < i {
				out = append(out, &widget.TextSegment{Text: text[from:i], Style: ts.Style})
			}
			st := ts.Style
			st.SizeName = emojiSizeName(text[i : i+n])
			out = append(out, &widget.TextSegment{Text: text[i : i+n], Style: st})
			i += n
			from = i
		}
		if from == 0 {
			out = append(out, s)
		} else if from < len(text) {
			out = append(out, &widget.TextSegment{Text: text[from:], Style: ts.Style})
		}
	}
	return out
}

// segmentTextSize is the size a text segment of the given style is drawn
// at, in text of size base.
func segmentTextSize(st widget.RichTextStyle, base float32) float32 {
	if k, ok := emojiSizeScale(st.SizeName); ok {
		return base * k
	}
	return base
}
