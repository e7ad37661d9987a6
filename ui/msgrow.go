package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// rowData is what one row of the conversation shows.
type rowData struct {
	index int
	m     api.Message
	// header: show the avatar, name and time (not a follow-up by the same
	// author a moment later).
	header bool
	day    string // a day separator above the message, when it starts a day
	unread bool   // the "New messages" divider above it
	// highlight: the message was jumped to, or is the current search hit.
	highlight bool
	query     string   // the search term to mark in it
	mentions  []string // names of the members it mentions
	role      string   // the author's role, for a badge ("owner", "admin")
	time      string   // the time to show
	canVote   bool     // the local member may vote in this poll
	canClose  bool     // … and close it
	// file is the transfer of the file the message shares, nil when it
	// shares none (or was deleted or hidden).
	file    *transfer
	canRSVP bool   // the local member may answer this event
	canCall bool   // … and take part in its group's calls (eventcall.go)
	answer  string // the text of this question's marked answer, when loaded
	// callJoined is, on the row of a call, how many take part in it now
	// as the call strip knows it; -1 when the strip does not show it.
	callJoined int
	// callIn: the member takes part in the call of this row (its Join
	// says Open call).
	callIn bool
}

// rowActions is what a row's buttons do, implemented by the conversation.
type rowActions interface {
	openMenu(index int, at fyne.Position, from fyne.CanvasObject)
	toggleReaction(index int, emoji string)
	pickReaction(index int, from fyne.CanvasObject)
	jumpToQuote(index int)
	vote(index, option int)
	closePoll(index int)
	// rsvp answers the event of row index (teamcard.go).
	rsvp(index int, answer string)
	// exportEvent saves the event of row index for a calendar.
	exportEvent(index int)
	// joinEventCall joins or starts the call of the event of row index
	// (eventcall.go).
	joinEventCall(index int)
	// joinCall joins the call of row index, or opens its window when the
	// member is in it (callrow.go).
	joinCall(index int)
	showVoters(index int)
	// fileAction does what a file's button says ("Download", "Pause",
	// "Resume", "Retry", "Cancel", "Open", "Save as…", "View").
	fileAction(index int, what string)
	selfName() string
	// now is the app's clock, for polls whose closing time passed.
	now() time.Time
	// resized is told when a row's height may have changed by itself.
	resized()
}

const (
	avatarSize = 34
	rowPad     = 6
)

// msgRow is one message in the conversation: optional day separator and
// unread divider, avatar, name, time and marks, the quoted message it
// answers, the text (or a deletion or removal notice), a poll, and its
// reactions. Rows are recycled by the list; bind fills one.
type msgRow struct {
	widget.BaseWidget
	act rowActions
	d   rowData

	bg        *canvas.Rectangle
	day       *canvas.Text
	dayLines  [2]*canvas.Rectangle
	unread    *canvas.Text
	unreadBar *canvas.Rectangle
	avatar    *canvas.Circle
	avatarTxt *canvas.Text
	photo     *canvas.Image // the author's photo, shown instead of avatar and avatarTxt when set
	name      *canvas.Text
	badge     *canvas.Text
	meta      *canvas.Text // time, edited, pinned
	quoteBg   *canvas.Rectangle
	quoteBar  *canvas.Rectangle
	quoteName *canvas.Text
	quoteText *canvas.Text
	// full texts of name, quoteName and quoteText, which layout cuts
	// to the width they have.
	nameFull, quoteNameFull, quoteTextFull string
	body                                   *widget.RichText
	// bodySegs are the body's segments unwrapped; body shows them cut
	// into lines by wrapWords for width bodyW.
	bodySegs []widget.RichTextSegment
	bodyW    float32
	// title is a promotion card's headline, over its image, with titleSegs
	// its segments unwrapped (nil for any other row), wrapped for titleW.
	title     *widget.RichText
	titleSegs []widget.RichTextSegment
	titleW    float32
	poll      *pollView
	// file is made for the first file the row shows; on a promotion's
	// card it shows the file's name and buttons under the text, and
	// fileImg the file's image under the title (splitsFile).
	file     *fileView
	fileImg  *fileView
	rsvp     *rsvpView      // an event's answers
	callJoin *widget.Button // an active call's Join (showsCallJoin)
	chips    []*chip
	addChip  *chip
	menu     *widget.Button
	hovered  bool

	heightW float32 // width the layout was computed for
	height  float32
	// promoAt is where the row's promotion stood when bound (promoPhase).
	promoAt int
}

