package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// pollView shows a poll inside its message: the question, one row per
// option with a bar of its share of the votes and its count (tap an option
// to vote; tap your choice again to take it back), and a footer with the
// number of voters, whether it takes several answers, when it closes, and
// buttons to see who voted and to close it.
type pollView struct {
	widget.BaseWidget
	row      *msgRow
	p        *api.Poll
	canVote  bool
	canClose bool

	question *widget.RichText
	options  []*pollOption
	footer   *canvas.Text
	voters   *widget.Button
	closeBtn *widget.Button
	heightW  float32
	height   float32
}

func newPollView(row *msgRow) *pollView {
	v := &pollView{row: row}
	v.question = widget.NewRichText()
	v.question.Wrapping = fyne.TextWrapWord
	v.footer = canvas.NewText("", color.Transparent)
	v.footer.TextSize = theme.CaptionTextSize()
	v.voters = widget.NewButton("See votes", func() { v.row.act.showVoters(v.row.d.index) })
	v.voters.Importance = widget.LowImportance
	v.closeBtn = widget.NewButton("Close poll", func() { v.row.act.closePoll(v.row.d.index) })
	v.closeBtn.Importance = widget.LowImportance
	v.ExtendBaseWidget(v)
	return v
}

func (v *pollView) bind(p *api.Poll, canVote, canClose bool, now time.Time) {
	over := pollOver(p, now)
	v.p, v.canVote, v.canClose = p, canVote && !over, canClose && !over
	v.question.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: p.Question, Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}}}}
	for len(v.options) < len(p.Options) {
		i := len(v.options)
		v.options = append(v.options, newPollOption(func() { v.row.act.vote(v.row.d.index, i) }))
	}
	top := 0
	for _, o := range p.Options {
		top = max(top, o.Votes)
	}
	for i, o := range p.Options {
		po := v.options[i]
		po.full, po.text.Text = o.Text, o.Text
		po.count.Text = fmt.Sprint(o.Votes)
		po.chosen = slices.Contains(p.MyChoices, i)
		po.multi = p.Multi
		po.enabled = v.canVote
		po.share = 0
		if p.Voters > 0 {
			po.share = float32(o.Votes) / float32(p.Voters)
		}
		po.leading = o.Votes > 0 && o.Votes == top
	}
	var f []string
	switch p.Voters {
	case 0:
		f = append(f, "No votes yet")
	case 1:
		f = append(f, "1 vote")
	default:
		f = append(f, fmt.Sprintf("%d votes", p.Voters))
	}
	if p.Multi {
		f = append(f, "choose any")
	} else {
		f = append(f, "choose one")
	}
	switch {
	case p.Closed:
		f = append(f, "closed")
	case over:
		f = append(f, "closed "+p.Closes.Local().Format("Mon Jan 2, 15:04"))
	case p.Closes != nil:
		f = append(f, "closes "+p.Closes.Local().Format("Mon Jan 2, 15:04"))
	}
	v.footer.Text = strings.Join(f, " · ")
	v.heightW = 0
}

// summary is the poll as text, for tests: question, each option with its
// count and a mark on your choices, and the footer.
func (v *pollView) summary() string {
	if v.p == nil {
		return ""
	}
	parts := []string{richString(v.question)}
	for i := range v.p.Options {
		o := v.options[i]
		mark := ""
		if o.chosen {
			mark = "✓"
		}
		parts = append(parts, fmt.Sprintf("%s%s %s", mark, o.full, o.count.Text))
	}
	return strings.Join(append(parts, v.footer.Text), " / ")
}

func (v *pollView) heightAt(w float32) float32 {
	if v.heightW == w && v.height > 0 {
		return v.height
	}
	v.height = v.layout(w, false)
	v.heightW = w
	return v.height
}

