package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// heights keeps every row's height — measured once the row has been shown,
// estimated before — in a Fenwick tree, so the offset of a row and the row
// at an offset cost O(log n) in a list of 100,000.
type heights struct {
	h        []float32
	measured []bool
	tree     []float32 // 1-based Fenwick tree over h
	est      float32   // height of a row never measured
}

// reset makes n rows of the estimated height.
func (hs *heights) reset(n int, est float32) {
	hs.est = est
	hs.h = make([]float32, n)
	hs.measured = make([]bool, n)
	for i := range hs.h {
		hs.h[i] = est
	}
	hs.rebuild()
}

// grow appends rows of the estimated height up to n rows.
func (hs *heights) grow(n int) {
	for len(hs.h) < n {
		hs.h = append(hs.h, hs.est)
		hs.measured = append(hs.measured, false)
	}
	hs.rebuild()
}

// forget marks every row unmeasured (the width changed), keeping the old
// heights as estimates.
func (hs *heights) forget() {
	clear(hs.measured)
}

func (hs *heights) rebuild() {
	n := len(hs.h)
	hs.tree = make([]float32, n+1)
	for i := 1; i <= n; i++ {
		hs.tree[i] += hs.h[i-1]
		if j := i + (i & -i); j <= n {
			hs.tree[j] += hs.tree[i]
		}
	}
}

func (hs *heights) len() int { return len(hs.h) }

// set records row i's measured height and returns the change.
func (hs *heights) set(i int, h float32) float32 {
	hs.measured[i] = true
	d := h - hs.h[i]
	if d == 0 {
		return 0
	}
	hs.h[i] = h
	for j := i + 1; j < len(hs.tree); j += j & -j {
		hs.tree[j] += d
	}
	return d
}

// offset is the sum of the heights of rows [0, i).
func (hs *heights) offset(i int) float32 {
	var s float32
	for j := min(i, len(hs.h)); j > 0; j -= j & -j {
		s += hs.tree[j]
	}
	return s
}

// total is the height of all rows.
func (hs *heights) total() float32 { return hs.offset(len(hs.h)) }

// at returns the row that covers offset y (the last row when y is past
// the end, 0 when there are none).
func (hs *heights) at(y float32) int {
	n := len(hs.h)
	pos, rem := 0, y
	step := 1
	for step*2 <= n {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if next := pos + step; next <= n && hs.tree[next] <= rem {
			pos = next
			rem -= hs.tree[next]
		}
	}
	return min(pos, max(n-1, 0))
}

// vlist is a virtualised list of rows of varying height: only the rows in
// view (and a few around them) exist as widgets, recycled as the list
// scrolls, so a group of 100,000 messages costs what a screenful does.
// Heights are measured as rows come into view; until then they are
// estimated. The view is anchored to a row, so measuring rows does not
// move what the reader is looking at, and it follows the bottom when it
// was there, as a conversation does.
type vlist struct {
	widget.BaseWidget

	length func() int
	create func() fyne.CanvasObject
	// bind fills row o with item i.
	bind func(i int, o fyne.CanvasObject)
	// measure returns the height row o needs at width w (after bind).
	measure func(o fyne.CanvasObject, w float32) float32
	// onScrolled is told, after each change of view, which rows are shown
	// and whether the last one is fully in view.
	onScrolled func(first, last int, atBottom bool)

	hs      heights
	scroll  *container.Scroll
	content *fyne.Container
	shown   map[int]fyne.CanvasObject // row index → its widget, rows in view
	pool    []fyne.CanvasObject       // idle row widgets
	created int                       // row widgets made so far
	width   float32
	follow  bool // keep the bottom in view
	// anchor and anchorDelta hold the view to a row while heights change.
	anchor      int
	anchorDelta float32
	inUpdate    bool
}

// overscan is how far beyond the view rows are made ready, in pixels.
const overscan = 200

func newVList(length func() int, create func() fyne.CanvasObject, bind func(int, fyne.CanvasObject), measure func(fyne.CanvasObject, float32) float32, est float32) *vlist {
	l := &vlist{length: length, create: create, bind: bind, measure: measure, shown: map[int]fyne.CanvasObject{}, follow: true}
	l.content = container.New(&vlistLayout{l: l})
	l.scroll = container.NewVScroll(l.content)
	l.scroll.OnScrolled = func(fyne.Position) { l.scrolled() }
	l.hs.reset(0, est)
	l.ExtendBaseWidget(l)
	return l
}

// CreateRenderer implements fyne.Widget.
func (l *vlist) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(l.scroll) }

// Resize lays the rows out again at a new width.
func (l *vlist) Resize(s fyne.Size) {
	if s == l.Size() {
		return
	}
	l.BaseWidget.Resize(s)
	l.scroll.Resize(s)
	if s.Width != l.width {
		l.width = s.Width
		l.hs.forget()
	}
	l.update(false)
}

// MinSize implements fyne.Widget: a list may be as small as its parent
// makes it.
func (l *vlist) MinSize() fyne.Size { return fyne.NewSize(100, 100) }

// reload re-reads the length. appended says the old rows are still the
// first ones (new rows came at the end): their heights are kept.
// Otherwise every height is estimated afresh.
func (l *vlist) reload(appended bool) {
	n := l.length()
	if appended && n >= l.hs.len() {
		l.hs.grow(n)
	} else {
		l.hs.reset(n, l.hs.est)
		l.anchor, l.anchorDelta = min(l.anchor, max(n-1, 0)), 0
	}
	for i, o := range l.shown {
		delete(l.shown, i)
		l.pool = append(l.pool, o)
	}
	l.update(true)
}

// scrollToBottom shows the last row and follows new ones.
func (l *vlist) scrollToBottom() {
	l.follow = true
	l.update(false)
}