var _ fyne.SecondaryTappable = (*msgRow)(nil)
var _ desktop.Hoverable = (*msgRow)(nil)

func newMsgRow(act rowActions) *msgRow {
	r := &msgRow{act: act}
	r.bg = canvas.NewRectangle(color.Transparent)
	r.bg.CornerRadius = 6
	r.day = canvas.NewText("", color.Transparent)
	r.day.TextSize = theme.CaptionTextSize()
	r.day.TextStyle.Bold = true
	r.day.Alignment = fyne.TextAlignCenter
	r.dayLines = [2]*canvas.Rectangle{canvas.NewRectangle(color.Transparent), canvas.NewRectangle(color.Transparent)}
	r.unread = canvas.NewText("New messages", color.Transparent)
	r.unread.TextSize = theme.CaptionTextSize()
	r.unread.TextStyle.Bold = true
	r.unreadBar = canvas.NewRectangle(color.Transparent)
	r.avatar = canvas.NewCircle(color.Transparent)
	r.avatarTxt = canvas.NewText("", color.White)
	r.avatarTxt.TextStyle.Bold = true
	r.avatarTxt.TextSize = 13
	r.avatarTxt.Alignment = fyne.TextAlignCenter
	r.photo = newRoundImage()
	r.name = canvas.NewText("", color.Transparent)
	r.name.TextStyle.Bold = true
	r.badge = canvas.NewText("", color.Transparent)
	r.badge.TextSize = theme.CaptionTextSize()
	r.badge.TextStyle.Bold = true
	r.meta = canvas.NewText("", color.Transparent)
	r.meta.TextSize = theme.CaptionTextSize()
	r.quoteBg = canvas.NewRectangle(color.Transparent)
	r.quoteBg.CornerRadius = 4
	r.quoteBar = canvas.NewRectangle(color.Transparent)
	r.quoteName = canvas.NewText("", color.Transparent)
	r.quoteName.TextStyle.Bold = true
	r.quoteName.TextSize = theme.CaptionTextSize()
	r.quoteText = canvas.NewText("", color.Transparent)
	r.quoteText.TextSize = theme.CaptionTextSize()
	r.body = widget.NewRichText()
	r.body.Wrapping = fyne.TextWrapWord
	r.title = widget.NewRichText()
	r.title.Wrapping = fyne.TextWrapWord
	r.poll = newPollView(r)
	r.rsvp = newRSVPView(r)
	r.callJoin = widget.NewButton("Join", func() { r.act.joinCall(r.d.index) })
	r.callJoin.Importance = widget.SuccessImportance
	r.addChip = newChip("☺ +", func() { r.act.pickReaction(r.d.index, r.addChip) })
	r.menu = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), func() {
		r.act.openMenu(r.d.index, fyne.NewPos(0, 0), r.menu)
	})
	r.menu.Importance = widget.LowImportance
	r.ExtendBaseWidget(r)
	return r
}

// bind shows d.
func (r *msgRow) bind(d rowData) {
	r.d = d
	m := d.m
	r.day.Text = d.day
	r.nameFull = m.AuthorName
	if m.Mine {
		r.nameFull = "You"
	}
	r.name.Text = r.nameFull
	r.avatarTxt.Text = initials(m.AuthorName)
	r.photo.Image = pictureOf(m.AuthorPhoto)
	switch {
	case m.Mine:
		r.badge.Text = ""
	case d.role == "owner", d.role == "admin":
		r.badge.Text = strings.ToUpper(roleTag(d.role))
	default:
		r.badge.Text = ""
	}
	var marks []string
	marks = append(marks, d.time)
	if m.Edited && !m.Deleted {
		marks = append(marks, "edited")
	}
	if m.Pinned {
		marks = append(marks, "📌 pinned")
	}
	r.meta.Text = strings.Join(marks, " · ")
	r.bindQuote(m)
	r.bindBody(d)
	r.bindReactions(m)
	if m.Promo != nil {
		r.promoAt = promoPhase(m.Promo, r.act.now())
	}
	if m.Poll != nil && !m.Deleted && m.Hidden == "" {
		r.poll.bind(m.Poll, d.canVote, d.canClose, r.act.now())
	}
	if d.file != nil {
		if r.file == nil {
			r.file = newFileView(r)
		}
		r.file.part = fileWhole
		if r.splitsFile() {
			if r.fileImg == nil {
				r.fileImg = newFileView(r)
				r.fileImg.part = fileImageOnly
			}
			r.fileImg.bind(d.file)
			r.file.part = fileBlockOnly
		}
		r.file.bind(d.file)
	}
	if r.showsRSVP() {
		r.rsvp.bind(m.Event, d.canRSVP, d.canCall, r.act.now())
	}
	if r.showsCallJoin() {
		r.callJoin.SetText(callJoinLabel(d.callIn))
	}
	r.heightW = 0
	r.Refresh()
}

