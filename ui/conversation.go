package ui

import (
	"context"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/node"
)

// conversation is the right-hand pane: a group's messages and the composer,
// or a welcome or hint when no group is open.
type conversation struct {
	a        *App
	root     *fyne.Container
	title    *widget.Label
	subtitle *widget.RichText
	list     *widget.List
	empty    *widget.Label
	composer *composer
	send     *widget.Button
	compose  *fyne.Container
	readOnly *widget.Label
	body     *fyne.Container // list or empty-state label
	header   *fyne.Container
	welcome  fyne.CanvasObject
	hint     *widget.Label
	sizer    *widthWatcher
}

func newConversation(a *App) *conversation {
	c := &conversation{a: a}
	c.title = heading("")
	c.title.Truncation = fyne.TextTruncateEllipsis
	c.subtitle = secondary("")
	c.list = widget.NewList(
		func() int { return len(c.a.messages) },
		newMessageRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { c.updateRow(i, o) })
	c.list.OnSelected = func(widget.ListItemID) { c.list.UnselectAll() }
	c.sizer = newWidthWatcher(c.list, c.measure)
	c.empty = widget.NewLabel("")
	c.empty.Alignment = fyne.TextAlignCenter
	c.empty.Wrapping = fyne.TextWrapWord
	c.composer = newComposer(c.post)
	c.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), func() { c.composer.send() })
	c.send.Importance = widget.HighImportance
	c.compose = container.NewBorder(nil, nil, nil, c.send, c.composer)
	c.readOnly = widget.NewLabel("Only admins can post announcements here.")
	c.readOnly.Alignment = fyne.TextAlignCenter
	c.readOnly.Importance = widget.LowImportance
	c.header = container.NewVBox(c.title, c.subtitle, widget.NewSeparator())
	c.body = container.NewStack(c.sizer)
	c.hint = widget.NewLabel("")
	c.hint.Alignment = fyne.TextAlignCenter
	c.hint.Wrapping = fyne.TextWrapWord
	c.hint.Importance = widget.LowImportance
	c.welcome = c.buildWelcome()
	c.root = container.NewStack()
	return c
}

func (c *conversation) buildWelcome() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Welcome to Umbrella, "+c.a.self.Name+"!", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	text := widget.NewLabel("Umbrella keeps your team together: announcements from your leader, groups for questions, training and wins — shared directly between your computers, with no server in the middle.\n\nStart your own community, or join your team with the invite link your leader sent you.")
	text.Wrapping = fyne.TextWrapWord
	text.Alignment = fyne.TextAlignCenter
	create := widget.NewButtonWithIcon("Create a community", theme.ContentAddIcon(), c.a.showCreateCommunity)
	create.Importance = widget.HighImportance
	join := widget.NewButtonWithIcon("Join with an invite link", theme.MailComposeIcon(), c.a.showJoin)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(480, 300),
		container.NewVBox(title, text, container.NewGridWithColumns(2, create, join))))
}

func (c *conversation) showWelcome() {
	c.root.Objects = []fyne.CanvasObject{c.welcome}
	c.root.Refresh()
}

func (c *conversation) showEmpty(hint string) {
	c.hint.SetText(hint)
	c.root.Objects = []fyne.CanvasObject{container.NewVBox(layout.NewSpacer(), c.hint, layout.NewSpacer())}
	c.root.Refresh()
}

// updateHeader shows the open group's name and details and reports
// whether the local member may post in it.
func (c *conversation) updateHeader() (canPost bool) {
	comm, g := c.a.selected()
	c.title.SetText(g.Name)
	switch {
	case g.Kind == node.GroupAnnouncement && comm.Role == "member":
		setSecondary(c.subtitle, "Announcements from the team's leaders")
		return false
	case g.Kind == node.GroupAnnouncement:
		setSecondary(c.subtitle, "Only admins can post here · everyone reads it")
	default:
		setSecondary(c.subtitle, comm.Name+" · "+memberCount(comm.Members))
	}
	return true
}

// open shows the selected group.
func (c *conversation) open() {
	canPost := c.updateHeader()
	bottom := fyne.CanvasObject(c.compose)
	if !canPost {
		bottom = c.readOnly
	}
	c.composer.SetText("")
	c.root.Objects = []fyne.CanvasObject{container.NewBorder(c.header, container.NewPadded(bottom), nil, nil, c.body)}
	c.root.Refresh()
	c.reload(true)
	if canPost {
		if cv := fyne.CurrentApp().Driver().CanvasForObject(c.composer); cv != nil {
			cv.Focus(c.composer)
		}
	}
}

// reload re-reads the open group's messages and keeps the view at the
// bottom when it was there (or when forced).
func (c *conversation) reload(forceBottom bool) {
	atBottom := c.isAtBottom()
	msgs, err := c.a.b.Messages(c.a.community, c.a.group)
	if err != nil {
		c.a.showError("Could not load messages", err)
		return
	}
	c.a.messages = msgs
	if len(msgs) == 0 {
		c.empty.SetText("No messages yet. Say hello and welcome your team!")
		c.body.Objects = []fyne.CanvasObject{container.NewVBox(layout.NewSpacer(), c.empty, layout.NewSpacer())}
	} else {
		c.body.Objects = []fyne.CanvasObject{c.sizer}
	}
	c.body.Refresh()
	c.measure(c.list.Size().Width)
	c.list.Refresh()
	if forceBottom || atBottom {
		c.list.ScrollToBottom()
	}
}

