package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tapBox makes any content tappable, with a hover highlight: a row of the
// community home, the pinned-message bar.
type tapBox struct {
	widget.BaseWidget
	content  fyne.CanvasObject
	bg       *canvas.Rectangle
	onTap    func()
	selected bool
	hovered  bool
}

var _ desktop.Hoverable = (*tapBox)(nil)

func newTapBox(content fyne.CanvasObject, onTap func()) *tapBox {
	t := &tapBox{content: content, onTap: onTap, bg: canvas.NewRectangle(color.Transparent)}
	t.bg.CornerRadius = 6
	t.ExtendBaseWidget(t)
	return t
}

// Tapped implements fyne.Tappable.
func (t *tapBox) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

// MouseIn implements desktop.Hoverable.
func (t *tapBox) MouseIn(*desktop.MouseEvent) { t.hovered = true; t.Refresh() }

// MouseMoved implements desktop.Hoverable.
func (t *tapBox) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (t *tapBox) MouseOut() { t.hovered = false; t.Refresh() }

// Cursor shows a hand.
func (t *tapBox) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (t *tapBox) setSelected(s bool) {
	if t.selected != s {
		t.selected = s
		t.Refresh()
	}
}

// CreateRenderer implements fyne.Widget.
func (t *tapBox) CreateRenderer() fyne.WidgetRenderer {
	rend := &tapBoxRenderer{t: t}
	rend.Refresh()
	return rend
}

type tapBoxRenderer struct{ t *tapBox }

func (r *tapBoxRenderer) Layout(s fyne.Size) {
	r.t.bg.Resize(s)
	r.t.content.Resize(s)
}

func (r *tapBoxRenderer) MinSize() fyne.Size { return r.t.content.MinSize() }

func (r *tapBoxRenderer) Refresh() {
	switch {
	case r.t.selected:
		r.t.bg.FillColor = themeColor(theme.ColorNameSelection)
	case r.t.hovered:
		r.t.bg.FillColor = themeColor(theme.ColorNameHover)
	default:
		r.t.bg.FillColor = color.Transparent
	}
	r.t.bg.Refresh()
	r.t.content.Refresh()
}

func (r *tapBoxRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.t.bg, r.t.content}
}

func (r *tapBoxRenderer) Destroy() {}

// badge is a round count: unread messages (brand colour), a mention (@),
// or muted unread (grey).
type badge struct {
	widget.BaseWidget
	bg    *canvas.Rectangle
	text  *canvas.Text
	muted bool
}

func newBadge() *badge {
	b := &badge{bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Transparent)}
	b.bg.CornerRadius = 9
	b.text.TextSize = theme.CaptionTextSize()
	b.text.TextStyle.Bold = true
	b.ExtendBaseWidget(b)
	return b
}

// set shows n unread (and @ when some mention you); zero hides the badge.
func (b *badge) set(n, mentions int, muted bool) {
	b.muted = muted
	switch {
	case n == 0 && mentions == 0:
		b.text.Text = ""
	case mentions > 0:
		b.text.Text = "@ " + countText(n)
	default:
		b.text.Text = countText(n)
	}
	if b.text.Text == "" {
		b.Hide()
	} else {
		b.Show()
	}
	b.Refresh()
}

func countText(n int) string {
	if n > 999 {
		return "999+"
	}
	return itoa(n)
}

// MinSize implements fyne.Widget.
func (b *badge) MinSize() fyne.Size {
	s := b.text.MinSize()
	return fyne.NewSize(max(s.Width+12, 20), s.Height+4)
}

// CreateRenderer implements fyne.Widget.
func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	rend := &badgeRenderer{b: b}
	rend.Refresh()
	return rend
}

type badgeRenderer struct{ b *badge }

func (r *badgeRenderer) Layout(s fyne.Size) {
	m := r.b.MinSize()
	y := (s.Height - m.Height) / 2
	r.b.bg.Move(fyne.NewPos(s.Width-m.Width, y))
	r.b.bg.Resize(m)
	ts := r.b.text.MinSize()
	r.b.text.Move(fyne.NewPos(s.Width-m.Width+(m.Width-ts.Width)/2, y+(m.Height-ts.Height)/2))
	r.b.text.Resize(ts)
}

func (r *badgeRenderer) MinSize() fyne.Size { return r.b.MinSize() }

func (r *badgeRenderer) Refresh() {
	if r.b.muted {
		r.b.bg.FillColor = themeColor(colorNameBadgeMute)
	} else {
		r.b.bg.FillColor = themeColor(colorNameBadge)
	}
	r.b.text.Color = themeColor(theme.ColorNameBackground)
	r.Layout(r.b.Size())
	r.b.bg.Refresh()
	r.b.text.Refresh()
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.b.bg, r.b.text} }