func (r *msgRow) bindQuote(m api.Message) {
	q := m.Quote
	if q == nil {
		return
	}
	switch {
	case q.Missing:
		r.quoteNameFull, r.quoteTextFull = "↩ Reply", "to a message that is not here"
	case q.Deleted:
		r.quoteNameFull, r.quoteTextFull = "↩ "+q.AuthorName, "This message was deleted"
	case q.Hidden:
		r.quoteNameFull, r.quoteTextFull = "↩ "+q.AuthorName, "Hidden by a removal"
	default:
		r.quoteNameFull, r.quoteTextFull = "↩ "+q.AuthorName, ellipsize(q.Text, 90)
	}
	r.quoteName.Text, r.quoteText.Text = r.quoteNameFull, r.quoteTextFull
}

func (r *msgRow) bindBody(d rowData) {
	m := d.m
	r.titleSegs = nil
	italic := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Italic: true}}
	switch {
	case m.Hidden != "":
		r.bodySegs = []widget.RichTextSegment{&widget.TextSegment{
			Text:  "⚠ Hidden: " + m.Hidden + ". Everyone sees this marker instead of the message.",
			Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameWarning, TextStyle: fyne.TextStyle{Italic: true}}}}
	case m.Deleted:
		text := "This message was deleted"
		if m.DeletedBy != "" && m.DeletedBy != m.AuthorName {
			text += " by " + m.DeletedBy
		}
		r.bodySegs = []widget.RichTextSegment{&widget.TextSegment{Text: text, Style: italic}}
	case m.Poll != nil:
		r.bodySegs = splitEmoji([]widget.RichTextSegment{&widget.TextSegment{Text: "📊 Poll", Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Bold: true}}}})
	case m.Call != nil:
		r.bodySegs = callSegments(m, d.callJoined)
	case m.Promo != nil:
		r.titleSegs, r.bodySegs = cardSegments(m, d, r.act.now())
	case m.Win != nil || m.Event != nil:
		title, body := cardSegments(m, d, r.act.now())
		r.bodySegs = append(append(title, &widget.TextSegment{Text: "\n", Style: widget.RichTextStyleInline}), body...)
	default:
		r.bodySegs = bodySegments(m.Text, d.mentions, d.query)
	}
	if m.Answer != nil && !m.Deleted && m.Hidden == "" {
		r.bodySegs = append(r.bodySegs, answerSegments(d)...)
	}
	r.body.Segments, r.bodyW = r.bodySegs, -1
	r.title.Segments, r.titleW = r.titleSegs, -1
}

// splitsFile reports whether the row is a promotion's card with a file:
// its title first, then the file's image, the text and dates, and last
// the file's name and buttons, as messengers show a promotion.
func (r *msgRow) splitsFile() bool {
	return r.d.file != nil && r.titleSegs != nil
}

func (r *msgRow) bindReactions(m api.Message) {
	for len(r.chips) < len(m.Reactions) {
		r.chips = append(r.chips, newChip("", nil))
	}
	for i, re := range m.Reactions {
		c := r.chips[i]
		emoji := re.Emoji
		c.setText(fmt.Sprintf("%s %d", re.Emoji, re.Count))
		c.mine = re.Mine
		c.who = reactedBy(re, r.act.selfName())
		c.onTap = func() { r.act.toggleReaction(r.d.index, emoji) }
		c.onHover = func() {
			r.heightW = 0
			r.Refresh()
			r.act.resized()
		}
	}
}

// reactedBy says who chose a reaction, "You" first when you did.
func reactedBy(re api.Reaction, self string) string {
	names := make([]string, 0, len(re.By))
	if re.Mine {
		names = append(names, "You")
	}
	mineSkipped := false
	for _, n := range re.By {
		if re.Mine && n == self && !mineSkipped {
			mineSkipped = true
			continue
		}
		names = append(names, n)
	}
	return re.Emoji + " " + strings.Join(names, ", ")
}

