package ui

import (
	"image/color"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// emojiEntry is one emoji of the picker's table (emojidata.go).
type emojiEntry struct {
	emoji, name, group string
	words              []string // of name and group, lower case
}

// emojiTable parses emojiData once.
var emojiTable = sync.OnceValue(func() []emojiEntry {
	lines := strings.Split(strings.TrimSuffix(emojiData, "\n"), "\n")
	out := make([]emojiEntry, 0, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			continue
		}
		words := strings.FieldsFunc(strings.ToLower(f[1]+" "+f[2]), func(r rune) bool {
			return r == ' ' || r == '-' || r == ':' || r == ',' || r == '&' || r == '(' || r == ')' || r == '’' || r == '.'
		})
		out = append(out, emojiEntry{emoji: f[0], name: f[1], group: f[2], words: words})
	}
	return out
})

// searchEmoji returns the emoji whose name or group has a word starting
// with each word of query (every emoji for an empty query): those whose
// name matches first, each set in Unicode's order.
func searchEmoji(query string) []emojiEntry {
	q := strings.Fields(strings.ToLower(query))
	if len(q) == 0 {
		return emojiTable()
	}
	hasWord := func(words []string, w string) bool {
		return slices.ContainsFunc(words, func(x string) bool { return strings.HasPrefix(x, w) })
	}
	var byName, byGroup []emojiEntry
	for _, e := range emojiTable() {
		if !slices.ContainsFunc(q, func(w string) bool { return !hasWord(e.words, w) }) {
			nameWords := strings.Fields(strings.ToLower(e.name))
			if slices.ContainsFunc(q, func(w string) bool { return hasWord(nameWords, w) }) {
				byName = append(byName, e)
			} else {
				byGroup = append(byGroup, e)
			}
		}
	}
	return append(byName, byGroup...)
}

// recentEmojiKey is the preference that lists the emoji the member
// reacted with, latest first.
const recentEmojiKey = "recentEmoji"

// maxQuickEmoji is how many emoji the picker offers before any search.
const maxQuickEmoji = 12

// noteRecentEmoji records that the member reacted with e.
func noteRecentEmoji(e string) {
	p := fyne.CurrentApp().Preferences()
	r := slices.DeleteFunc(p.StringList(recentEmojiKey), func(x string) bool { return x == e })
	r = append([]string{e}, r...)
	p.SetStringList(recentEmojiKey, r[:min(len(r), maxQuickEmoji)])
}

// quickEmoji is what the picker offers first: the emoji the member used
// lately, latest first, then the usual reactions, maxQuickEmoji in all.
func quickEmoji() []string {
	out := slices.Clone(fyne.CurrentApp().Preferences().StringList(recentEmojiKey))
	for _, e := range quickReactions {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out[:min(len(out), maxQuickEmoji)]
}

// emojiPicker offers the quick emoji and a search of every emoji by name
// ("party" finds 🎉) or group ("food").
type emojiPicker struct {
	widget.BaseWidget
	pick    func(string)
	search  *widget.Entry
	quick   []*emojiCell
	found   []emojiEntry // what the search shows, in order
	results *widget.GridWrap
	none    *widget.Label
	root    fyne.CanvasObject
}

func newEmojiPicker(pick func(string)) *emojiPicker {
	p := &emojiPicker{pick: pick, found: emojiTable()}
	grid := container.NewGridWithColumns(6)
	for _, e := range quickEmoji() {
		b := newEmojiCell()
		b.set(e, p.pick)
		p.quick = append(p.quick, b)
		grid.Add(b)
	}
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search emoji, e.g. party")
	p.none = widget.NewLabel("No emoji has that name.")
	p.none.Hide()
	p.results = widget.NewGridWrap(func() int { return len(p.found) },
		func() fyne.CanvasObject { return newEmojiCell() },
		func(id widget.GridWrapItemID, o fyne.CanvasObject) {
			if id < len(p.found) {
				o.(*emojiCell).set(p.found[id].emoji, p.pick)
			}
		})
	p.search.OnChanged = func(q string) {
		p.found = searchEmoji(q)
		p.none.Hidden = len(p.found) > 0
		p.none.Refresh()
		p.results.Refresh()
		p.results.ScrollToTop()
	}
	p.search.OnSubmitted = func(string) {
		if len(p.found) > 0 {
			p.pick(p.found[0].emoji)
		}
	}
	body := container.NewStack(p.results, container.NewVBox(p.none))
	p.root = container.NewBorder(container.NewVBox(grid, p.search), nil, nil, nil, body)
	p.ExtendBaseWidget(p)
	return p
}

// MinSize implements fyne.Widget: room for the quick emoji, the search
// and a few rows of results.
func (p *emojiPicker) MinSize() fyne.Size {
	return fyne.NewSize(340, 400)
}

// CreateRenderer implements fyne.Widget.
func (p *emojiPicker) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// showEmojiPicker shows the picker in a pop-up under from (or in the
// middle of the window) with the search focused; choosing an emoji
// closes it and calls pick.
func (a *App) showEmojiPicker(from fyne.CanvasObject, pick func(string)) *emojiPicker {
	var pop *widget.PopUp
	p := newEmojiPicker(func(e string) {
		pop.Hide()
		noteRecentEmoji(e)
		pick(e)
	})
	cv := a.win.Canvas()
	pop = widget.NewPopUp(p, cv)
	size := p.MinSize()
	pos := fyne.NewPos((cv.Size().Width-size.Width)/2, (cv.Size().Height-size.Height)/2)
	if from != nil && from.Visible() && from.Size().Width > 0 {
		pos = fyne.CurrentApp().Driver().AbsolutePositionForObject(from).Add(fyne.NewPos(0, from.Size().Height))
		pos.X = max(0, min(pos.X, cv.Size().Width-size.Width))
		pos.Y = max(0, min(pos.Y, cv.Size().Height-size.Height))
	}
	pop.ShowAtPosition(pos)
	pop.Resize(size)
	a.lastPopUp = pop
	cv.Focus(p.search)
	return p
}

// emojiCell is one emoji of the picker, drawn large, that picks itself
// when tapped.
type emojiCell struct {
	tapBox
	emoji string
	text  *canvas.Text
}

// emojiCellSize is the side of an emoji cell; the emoji's picture fills
// emojiCellEm times the text size (emojiScale corrects for how small the
// font draws each one).
const (
	emojiCellSize = 44
	emojiCellEm   = 1.7
)

func newEmojiCell() *emojiCell {
	c := &emojiCell{text: canvas.NewText("", color.Black)}
	c.text.TextSize = theme.TextSize() * emojiCellEm
	c.text.Alignment = fyne.TextAlignCenter
	box := canvas.NewRectangle(color.Transparent)
	box.SetMinSize(fyne.NewSize(emojiCellSize, emojiCellSize))
	c.tapBox = tapBox{content: container.NewStack(box, container.NewCenter(c.text)), bg: canvas.NewRectangle(color.Transparent)}
	c.bg.CornerRadius = 6
	c.ExtendBaseWidget(c)
	return c
}

// set shows emoji e, which a tap hands to pick.
func (c *emojiCell) set(e string, pick func(string)) {
	c.emoji = e
	c.text.Text = e
	c.text.TextSize = theme.TextSize() * emojiCellEm * emojiScale(e) / emojiEm
	c.onTap = func() { pick(e) }
	c.text.Refresh()
}