func (r *badgeRenderer) Destroy() {}

// avatar is a member's photo or a community's icon in a circle, or a
// coloured circle with initials when there is none.
type avatar struct {
	widget.BaseWidget
	circle *canvas.Circle
	text   *canvas.Text
	photo  *canvas.Image // shown instead of circle and text when photo.Image is set
	key    string        // picks the colour
	size   float32
	online *canvas.Circle
	on     bool
}

func newAvatar(name, key string, size float32) *avatar {
	a := &avatar{circle: canvas.NewCircle(color.Transparent), text: canvas.NewText(initials(name), color.Transparent), key: key, size: size, online: canvas.NewCircle(color.Transparent), photo: newRoundImage()}
	a.text.TextStyle.Bold = true
	a.text.TextSize = size * 0.4
	a.text.Alignment = fyne.TextAlignCenter
	a.ExtendBaseWidget(a)
	return a
}

func (a *avatar) set(name, key string, online bool) {
	a.text.Text, a.key, a.on = initials(name), key, online
	a.Refresh()
}

// MinSize implements fyne.Widget.
func (a *avatar) MinSize() fyne.Size { return fyne.NewSize(a.size, a.size) }

// CreateRenderer implements fyne.Widget.
func (a *avatar) CreateRenderer() fyne.WidgetRenderer {
	rend := &avatarRenderer{a: a}
	rend.Refresh()
	return rend
}

type avatarRenderer struct{ a *avatar }

func (r *avatarRenderer) Layout(s fyne.Size) {
	d := min(s.Width, s.Height, r.a.size)
	off := fyne.NewPos((s.Width-d)/2, (s.Height-d)/2)
	r.a.circle.Move(off)
	r.a.circle.Resize(fyne.NewSize(d, d))
	ts := r.a.text.MinSize()
	r.a.text.Move(off.Add(fyne.NewPos(0, (d-ts.Height)/2)))
	r.a.text.Resize(fyne.NewSize(d, ts.Height))
	placeRound(r.a.photo, off, d)
	dot := d * 0.3
	r.a.online.Move(off.Add(fyne.NewPos(d-dot, d-dot)))
	r.a.online.Resize(fyne.NewSize(dot, dot))
}

func (r *avatarRenderer) MinSize() fyne.Size { return r.a.MinSize() }

func (r *avatarRenderer) Refresh() {
	r.a.circle.FillColor = themeColor(authorColor(r.a.key))
	r.a.text.Color = themeColor(theme.ColorNameBackground)
	r.a.online.FillColor = themeColor(colorNameOnline)
	r.a.online.StrokeColor = themeColor(theme.ColorNameBackground)
	r.a.online.StrokeWidth = 2
	r.Layout(r.a.Size())
	r.a.circle.Refresh()
	r.a.text.Refresh()
	r.a.online.Refresh()
	r.a.photo.Refresh()
}

func (r *avatarRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.a.circle, r.a.text}
	if r.a.photo.Image != nil {
		objs = []fyne.CanvasObject{r.a.photo}
	}
	if r.a.on {
		objs = append(objs, r.a.online)
	}
	return objs
}

func (r *avatarRenderer) Destroy() {}

// fill is a rectangle in a theme colour that follows theme changes.
type fill struct {
	widget.BaseWidget
	rect *canvas.Rectangle
	name fyne.ThemeColorName
}

func newFill(name fyne.ThemeColorName) *fill {
	f := &fill{rect: canvas.NewRectangle(color.Transparent), name: name}
	f.ExtendBaseWidget(f)
	return f
}

// CreateRenderer implements fyne.Widget.
func (f *fill) CreateRenderer() fyne.WidgetRenderer {
	rend := &fillRenderer{f: f}
	rend.Refresh()
	return rend
}

type fillRenderer struct{ f *fill }

func (r *fillRenderer) Layout(s fyne.Size)           { r.f.rect.Resize(s) }
func (r *fillRenderer) MinSize() fyne.Size           { return fyne.NewSize(0, 0) }
func (r *fillRenderer) Destroy()                     {}
func (r *fillRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.f.rect} }
func (r *fillRenderer) Refresh() {
	r.f.rect.FillColor = themeColor(r.f.name)
	r.f.rect.Refresh()
}

// fitText sets t's text to full, cut with "…" so that it fits width w:
// canvas.Text draws its whole text whatever size it is given, so a long
// name or poll option would run over what is next to it.
func fitText(t *canvas.Text, full string, w float32) {
	t.Text = full
	if w <= 0 || t.MinSize().Width <= w {
		return
	}
	r := []rune(full)
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		t.Text = string(r[:mid]) + "…"
		if t.MinSize().Width <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	t.Text = strings.TrimSpace(string(r[:lo])) + "…"
}