// Tapped implements fyne.Tappable (a tap on the row does nothing, but
// lets the hover state clear on touch screens).
func (r *msgRow) Tapped(*fyne.PointEvent) {}

// TappedSecondary opens the message's menu (right click).
func (r *msgRow) TappedSecondary(e *fyne.PointEvent) {
	r.act.openMenu(r.d.index, e.AbsolutePosition, nil)
}

// MouseIn shows the menu button.
func (r *msgRow) MouseIn(*desktop.MouseEvent) { r.setHovered(true) }

// MouseMoved implements desktop.Hoverable.
func (r *msgRow) MouseMoved(*desktop.MouseEvent) {}

// MouseOut hides the menu button.
func (r *msgRow) MouseOut() { r.setHovered(false) }

// setHovered shows or hides the hover's controls. The "☺ +" chip may take
// a line of its own, so the list measures the row again rather than let
// the chip spill over the next message.
func (r *msgRow) setHovered(on bool) {
	if r.hovered == on {
		return
	}
	r.hovered = on
	r.heightW = 0
	r.Refresh()
	r.act.resized()
}

// summary is what the row shows, as text, for tests and accessibility:
// name, time and marks, quote, body, poll and reactions.
func (r *msgRow) summary() string {
	var parts []string
	if r.d.day != "" {
		parts = append(parts, "["+r.d.day+"]")
	}
	if r.d.unread {
		parts = append(parts, "[New messages]")
	}
	if r.d.header {
		head := r.nameFull
		if r.badge.Text != "" {
			head += " " + r.badge.Text
		}
		parts = append(parts, head+" "+r.meta.Text)
	} else if r.d.m.Edited || r.d.m.Pinned {
		parts = append(parts, r.meta.Text)
	}
	if r.d.m.Quote != nil {
		parts = append(parts, "> "+r.quoteNameFull+": "+r.quoteTextFull)
	}
	if r.d.file != nil && !r.splitsFile() {
		parts = append(parts, r.file.summary())
	}
	if r.titleSegs != nil {
		parts = append(parts, segmentsString(r.titleSegs))
	}
	if r.splitsFile() && r.fileImg.hasImage() {
		parts = append(parts, r.fileImg.summary())
	}
	if !r.captionless() {
		parts = append(parts, segmentsString(r.bodySegs))
	}
	if r.splitsFile() {
		parts = append(parts, r.file.summary())
	}
	if r.d.m.Poll != nil && !r.d.m.Deleted && r.d.m.Hidden == "" {
		parts = append(parts, r.poll.summary())
	}
	if r.showsRSVP() {
		parts = append(parts, r.rsvp.summary())
	}
	if r.showsCallJoin() {
		parts = append(parts, "["+r.callJoin.Text+"]")
	}
	for i := range r.d.m.Reactions {
		parts = append(parts, "("+r.chips[i].shown+")")
	}
	return strings.Join(parts, " | ")
}

// captionless reports whether the row shows a file with no text under it.
func (r *msgRow) captionless() bool {
	// A promotion's card shows over its file, with or without text.
	return r.d.file != nil && r.d.m.Promo == nil && strings.TrimSpace(r.d.m.Text) == ""
}

// CreateRenderer implements fyne.Widget.
func (r *msgRow) CreateRenderer() fyne.WidgetRenderer {
	rend := &msgRowRenderer{r: r}
	rend.Refresh()
	return rend
}

// heightAt lays the row out at width w and returns its height.
func (r *msgRow) heightAt(w float32) float32 {
	if r.heightW == w && r.height > 0 {
		return r.height
	}
	r.height = r.layout(w, false)
	r.heightW = w
	return r.height
}