// scrollToRow shows row i at the top of the view (or as near as the end of
// the list allows), a little below the top edge.
func (l *vlist) scrollToRow(i int) {
	if i < 0 || i >= l.hs.len() {
		return
	}
	l.follow = false
	l.anchor, l.anchorDelta = i, -overscan/4
	l.update(false)
	// Rows from i down were measured: place i again with true heights.
	l.anchor, l.anchorDelta = i, -overscan/4
	l.update(false)
}

// scrollToTop shows the first row.
func (l *vlist) scrollToTop() {
	l.follow = false
	l.anchor, l.anchorDelta = 0, 0
	l.update(false)
}

// visibleRow returns the widget showing row i, if it is in view.
func (l *vlist) visibleRow(i int) (fyne.CanvasObject, bool) {
	o, ok := l.shown[i]
	return o, ok
}

// update binds, measures and places the rows in view. rebind refreshes
// rows that stay in view (their item may have changed).
func (l *vlist) update(rebind bool) {
	if l.inUpdate {
		return
	}
	l.inUpdate = true
	defer func() { l.inUpdate = false }()
	n := l.hs.len()
	viewH := l.scroll.Size().Height
	if n == 0 || l.width <= 0 || viewH <= 0 {
		for i, o := range l.shown {
			delete(l.shown, i)
			l.pool = append(l.pool, o)
		}
		l.content.Objects = nil
		l.content.Refresh()
		return
	}
	oldTotal := l.hs.total()
	// Measure the rows in view (and the overscan around it). The view's
	// top is the anchor's offset, so rows above the anchor that turn out
	// taller than estimated push the offset down and the view stays
	// still; a few passes settle rows that came into view that way.
	done := map[int]bool{}
	for pass := 0; pass < 4; pass++ {
		top := l.top(viewH)
		changed := false
		first := l.hs.at(max(0, top-overscan))
		for i, y := first, l.hs.offset(first); i < n && y < top+viewH+overscan; i++ {
			if !done[i] {
				done[i] = true
				o := l.rowFor(i, rebind)
				if l.hs.set(i, l.measure(o, l.width)) != 0 {
					changed = true
				}
			}
			y += l.hs.h[i]
		}
		if !changed {
			break
		}
	}
	total := l.hs.total()
	top := l.top(viewH)
	// Place the rows in view; recycle the others.
	first := l.hs.at(max(0, top-overscan))
	objs := make([]fyne.CanvasObject, 0, len(done))
	keep := make(map[int]bool, len(done))
	for i, y := first, l.hs.offset(first); i < n && y < top+viewH+overscan; i++ {
		o := l.rowFor(i, rebind && !done[i])
		keep[i] = true
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(l.width, l.hs.h[i]))
		objs = append(objs, o)
		y += l.hs.h[i]
	}
	for i, o := range l.shown {
		if !keep[i] {
			delete(l.shown, i)
			l.pool = append(l.pool, o)
		}
	}
	l.content.Objects = objs
	if !l.follow {
		l.anchor = l.hs.at(top)
		l.anchorDelta = top - l.hs.offset(l.anchor)
	}
	l.content.Resize(fyne.NewSize(l.width, max(total, viewH)))
	// The rows were bound and placed above; what is left is to repaint
	// them and, when the content's height or the offset changed, the
	// scroll bar — without refreshing every row again.
	switch {
	case total != oldTotal:
		l.scroll.Offset.Y = top
		l.scroll.Refresh()
	case l.scroll.Offset.Y != top:
		l.scroll.ScrollToOffset(fyne.NewPos(0, top))
		canvas.Refresh(l.content)
	default:
		canvas.Refresh(l.content)
	}
	if l.onScrolled != nil {
		l.onScrolled(l.hs.at(top), l.hs.at(top+viewH-1), l.atBottom())
	}
}

// top is where the view starts: the bottom when following, else the
// anchor's offset, within the content.
func (l *vlist) top(viewH float32) float32 {
	total := l.hs.total()
	if l.follow {
		return max(0, total-viewH)
	}
	a := min(max(l.anchor, 0), max(l.hs.len()-1, 0))
	return min(max(0, l.hs.offset(a)+l.anchorDelta), max(0, total-viewH))
}

// atBottom reports whether the last row is in view.
func (l *vlist) atBottom() bool {
	return l.scroll.Offset.Y+l.scroll.Size().Height >= l.hs.total()-1
}

// scrolled follows the user's scrolling: the anchor moves to the row now
// at the top, and reaching the bottom follows it again.
func (l *vlist) scrolled() {
	if l.inUpdate {
		return
	}
	y := l.scroll.Offset.Y
	l.follow = y+l.scroll.Size().Height >= l.hs.total()-1
	l.anchor = l.hs.at(y)
	l.anchorDelta = y - l.hs.offset(l.anchor)
	l.update(false)
}

// rowFor returns row i's widget, binding a recycled or new one if it is
// not shown yet (or when rebind is set).
func (l *vlist) rowFor(i int, rebind bool) fyne.CanvasObject {
	if o, ok := l.shown[i]; ok {
		if rebind {
			l.bind(i, o)
		}
		return o
	}
	var o fyne.CanvasObject
	if k := len(l.pool); k > 0 {
		o, l.pool = l.pool[k-1], l.pool[:k-1]
	} else {
		o = l.create()
		l.created++
	}
	l.bind(i, o)
	l.shown[i] = o
	return o
}

// vlistLayout sizes the scrolled content to the rows' total height; the
// list itself places the rows.
type vlistLayout struct{ l *vlist }

func (v *vlistLayout) Layout([]fyne.CanvasObject, fyne.Size) {}

func (v *vlistLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(0, v.l.hs.total())
}