func (v *pollView) layout(w float32, place bool) float32 {
	if v.p == nil {
		return 0
	}
	inner := theme.InnerPadding()
	v.question.Resize(fyne.NewSize(w+inner, v.question.Size().Height))
	qh := v.question.MinSize().Height
	if place {
		v.question.Move(fyne.NewPos(-inner/2, -inner/1.5))
		v.question.Resize(fyne.NewSize(w+inner, qh))
	}
	y := qh - inner
	for i := range v.p.Options {
		o := v.options[i]
		h := o.MinSize().Height
		if place {
			o.Move(fyne.NewPos(0, y))
			o.Resize(fyne.NewSize(w, h))
		}
		y += h + 2
	}
	fh := max(v.footer.MinSize().Height, v.voters.MinSize().Height)
	var buttons []*widget.Button
	if v.p.Voters > 0 {
		buttons = append(buttons, v.voters)
	}
	if v.canClose {
		buttons = append(buttons, v.closeBtn)
	}
	bw := float32(0)
	for _, b := range buttons {
		bw += b.MinSize().Width
	}
	// The buttons go beside the footer when both fit, else below it.
	by := y
	if v.footer.MinSize().Width+bw+8 > w && len(buttons) > 0 {
		by = y + v.footer.MinSize().Height + 2
	}
	if place {
		v.footer.Move(fyne.NewPos(2, y+(fh-v.footer.MinSize().Height)/2))
		v.footer.Resize(fyne.NewSize(w, v.footer.MinSize().Height))
		x := w
		for i := len(buttons) - 1; i >= 0; i-- {
			s := buttons[i].MinSize()
			x -= s.Width
			buttons[i].Move(fyne.NewPos(x, by))
			buttons[i].Resize(s)
		}
	}
	if len(buttons) == 0 {
		return y + v.footer.MinSize().Height + 2
	}
	return by + fh
}

// CreateRenderer implements fyne.Widget.
func (v *pollView) CreateRenderer() fyne.WidgetRenderer {
	rend := &pollRenderer{v: v}
	rend.Refresh()
	return rend
}

type pollRenderer struct{ v *pollView }

func (r *pollRenderer) Layout(s fyne.Size) { r.v.layout(s.Width, true) }

func (r *pollRenderer) MinSize() fyne.Size {
	w := r.v.Size().Width
	if w <= 0 {
		w = 300
	}
	return fyne.NewSize(100, r.v.heightAt(w))
}

func (r *pollRenderer) Refresh() {
	v := r.v
	v.footer.Color = themeColor(theme.ColorNamePlaceHolder)
	v.question.Refresh()
	if v.p != nil {
		for _, o := range v.options[:len(v.p.Options)] {
			o.Refresh()
		}
	}
	r.Layout(v.Size())
	v.footer.Refresh()
}

func (r *pollRenderer) Objects() []fyne.CanvasObject {
	v := r.v
	if v.p == nil {
		return nil
	}
	objs := []fyne.CanvasObject{v.question}
	for _, o := range v.options[:len(v.p.Options)] {
		objs = append(objs, o)
	}
	objs = append(objs, v.footer)
	if v.p.Voters > 0 {
		objs = append(objs, v.voters)
	}
	if v.canClose {
		objs = append(objs, v.closeBtn)
	}
	return objs
}

func (r *pollRenderer) Destroy() {}

// pollOption is one option: a check or radio mark, the text, the count,
// and a bar of its share of the voters.
type pollOption struct {
	widget.BaseWidget
	mark    *canvas.Text
	text    *canvas.Text
	full    string // the option's text, which layout cuts to fit
	count   *canvas.Text
	track   *canvas.Rectangle
	bar     *canvas.Rectangle
	chosen  bool
	multi   bool
	enabled bool
	leading bool
	share   float32
	hovered bool
	onTap   func()
}

var _ desktop.Hoverable = (*pollOption)(nil)

func newPollOption(onTap func()) *pollOption {
	o := &pollOption{onTap: onTap}
	o.mark = canvas.NewText("○", color.Transparent)
	o.text = canvas.NewText("", color.Transparent)
	o.count = canvas.NewText("", color.Transparent)
	o.count.TextStyle.Bold = true
	o.track = canvas.NewRectangle(color.Transparent)
	o.track.CornerRadius = 3
	o.bar = canvas.NewRectangle(color.Transparent)
	o.bar.CornerRadius = 3
	o.ExtendBaseWidget(o)
	return o
}