// layout computes (and, when place is set, applies) the positions of the
// row's parts at width w, returning the height.
func (r *msgRow) layout(w float32, place bool) float32 {
	d := r.d
	pad := float32(rowPad)
	gutter := float32(avatarSize) + 3*pad
	y := float32(0)
	if d.day != "" {
		h := r.day.MinSize().Height
		if place {
			tw := r.day.MinSize().Width + 4*pad
			r.day.Move(fyne.NewPos(0, y+pad))
			r.day.Resize(fyne.NewSize(w, h))
			lw := max(0, (w-tw)/2-2*pad)
			r.dayLines[0].Move(fyne.NewPos(2*pad, y+pad+h/2))
			r.dayLines[0].Resize(fyne.NewSize(lw, 1))
			r.dayLines[1].Move(fyne.NewPos(w-2*pad-lw, y+pad+h/2))
			r.dayLines[1].Resize(fyne.NewSize(lw, 1))
		}
		y += h + 2*pad
	}
	if d.unread {
		h := r.unread.MinSize().Height
		if place {
			tw := r.unread.MinSize().Width
			r.unreadBar.Move(fyne.NewPos(pad, y+pad+h/2))
			r.unreadBar.Resize(fyne.NewSize(max(0, w-tw-6*pad), 1.5))
			r.unread.Move(fyne.NewPos(w-tw-3*pad, y+pad))
			r.unread.Resize(fyne.NewSize(tw, h))
		}
		y += h + 2*pad
	}
	top := y
	y += pad / 2
	if d.header {
		nh := r.name.MinSize().Height
		if place {
			r.avatar.Move(fyne.NewPos(pad*1.5, y+pad/2))
			r.avatar.Resize(fyne.NewSize(avatarSize, avatarSize))
			th := r.avatarTxt.MinSize().Height
			r.avatarTxt.Move(fyne.NewPos(pad*1.5, y+pad/2+(avatarSize-th)/2))
			r.avatarTxt.Resize(fyne.NewSize(avatarSize, th))
			placeRound(r.photo, fyne.NewPos(pad*1.5, y+pad/2), avatarSize)
			x := gutter
			fitText(r.name, r.nameFull, max(40, w-gutter-220))
			nw := r.name.MinSize().Width
			r.name.Move(fyne.NewPos(x, y))
			r.name.Resize(fyne.NewSize(nw, nh))
			x += nw + pad
			if r.badge.Text != "" {
				bw := r.badge.MinSize().Width
				r.badge.Move(fyne.NewPos(x, y+(nh-r.badge.MinSize().Height)/2))
				r.badge.Resize(fyne.NewSize(bw, r.badge.MinSize().Height))
				x += bw + pad
			}
			mh := r.meta.MinSize().Height
			r.meta.Move(fyne.NewPos(x, y+(nh-mh)/2))
			r.meta.Resize(fyne.NewSize(max(0, w-x-40), mh))
		}
		y += nh
	} else if (d.m.Edited && !d.m.Deleted) || d.m.Pinned {
		mh := r.meta.MinSize().Height
		if place {
			r.meta.Move(fyne.NewPos(gutter, y))
			r.meta.Resize(fyne.NewSize(max(0, w-gutter-40), mh))
		}
		y += mh
	}
	if place {
		bs := r.menu.MinSize()
		r.menu.Move(fyne.NewPos(w-bs.Width-pad, top))
		r.menu.Resize(bs)
	}
	contentW := max(60, w-gutter-pad)
	if d.m.Quote != nil {
		qh := r.quoteName.MinSize().Height + r.quoteText.MinSize().Height + pad
		fitText(r.quoteName, r.quoteNameFull, contentW-3*pad)
		fitText(r.quoteText, r.quoteTextFull, contentW-3*pad)
		qw := min(contentW, max(r.quoteName.MinSize().Width, r.quoteText.MinSize().Width)+3*pad)
		if place {
			r.quoteBg.Move(fyne.NewPos(gutter, y+pad/2))
			r.quoteBg.Resize(fyne.NewSize(qw, qh))
			r.quoteBar.Move(fyne.NewPos(gutter, y+pad/2))
			r.quoteBar.Resize(fyne.NewSize(3, qh))
			r.quoteName.Move(fyne.NewPos(gutter+2*pad, y+pad))
			r.quoteName.Resize(fyne.NewSize(qw-3*pad, r.quoteName.MinSize().Height))
			r.quoteText.Move(fyne.NewPos(gutter+2*pad, y+pad+r.quoteName.MinSize().Height))
			r.quoteText.Resize(fyne.NewSize(qw-3*pad, r.quoteText.MinSize().Height))
		}
		y += qh + pad
	}
	fw := min(contentW, fileMaxW)
	placeFile := func(v *fileView) {
		fh := v.heightAt(fw)
		if fh <= 0 {
			return
		}
		if place {
			v.Move(fyne.NewPos(gutter, y+pad/2))
			v.Resize(fyne.NewSize(fw, fh))
		}
		y += fh + pad
	}
	if r.titleSegs != nil {
		y = placeRich(r.title, r.titleSegs, &r.titleW, gutter, contentW, y, place)
	}
	switch {
	case r.splitsFile():
		y += pad / 2 // the image clear of the title's letters
		placeFile(r.fileImg)
	case d.file != nil:
		placeFile(r.file)
	}
	if !r.captionless() {
		y = placeRich(r.body, r.bodySegs, &r.bodyW, gutter, contentW, y, place)
	}
	if r.splitsFile() {
		placeFile(r.file)
	}
	if d.m.Poll != nil && !d.m.Deleted && d.m.Hidden == "" {
		pw := min(contentW, 460)
		ph := r.poll.heightAt(pw)
		if place {
			r.poll.Move(fyne.NewPos(gutter, y+pad))
			r.poll.Resize(fyne.NewSize(pw, ph))
		}
		y += ph + 2*pad
	}
	if r.showsRSVP() {
		rh := r.rsvp.heightAt(contentW)
		if place {
			r.rsvp.Move(fyne.NewPos(gutter, y+pad))
			r.rsvp.Resize(fyne.NewSize(contentW, rh))
		}
		y += rh + 2*pad
	}
	if r.showsCallJoin() {
		s := r.callJoin.MinSize()
		if place {
			r.callJoin.Move(fyne.NewPos(gutter, y+pad))
			r.callJoin.Resize(s)
		}
		y += s.Height + 2*pad
	}
	if n := len(d.m.Reactions); n > 0 || (r.hovered && d.m.Hidden == "" && !d.m.Deleted) {
		x, rowH := gutter, float32(0)
		chips := r.chips[:n]
		if d.m.Hidden == "" && !d.m.Deleted {
			chips = append(chips[:n:n], r.addChip)
		}
		y += pad / 2
		for _, c := range chips {
			s := c.MinSize()
			if x+s.Width > w-pad && x > gutter {
				x, y = gutter, y+rowH+pad/2
			}
			if place {
				c.Move(fyne.NewPos(x, y))
				c.Resize(s)
			}
			x += s.Width + pad
			rowH = s.Height
		}
		y += rowH + pad/2
	}
	y += pad
	if place {
		r.bg.Move(fyne.NewPos(pad/2, top))
		r.bg.Resize(fyne.NewSize(w-pad, y-top))
	}
	return y
}

