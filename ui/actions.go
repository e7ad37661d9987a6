package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// What a member does with a message: its menu (reply, react, edit, copy,
// pin, who reacted, delete) and the row's own buttons (reactions, poll
// options, the quote).

// message returns row i's message.
func (c *conversation) message(i int) (api.Message, bool) {
	if c.win == nil {
		return api.Message{}, false
	}
	return c.win.get(i)
}

// menuFor is message i's menu: what the local member may do with it.
func (c *conversation) menuFor(i int) *fyne.Menu {
	m, ok := c.message(i)
	if !ok || m.Call != nil { // a call's row is no message to act on
		return nil
	}
	g := c.openGroup
	live := m.Hidden == "" && !m.Deleted
	var items []*fyne.MenuItem
	if live && g.CanPost {
		items = append(items, fyne.NewMenuItem("Reply", func() { c.startReply(m) }))
	}
	if live && g.CanReact {
		var emoji []*fyne.MenuItem
		for _, e := range quickEmoji()[:8] {
			it := fyne.NewMenuItem(e, func() { noteRecentEmoji(e); c.react(m, e, true) })
			if res := emojiResource(e, reactionIconPixels); res != nil {
				it.Label, it.Icon = "", res // the picture, at icon size
			}
			emoji = append(emoji, it)
		}
		emoji = append(emoji, fyne.NewMenuItem("More…", func() { c.pickReaction(i, nil) }))
		react := fyne.NewMenuItem("React", nil)
		react.ChildMenu = fyne.NewMenu("", emoji...)
		items = append(items, react)
	}
	if it := c.answerItem(m); it != nil {
		items = append(items, it)
	}
	items = append(items, c.cardEditItems(m)...)
	if live && m.Mine && m.Poll == nil && m.Event == nil && m.Promo == nil && g.CanPost {
		items = append(items, fyne.NewMenuItem("Edit", func() { c.startEdit(m) }))
	}
	if live && m.Text != "" {
		items = append(items, fyne.NewMenuItem("Copy text", func() { c.a.clipboard().SetContent(m.Text) }))
	}
	if live && g.CanPin {
		if m.Pinned {
			items = append(items, fyne.NewMenuItem("Unpin", func() { c.pin(m, false) }))
		} else {
			items = append(items, fyne.NewMenuItem("Pin to the top", func() { c.pin(m, true) }))
		}
	}
	items = append(items, c.collectItems(m)...)
	if len(m.Reactions) > 0 {
		items = append(items, fyne.NewMenuItem("Who reacted", func() { c.showReactions(m) }))
	}
	if it := c.authorItem(m); it != nil {
		items = append(items, it)
	}
	if live && (m.Mine && g.CanPost || g.CanModerate) {
		del := fyne.NewMenuItem("Delete for everyone", func() { c.confirmDelete(m) })
		del.Icon = theme.DeleteIcon()
		items = append(items, fyne.NewMenuItemSeparator(), del)
	}
	if len(items) == 0 {
		return nil
	}
	return fyne.NewMenu("", items...)
}

// openMenu implements rowActions: the message menu at a position, or
// under the widget from.
func (c *conversation) openMenu(i int, at fyne.Position, from fyne.CanvasObject) {
	menu := c.menuFor(i)
	c.lastMenu = menu
	if menu == nil {
		return
	}
	cv := c.a.win.Canvas()
	if from != nil {
		at = fyne.CurrentApp().Driver().AbsolutePositionForObject(from).Add(fyne.NewPos(0, from.Size().Height))
	}
	widget.ShowPopUpMenuAtPosition(menu, cv, at)
}

// toggleReaction implements rowActions: tapping a reaction adds yours or
// takes it back.
func (c *conversation) toggleReaction(i int, emoji string) {
	m, ok := c.message(i)
	if !ok {
		return
	}
	if !c.openGroup.Joined || c.openGroup.Archived {
		c.a.showErrorText("You cannot react here", "This group is read-only for you.")
		return
	}
	mine := slices.ContainsFunc(m.Reactions, func(r api.Reaction) bool { return r.Emoji == emoji && r.Mine })
	c.react(m, emoji, !mine)
}

// react adds (on) or takes back a reaction to message m. It takes the
// message, not its row: a message synced in above while a menu is open
// moves the rows, not what the member chose.
func (c *conversation) react(m api.Message, emoji string, on bool) {
	cid, gid := c.a.community, c.a.group
	c.a.act("Your reaction was not sent", func(ctx context.Context) error {
		return c.a.b.React(ctx, cid, gid, m.ID, emoji, on)
	}, c.reload)
}

// reactionIconPixels is the size of the pictures of the reaction menu's
// emoji; they are shown at the theme's icon size, larger than text.
const reactionIconPixels = 64