// Tapped votes for (or takes back) this option.
func (o *pollOption) Tapped(*fyne.PointEvent) {
	if o.enabled && o.onTap != nil {
		o.onTap()
	}
}

// MouseIn implements desktop.Hoverable.
func (o *pollOption) MouseIn(*desktop.MouseEvent) { o.hovered = true; o.Refresh() }

// MouseMoved implements desktop.Hoverable.
func (o *pollOption) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (o *pollOption) MouseOut() { o.hovered = false; o.Refresh() }

// Cursor shows a hand over an option one can vote for.
func (o *pollOption) Cursor() desktop.Cursor {
	if o.enabled {
		return desktop.PointerCursor
	}
	return desktop.DefaultCursor
}

// MinSize implements fyne.Widget.
func (o *pollOption) MinSize() fyne.Size {
	return fyne.NewSize(120, o.text.MinSize().Height+14)
}

// CreateRenderer implements fyne.Widget.
func (o *pollOption) CreateRenderer() fyne.WidgetRenderer {
	rend := &pollOptionRenderer{o: o}
	rend.Refresh()
	return rend
}

type pollOptionRenderer struct{ o *pollOption }

func (r *pollOptionRenderer) Layout(s fyne.Size) {
	o := r.o
	th := o.text.MinSize().Height
	o.mark.Move(fyne.NewPos(2, 2))
	o.mark.Resize(fyne.NewSize(18, th))
	cw := o.count.MinSize().Width
	o.count.Move(fyne.NewPos(s.Width-cw-2, 2))
	o.count.Resize(fyne.NewSize(cw, th))
	fitText(o.text, o.full, max(0, s.Width-cw-32))
	o.text.Move(fyne.NewPos(24, 2))
	o.text.Resize(fyne.NewSize(max(0, s.Width-cw-32), th))
	o.track.Move(fyne.NewPos(24, th+6))
	o.track.Resize(fyne.NewSize(max(0, s.Width-26), 5))
	o.bar.Move(fyne.NewPos(24, th+6))
	o.bar.Resize(fyne.NewSize(max(0, s.Width-26)*o.share, 5))
}

func (r *pollOptionRenderer) MinSize() fyne.Size { return r.o.MinSize() }

func (r *pollOptionRenderer) Refresh() {
	o := r.o
	switch {
	case o.multi && o.chosen:
		o.mark.Text = "☑"
	case o.multi:
		o.mark.Text = "☐"
	case o.chosen:
		o.mark.Text = "◉"
	default:
		o.mark.Text = "○"
	}
	fg := themeColor(theme.ColorNameForeground)
	o.text.Color, o.count.Color = fg, fg
	o.text.TextStyle.Bold = o.chosen
	o.mark.Color = themeColor(theme.ColorNamePlaceHolder)
	if o.chosen {
		o.mark.Color = themeColor(theme.ColorNamePrimary)
	}
	o.track.FillColor = themeColor(colorNameBar)
	o.bar.FillColor = themeColor(theme.ColorNamePrimary)
	if !o.leading {
		c := themeColor(theme.ColorNamePrimary)
		rr, g, b, _ := c.RGBA()
		o.bar.FillColor = colorRGBA(rr, g, b, 0x90)
	}
	if o.hovered && o.enabled {
		o.track.FillColor = themeColor(theme.ColorNameHover)
	}
	r.Layout(o.Size())
	for _, x := range r.Objects() {
		canvas.Refresh(x)
	}
}

func (r *pollOptionRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.o.track, r.o.bar, r.o.mark, r.o.text, r.o.count}
}

func (r *pollOptionRenderer) Destroy() {}

// pollOver reports whether poll p takes no more votes: closed by its
// author or an admin, or past its closing time (votes after it are not
// counted by anyone, so the app does not offer them).
func pollOver(p *api.Poll, now time.Time) bool {
	return p.Closed || (p.Closes != nil && !now.Before(*p.Closes))
}