// placeRich lays out rich text rt, showing segs wrapped to width contentW
// (*wrappedW is the width they were wrapped for), at y under what is above
// it in the row, and returns the y below it. The rich text pads itself by
// the theme's inner padding; this pulls it in.
func placeRich(rt *widget.RichText, segs []widget.RichTextSegment, wrappedW *float32, gutter, contentW, y float32, place bool) float32 {
	inner := theme.InnerPadding()
	if bw := contentW - inner; bw != *wrappedW {
		*wrappedW = bw
		rt.Segments = wrapWords(segs, bw, theme.SizeForWidget(theme.SizeNameText, rt))
		rt.Refresh()
	}
	rt.Resize(fyne.NewSize(contentW+inner, rt.Size().Height))
	h := rt.MinSize().Height
	if place {
		rt.Move(fyne.NewPos(gutter-inner/2, y-inner/1.5))
		rt.Resize(fyne.NewSize(contentW+inner, h))
	}
	return y + h - inner*1.2
}

// showsCallJoin: the row is an active call's, shown in the call strip,
// whose group the member may call in: it has a Join of its own.
func (r *msgRow) showsCallJoin() bool {
	return r.d.m.Call != nil && r.d.m.Call.Active && r.d.callJoined >= 0 && r.d.canCall
}

// showsRSVP: the row shows an event's answers.
func (r *msgRow) showsRSVP() bool {
	return r.d.m.Event != nil && !r.d.m.Deleted && r.d.m.Hidden == ""
}

type msgRowRenderer struct{ r *msgRow }

func (rr *msgRowRenderer) Layout(s fyne.Size) { rr.r.layout(s.Width, true) }

func (rr *msgRowRenderer) MinSize() fyne.Size {
	w := rr.r.Size().Width
	if w <= 0 {
		w = 400
	}
	return fyne.NewSize(100, rr.r.heightAt(w))
}