// isAtBottom reports whether the list shows its last message, so new
// messages should keep it scrolled to the bottom.
func (c *conversation) isAtBottom() bool {
	width, height := c.list.Size().Width, c.list.Size().Height
	if width <= 0 || len(c.a.messages) == 0 {
		return true
	}
	content := float32(0)
	for i := range c.a.messages {
		content += c.rowHeight(i, width) + theme.Padding()
	}
	return c.list.GetScrollOffset()+height >= content-4*theme.Padding()
}

// post sends the composer's text; the message appears through the
// backend's event.
func (c *conversation) post(text string) {
	comm, g := c.a.community, c.a.group
	c.composer.Disable()
	c.send.Disable()
	c.a.background(func() error {
		_, err := c.a.b.Post(context.Background(), comm, g, strings.TrimRight(text, "\n "))
		return err
	}, func(err error) {
		c.composer.Enable()
		c.send.Enable()
		if err != nil {
			c.a.showError("Your message was not sent", err)
			return
		}
		c.composer.SetText("")
		if c.a.community == comm && c.a.group == g {
			c.reload(true)
		}
		if cv := fyne.CurrentApp().Driver().CanvasForObject(c.composer); cv != nil {
			cv.Focus(c.composer)
		}
	})
}

// newMessageRow is the template of one message: one rich text with the
// author and time on the first line and the wrapped text below.
func newMessageRow() fyne.CanvasObject {
	rt := widget.NewRichText(
		&widget.TextSegment{Text: "Author", Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: "  00:00", Style: secondaryStyle(false)},
		&widget.TextSegment{Text: "text", Style: widget.RichTextStyleParagraph},
	)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// secondaryStyle is the style of dimmed, smaller text (times, counts).
func secondaryStyle(inline bool) widget.RichTextStyle {
	return widget.RichTextStyle{Inline: inline, ColorName: theme.ColorNamePlaceHolder, SizeName: theme.SizeNameCaptionText}
}

func (c *conversation) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(c.a.messages) {
		return
	}
	m := c.a.messages[i]
	rt := o.(*widget.RichText)
	name := m.AuthorName
	if m.Mine {
		name = "You"
	}
	rt.Segments[0].(*widget.TextSegment).Text = name
	rt.Segments[1].(*widget.TextSegment).Text = "  " + c.formatTime(m.Time)
	rt.Segments[2].(*widget.TextSegment).Text = m.Text
	rt.Refresh()
}

func (c *conversation) formatTime(t time.Time) string {
	now := c.a.now()
	t = t.In(now.Location())
	if y1, m1, d1 := t.Date(); true {
		if y2, m2, d2 := now.Date(); y1 == y2 && m1 == m2 && d1 == d2 {
			return t.Format("15:04")
		}
		if y1 == now.Year() {
			return t.Format("Jan 2 15:04")
		}
	}
	return t.Format("Jan 2 2006 15:04")
}

// measure sets each row's height for the list's width, from the wrapped
// line count of its text, so rows grow with long messages without
// creating a widget per message.
func (c *conversation) measure(width float32) {
	if width <= 0 {
		return
	}
	for i := range c.a.messages {
		c.list.SetItemHeight(i, c.rowHeight(i, width))
	}
}

func (c *conversation) rowHeight(i int, width float32) float32 {
	size := theme.TextSize()
	lineH := fyne.MeasureText("Ag", size, fyne.TextStyle{}).Height
	avail := width - 4*theme.InnerPadding()
	if avail < 50 {
		avail = 50
	}
	lines := 0
	for _, l := range strings.Split(c.a.messages[i].Text, "\n") {
		w := fyne.MeasureText(l, size, fyne.TextStyle{}).Width
		lines += max(1, int(math.Ceil(float64(w/avail))))
	}
	header := fyne.MeasureText("Ag", size, fyne.TextStyle{Bold: true}).Height + theme.LineSpacing()
	return header + float32(lines)*(lineH+theme.LineSpacing()) + 2*theme.InnerPadding()
}

// widthWatcher wraps an object and calls onWidth when its width changes.
type widthWatcher struct {
	widget.BaseWidget
	obj     fyne.CanvasObject
	onWidth func(float32)
	width   float32
}

func newWidthWatcher(obj fyne.CanvasObject, onWidth func(float32)) *widthWatcher {
	w := &widthWatcher{obj: obj, onWidth: onWidth}
	w.ExtendBaseWidget(w)
	return w
}

// CreateRenderer implements fyne.Widget.
func (w *widthWatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(w.obj)
}

// Resize notices width changes.
func (w *widthWatcher) Resize(s fyne.Size) {
	w.BaseWidget.Resize(s)
	if s.Width != w.width {
		w.width = s.Width
		w.onWidth(s.Width)
	}
}