// pickReaction implements rowActions: the emoji picker, to react with
// any emoji.
func (c *conversation) pickReaction(i int, from fyne.CanvasObject) {
	m, ok := c.message(i)
	if !ok {
		return
	}
	c.a.showEmojiPicker(from, func(e string) { c.react(m, e, true) })
}

// jumpToQuote implements rowActions: show the message a reply answers.
func (c *conversation) jumpToQuote(i int) {
	m, ok := c.message(i)
	if !ok || m.Quote == nil || m.Quote.Index < 0 {
		return
	}
	c.jumpTo(m.Quote.Index)
}

// vote implements rowActions: a tap on an option chooses it (one-choice
// polls: instead of the previous choice), or takes it back.
func (c *conversation) vote(i, option int) {
	m, ok := c.message(i)
	if !ok || m.Poll == nil {
		return
	}
	if pollOver(m.Poll, c.a.now()) {
		c.a.showErrorText("This poll has closed", "It no longer takes votes; everyone sees the results as they were when it closed.")
		c.reload()
		return
	}
	choices := slices.Clone(m.Poll.MyChoices)
	switch {
	case slices.Contains(choices, option):
		choices = slices.DeleteFunc(choices, func(x int) bool { return x == option })
	case m.Poll.Multi:
		choices = append(choices, option)
	default:
		choices = []int{option}
	}
	cid, gid := c.a.community, c.a.group
	c.a.act("Your vote was not counted", func(ctx context.Context) error {
		return c.a.b.Vote(ctx, cid, gid, m.ID, choices)
	}, c.reload)
}

// closePoll implements rowActions.
func (c *conversation) closePoll(i int) {
	m, ok := c.message(i)
	if !ok || m.Poll == nil {
		return
	}
	cid, gid := c.a.community, c.a.group
	c.a.confirmAction("Close this poll?", fmt.Sprintf("“%s” will stop taking votes; everyone keeps seeing the results.", m.Poll.Question), "Close poll", func() {
		c.a.act("The poll was not closed", func(ctx context.Context) error {
			return c.a.b.ClosePoll(ctx, cid, gid, m.ID)
		}, c.reload)
	})
}

// showVoters implements rowActions: who chose each option.
func (c *conversation) showVoters(i int) {
	m, ok := c.message(i)
	if !ok || m.Poll == nil {
		return
	}
	d := c.a.newDialog("Votes: "+ellipsize(m.Poll.Question, 50), nil)
	rows := container.NewVBox()
	for _, o := range m.Poll.Options {
		who := "No votes"
		if len(o.By) > 0 {
			who = strings.Join(o.By, ", ")
		}
		rt := widget.NewRichText(
			&widget.TextSegment{Text: fmt.Sprintf("%s — %d", o.Text, o.Votes), Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Bold: true}}},
			&widget.TextSegment{Text: who, Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder}},
		)
		rt.Wrapping = fyne.TextWrapWord // every voter, on as many lines as it takes
		rows.Add(rt)
	}
	d.members = rows
	d.setContent(container.NewVScroll(rows), widget.NewButton("Close", d.hide))
	d.d.Resize(fyne.NewSize(dialogWidth, min(rows.MinSize().Height+120, 480)))
	d.show()
}

// showReactions lists who reacted with what.
func (c *conversation) showReactions(m api.Message) {
	d := c.a.newDialog("Reactions", nil)
	rows := container.NewVBox()
	for _, r := range m.Reactions {
		l := widget.NewLabel(reactedBy(r, c.a.self.Name))
		l.Wrapping = fyne.TextWrapWord
		rows.Add(l)
	}
	d.members = rows
	d.setContent(container.NewVScroll(rows), widget.NewButton("Close", d.hide))
	d.d.Resize(fyne.NewSize(dialogWidth, min(rows.MinSize().Height+120, 480)))
	d.show()
}

func (c *conversation) pin(m api.Message, on bool) {
	cid, gid := c.a.community, c.a.group
	what := "The message was not pinned"
	if !on {
		what = "The message was not unpinned"
	}
	c.a.act(what, func(ctx context.Context) error {
		return c.a.b.Pin(ctx, cid, gid, m.ID, on)
	}, c.reload)
}

func (c *conversation) confirmDelete(m api.Message) {
	text := "It will be deleted for everyone in the group. This cannot be undone."
	if !m.Mine {
		text = fmt.Sprintf("%s's message will be deleted for everyone in the group, and the group will see that an admin deleted it. This cannot be undone.", m.AuthorName)
	}
	cid, gid := c.a.community, c.a.group
	c.a.confirmAction("Delete this message?", text, "Delete", func() {
		c.a.act("The message was not deleted", func(ctx context.Context) error {
			return c.a.b.Delete(ctx, cid, gid, m.ID)
		}, c.reload)
	})
}

// resized implements rowActions: measure the rows in view again.
func (c *conversation) resized() { c.list.update(false) }