func (rr *msgRowRenderer) Refresh() {
	r := rr.r
	ac := authorColor(r.d.m.Author)
	r.avatar.FillColor = themeColor(ac)
	r.name.Color = themeColor(ac)
	if r.d.m.Mine {
		r.name.Color = themeColor(theme.ColorNameForeground)
	}
	dim := themeColor(theme.ColorNamePlaceHolder)
	r.day.Color, r.meta.Color, r.quoteText.Color = dim, dim, dim
	r.dayLines[0].FillColor, r.dayLines[1].FillColor = themeColor(theme.ColorNameSeparator), themeColor(theme.ColorNameSeparator)
	r.unread.Color, r.unreadBar.FillColor = themeColor(theme.ColorNameError), themeColor(theme.ColorNameError)
	r.badge.Color = themeColor(theme.ColorNamePrimary)
	r.quoteBg.FillColor, r.quoteBar.FillColor = themeColor(colorNameQuote), themeColor(theme.ColorNamePrimary)
	r.quoteName.Color = themeColor(theme.ColorNamePrimary)
	switch {
	case r.d.highlight:
		r.bg.FillColor = themeColor(colorNameHighlight)
	case r.d.m.MentionsMe:
		r.bg.FillColor = themeColor(colorNameMention)
	case r.hovered:
		r.bg.FillColor = themeColor(theme.ColorNameHover)
	default:
		r.bg.FillColor = color.Transparent
	}
	r.body.Refresh()
	if r.titleSegs != nil {
		r.title.Refresh()
	}
	for _, c := range r.chips {
		c.Refresh()
	}
	r.addChip.Refresh()
	if r.d.m.Poll != nil {
		r.poll.Refresh()
	}
	if r.d.file != nil {
		r.file.Refresh()
	}
	if r.splitsFile() {
		r.fileImg.Refresh()
	}
	if r.showsRSVP() {
		r.rsvp.Refresh()
	}
	r.heightW = 0
	rr.Layout(r.Size())
	for _, o := range rr.Objects() {
		if _, ok := o.(fyne.Widget); !ok {
			canvas.Refresh(o)
		}
	}
}

func (rr *msgRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	d := r.d
	objs := []fyne.CanvasObject{r.bg}
	if d.day != "" {
		objs = append(objs, r.dayLines[0], r.dayLines[1], r.day)
	}
	if d.unread {
		objs = append(objs, r.unreadBar, r.unread)
	}
	if d.header && r.photo.Image != nil {
		objs = append(objs, r.photo, r.name, r.badge, r.meta)
	} else if d.header {
		objs = append(objs, r.avatar, r.avatarTxt, r.name, r.badge, r.meta)
	} else if (d.m.Edited && !d.m.Deleted) || d.m.Pinned {
		objs = append(objs, r.meta)
	}
	if d.m.Quote != nil {
		objs = append(objs, r.quoteBg, r.quoteBar, r.quoteName, r.quoteText)
	}
	if r.titleSegs != nil {
		objs = append(objs, r.title)
	}
	if r.splitsFile() {
		objs = append(objs, r.fileImg)
	}
	if d.file != nil {
		objs = append(objs, r.file)
	}
	if !r.captionless() {
		objs = append(objs, r.body)
	}
	if d.m.Poll != nil && !d.m.Deleted && d.m.Hidden == "" {
		objs = append(objs, r.poll)
	}
	if r.showsRSVP() {
		objs = append(objs, r.rsvp)
	}
	if r.showsCallJoin() {
		objs = append(objs, r.callJoin)
	}
	for i := range d.m.Reactions {
		objs = append(objs, r.chips[i])
	}
	if r.hovered && d.m.Hidden == "" && !d.m.Deleted {
		objs = append(objs, r.addChip)
	}
	if r.hovered || (fyne.CurrentDevice().IsMobile()) {
		objs = append(objs, r.menu)
	}
	return objs
}

func (rr *msgRowRenderer) Destroy() {}

// chip is a small rounded, tappable label: a reaction with its count, or
// the button that adds one. Hovering a reaction shows who chose it in the
// chip itself (a pop-up would take the keyboard from the composer).
type chip struct {
	widget.BaseWidget
	bg      *canvas.Rectangle
	icon    *canvas.Image // the leading emoji, drawn as a picture (see emoji.go)
	text    *canvas.Text  // the rest
	shown   string        // all it shows: "🎉 2"
	label   string        // what it shows when not hovered: "🎉 2"
	mine    bool
	who     string // who reacted, shown on hover: "🎉 You, Chloe"
	hovered bool
	onTap   func()
	// onHover is told when the chip starts or stops showing who reacted
	// (its width changes).
	onHover func()
}

var _ desktop.Hoverable = (*chip)(nil)

func newChip(text string, onTap func()) *chip {
	c := &chip{onTap: onTap, label: text}
	c.bg = canvas.NewRectangle(color.Transparent)
	c.bg.CornerRadius = 10
	c.text = canvas.NewText(text, color.Transparent)
	c.text.TextSize = theme.TextSize() - 1
	c.icon = canvas.NewImageFromImage(nil)
	c.icon.FillMode = canvas.ImageFillContain
	c.icon.ScaleMode = canvas.ImageScaleSmooth
	c.show(text)
	c.ExtendBaseWidget(c)
	return c
}

func (c *chip) setText(s string) {
	c.label = s
	c.hovered = false
	c.show(s)
}

// chipEmojiGap is the space between a chip's emoji and its text.
const chipEmojiGap = 4

// emojiSize is the side of the chip's emoji (see emojiEm).
func (c *chip) emojiSize() float32 { return c.text.TextSize * emojiEm }

// show puts s in the chip, its leading emoji as a picture.
func (c *chip) show(s string) {
	c.shown = s
	c.icon.Image = nil
	if n := nextEmoji(s); n > 0 {
		if img := emojiImage(s[:n], int(c.emojiSize()*emojiOversample+0.5)); img != nil {
			c.icon.Image = img
			s = strings.TrimLeft(s[n:], " ")
		}
	}
	c.text.Text = s
}

// Tapped implements fyne.Tappable.
func (c *chip) Tapped(*fyne.PointEvent) {
	if c.onTap != nil {
		c.onTap()
	}
}

// MouseIn shows who reacted.
func (c *chip) MouseIn(*desktop.MouseEvent) { c.setHover(true) }

// MouseMoved implements desktop.Hoverable.
func (c *chip) MouseMoved(*desktop.MouseEvent) {}

// MouseOut shows the count again.
func (c *chip) MouseOut() { c.setHover(false) }

func (c *chip) setHover(on bool) {
	if c.who == "" || c.hovered == on {
		return
	}
	c.hovered = on
	if on {
		c.show(ellipsize(c.who, 60))
	} else {
		c.show(c.label)
	}
	c.Refresh()
	if c.onHover != nil {
		c.onHover()
	}
}

// MinSize implements fyne.Widget.
func (c *chip) MinSize() fyne.Size {
	s := c.text.MinSize()
	if c.text.Text == "" {
		s.Width = 0
	}
	if c.icon.Image != nil {
		e := c.emojiSize()
		if s.Width > 0 {
			s.Width += chipEmojiGap
		}
		s.Width += e
		s.Height = max(s.Height, e)
	}
	return fyne.NewSize(s.Width+16, s.Height+6)
}

// CreateRenderer implements fyne.Widget.
func (c *chip) CreateRenderer() fyne.WidgetRenderer {
	rend := &chipRenderer{c: c}
	rend.Refresh()
	return rend
}

type chipRenderer struct{ c *chip }

func (cr *chipRenderer) Layout(s fyne.Size) {
	c := cr.c
	c.bg.Resize(s)
	ts := c.text.MinSize()
	inner := c.MinSize().Width - 16
	x := (s.Width - inner) / 2
	if c.icon.Image != nil {
		e := c.emojiSize()
		c.icon.Move(fyne.NewPos(x, (s.Height-e)/2))
		c.icon.Resize(fyne.NewSquareSize(e))
		x += e + chipEmojiGap
	}
	c.text.Move(fyne.NewPos(x, (s.Height-ts.Height)/2))
	c.text.Resize(ts)
}

func (cr *chipRenderer) MinSize() fyne.Size { return cr.c.MinSize() }

func (cr *chipRenderer) Refresh() {
	c := cr.c
	if c.mine {
		c.bg.FillColor = themeColor(colorNameChipMine)
		c.bg.StrokeColor = themeColor(theme.ColorNamePrimary)
		c.bg.StrokeWidth = 1
	} else {
		c.bg.FillColor = themeColor(colorNameChip)
		c.bg.StrokeWidth = 0
	}
	c.text.Color = themeColor(theme.ColorNameForeground)
	c.icon.Hidden = c.icon.Image == nil
	cr.Layout(c.Size())
	c.bg.Refresh()
	c.icon.Refresh()
	c.text.Refresh()
}

func (cr *chipRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{cr.c.bg, cr.c.icon, cr.c.text}
}

func (cr *chipRenderer) Destroy() {}
