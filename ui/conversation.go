package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// quickReactions are offered first when reacting.
var quickReactions = []string{"👍", "❤️", "🎉", "👏", "😂", "🙏", "🔥", "💯", "😮", "😢", "🚀", "✅"}

// conversation is the middle pane: the open group's header, pinned
// messages, search bar, message list and composer; or a welcome, a hint
// or a card to join a group.
type conversation struct {
	a    *App
	root *fyne.Container
	// drafts are unsent texts by group; draftFor is the group whose
	// draft the composer holds.
	drafts   map[crdt.ID]string
	draftFor crdt.ID
	// sending holds the groups with a send in flight, whose composer
	// stays disabled until it ends.
	sending map[crdt.ID]bool

	title     *widget.Label
	subtitle  *widget.RichText
	searchBtn *widget.Button
	infoBtn   *widget.Button
	moreBtn   *widget.Button
	header    *fyne.Container

	pinBar   *tapBox
	pinWho   *widget.Label
	pinText  *widget.Label
	pinCount *widget.Label
	pins     []api.Message
	pinAt    int

	searchBar    *fyne.Container
	searchEntry  *keyEntry
	searchStatus *widget.Label
	searching    bool
	query        string
	results      []api.Message
	resultAt     int

	win       *msgWindow
	list      *vlist
	jump      *widget.Button
	listArea  *fyne.Container
	jumpBar   *fyne.Container // under the list, holding jump
	highlight int             // row shown highlighted (jumped to), -1 for none
	unreadAt  int             // row with the "New messages" divider, -1 for none
	newBelow  int             // messages that arrived while scrolled up
	atBottom  bool

	composer  *composer
	send      *widget.Button
	pollBtn   *widget.Button
	attachBtn *widget.Button
	// uploads lists the files being shared, above the composer
	// (convfiles.go).
	uploads *fyne.Container
	// uploadCancels are the Cancel buttons of the uploads shown, in order
	// (for tests).
	uploadCancels []*widget.Button
	uploading     map[crdt.ID][]*upload
	team          *teamButtons // Event, Celebrate, Promotion (teamcreate.go)
	contextBar    *fyne.Container
	contextLabel  *widget.RichText
	replyTo       *api.Message
	editing       *api.Message
	compose       *fyne.Container
	readOnly      *widget.Label
	departed      *fyne.Container // says the member was removed or left; replaces the composer
	departedText  *widget.Label
	bottom        *fyne.Container

	body      *fyne.Container // the list, or the empty-group message
	empty     *widget.Label
	welcome   fyne.CanvasObject
	hint      *widget.Label
	joinCard  *fyne.Container
	openGroup api.Group

	// lastMenu is the message menu opened last (a test hook).
	lastMenu *fyne.Menu
}

func newConversation(a *App) *conversation {
	c := &conversation{a: a, highlight: -1, unreadAt: -1, drafts: map[crdt.ID]string{}, sending: map[crdt.ID]bool{}}
	c.title = heading("")
	c.title.Truncation = fyne.TextTruncateEllipsis
	c.subtitle = secondary("")
	c.searchBtn = widget.NewButtonWithIcon("", theme.SearchIcon(), c.toggleSearch)
	c.searchBtn.Importance = widget.LowImportance
	c.infoBtn = widget.NewButtonWithIcon("", theme.InfoIcon(), a.toggleInfo)
	c.infoBtn.Importance = widget.LowImportance
	c.moreBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), c.showGroupMenu)
	c.moreBtn.Importance = widget.LowImportance
	titles := container.NewVBox(c.title, c.subtitle)
	c.header = container.NewBorder(nil, widget.NewSeparator(), nil,
		container.NewHBox(a.calls.voiceBtn, a.calls.videoBtn, c.searchBtn, c.infoBtn, c.moreBtn), titles)

	c.pinWho = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.pinWho.Importance = widget.HighImportance
	c.pinText = widget.NewLabel("")
	c.pinText.Truncation = fyne.TextTruncateEllipsis
	c.pinCount = widget.NewLabel("")
	c.pinCount.Importance = widget.LowImportance
	c.pinBar = newTapBox(container.NewBorder(nil, widget.NewSeparator(), c.pinWho, c.pinCount, c.pinText), c.nextPin)

	c.searchEntry = newKeyEntry(a)
	c.searchEntry.SetPlaceHolder("Search this group")
	c.searchEntry.OnSubmitted = func(string) { c.search(1) }
	c.searchEntry.onEscape = c.closeSearch
	c.searchStatus = widget.NewLabel("")
	older := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { c.search(1) })
	newer := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { c.search(-1) })
	closeSearch := widget.NewButtonWithIcon("", theme.CancelIcon(), c.closeSearch)
	for _, b := range []*widget.Button{older, newer, closeSearch} {
		b.Importance = widget.LowImportance
	}
	c.searchBar = container.NewBorder(nil, widget.NewSeparator(), nil,
		container.NewHBox(c.searchStatus, older, newer, closeSearch), c.searchEntry)

	c.list = newVList(func() int {
		if c.win == nil {
			return 0
		}
		return c.win.total
	}, func() fyne.CanvasObject { return newMsgRow(c) },
		func(i int, o fyne.CanvasObject) { o.(*msgRow).bind(c.rowData(i)) },
		func(o fyne.CanvasObject, w float32) float32 { return o.(*msgRow).heightAt(w) },
		60)
	c.list.onScrolled = c.scrolled
	c.jump = widget.NewButtonWithIcon("Latest", theme.MoveDownIcon(), c.jumpToLatest)
	c.jump.Importance = widget.HighImportance
	c.jump.Hide()
	// Under the list, not over it: floating there it covered the last
	// message's text.
	c.jumpBar = container.NewHBox(layout.NewSpacer(), c.jump, widget.NewLabel(" "))
	c.jumpBar.Hide()
	c.listArea = container.NewBorder(nil, c.jumpBar, nil, nil, c.list)

	c.empty = widget.NewLabel("")
	c.empty.Alignment = fyne.TextAlignCenter
	c.empty.Wrapping = fyne.TextWrapWord
	c.empty.Importance = widget.LowImportance

	c.composer = newComposer(a, c.submit)
	c.composer.onEscape = c.cancelContext
	c.composer.onUp = c.editLast
	c.composer.onPasteFiles = c.confirmSend
	c.composer.onPasteImage = c.pasteImage
	// The send button is an icon, as in every messenger: the row keeps
	// room for the composer beside the attach and poll buttons.
	c.send = widget.NewButtonWithIcon("", theme.MailSendIcon(), func() { c.composer.send() })
	c.send.Importance = widget.HighImportance
	c.pollBtn = widget.NewButton("Poll", c.showCreatePoll)
	c.attachBtn = widget.NewButtonWithIcon("", theme.MailAttachmentIcon(), c.attach)
	c.attachBtn.Importance = widget.LowImportance
	c.uploads = container.NewVBox()
	c.uploading = map[crdt.ID][]*upload{}
	c.team = newTeamButtons(c)
	c.contextLabel = widget.NewRichText()
	c.contextLabel.Truncation = fyne.TextTruncateEllipsis
	cancel := widget.NewButtonWithIcon("", theme.CancelIcon(), c.cancelContext)
	cancel.Importance = widget.LowImportance
	c.contextBar = container.NewBorder(nil, nil, nil, cancel, c.contextLabel)
	c.contextBar.Hide()
	c.compose = container.NewBorder(container.NewVBox(c.composer.picker.box, c.uploads, c.contextBar, c.team.row), nil,
		container.NewHBox(c.attachBtn, c.pollBtn), c.send, c.composer)
	c.readOnly = widget.NewLabel("")
	c.readOnly.Alignment = fyne.TextAlignCenter
	c.readOnly.Wrapping = fyne.TextWrapWord
	c.readOnly.Importance = widget.LowImportance
	c.departedText = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	c.departedText.Wrapping = fyne.TextWrapWord
	c.departedText.Importance = widget.WarningImportance
	still := widget.NewLabel("What was said before stays readable here, but you can no longer write in this community.")
	still.Alignment = fyne.TextAlignCenter
	still.Wrapping = fyne.TextWrapWord
	c.departed = container.NewStack(newFill(theme.ColorNameInputBackground),
		container.NewPadded(container.NewVBox(c.departedText, still)))
	c.bottom = container.NewStack()
	c.body = container.NewStack(c.listArea)

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
	join := widget.NewButtonWithIcon("Join with an invite link", theme.MailComposeIcon(), func() { c.a.showJoin("") })
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(480, 300),
		container.NewVBox(title, text, container.NewGridWithColumns(2, create, join))))
}

func (c *conversation) showWelcome() {
	c.close()
	c.root.Objects = []fyne.CanvasObject{c.welcome}
	c.root.Refresh()
}

func (c *conversation) showEmpty(hint string) {
	c.close()
	c.hint.SetText(hint)
	c.root.Objects = []fyne.CanvasObject{container.NewVBox(layout.NewSpacer(), c.hint, layout.NewSpacer())}
	c.root.Refresh()
}

// close forgets the open group.
func (c *conversation) close() {
	c.saveDraft()
	c.win = nil
	c.replyTo, c.editing = nil, nil
	c.searching, c.query, c.results = false, "", nil
	c.highlight, c.unreadAt, c.newBelow = -1, -1, 0
	c.pinAt = 0
	c.contextBar.Hide()
	c.list.reload(false)
}

// updateHeader shows the open group's name and details and what the local
// member may do in it.
func (c *conversation) updateHeader() {
	comm, g := c.a.selected()
	c.openGroup = g
	c.title.SetText(g.Name)
	c.searchEntry.SetPlaceHolder(searchHint(g))
	c.a.relabelGoMenu(g)
	var sub string
	switch {
	case g.Kind == api.GroupAnnouncement:
		sub = "Announcements from the team's leaders · everyone reads them"
	case g.Kind == api.GroupPrivate:
		sub = c.a.privateSubtitle(g)
	case g.Description != "":
		sub = ellipsize(g.Description, 140)
	default:
		sub = comm.Name + " · " + memberCount(g.Members)
	}
	if g.Muted {
		sub = "🔕 " + sub
	}
	setSecondary(c.subtitle, sub)
	c.team.update(comm, g)
	c.a.calls.updateGroup(g)
	switch {
	case departedText(comm) != "":
		c.departedText.SetText(departedText(comm))
		c.bottom.Objects = []fyne.CanvasObject{c.departed}
	case g.Closed:
		c.readOnly.SetText(c.a.closedText(g))
		c.bottom.Objects = []fyne.CanvasObject{c.readOnly}
	case g.CanPost:
		c.bottom.Objects = []fyne.CanvasObject{c.compose}
		if g.Kind == api.GroupAnnouncement {
			c.composer.SetPlaceHolder("Write an announcement for the whole team… (Enter to send)")
		} else {
			c.composer.SetPlaceHolder("Write a message… (Enter to send, Shift+Enter for a new line)")
		}
	default:
		c.readOnly.SetText(c.whyReadOnly(comm, g))
		c.bottom.Objects = []fyne.CanvasObject{c.readOnly}
	}
	c.bottom.Refresh()
}

// whyReadOnly says why the member cannot write in g.
func (c *conversation) whyReadOnly(comm api.Community, g api.Group) string {
	switch {
	case comm.Role == "none":
		return "You are no longer a member of this community; what it said before stays readable here."
	case g.Kind == api.GroupAnnouncement:
		return "Only admins post announcements here. You can react to them."
	case g.Archived:
		return "This group is archived: it is kept for reading, and no one can post in it."
	case g.Suggested:
		return "This group is a suggestion waiting for an admin's approval."
	case !g.Joined:
		return "Join this group to write in it."
	}
	return "You cannot write in this group."
}

// open shows the selected group.
func (c *conversation) open() {
	c.close()
	c.updateHeader()
	g := c.openGroup
	if comm, _ := c.a.selected(); !g.Joined && g.Kind != api.GroupAnnouncement && departedText(comm) == "" {
		c.showJoinCard(g)
		return
	}
	c.win = newMsgWindow(c.a.b, c.a.community, c.a.group)
	c.composer.SetText(c.drafts[c.a.group])
	c.draftFor = c.a.group
	c.enableComposer(!c.sending[c.a.group])
	c.showUploads()
	c.root.Objects = []fyne.CanvasObject{container.NewBorder(
		container.NewVBox(c.header, c.a.calls.strip, c.pinBar, c.searchBar), container.NewPadded(c.bottom), nil, nil, c.body)}
	c.searchBar.Hide()
	c.root.Refresh()
	page, err := c.win.tail()
	if err != nil {
		c.a.showError("Could not load the messages", err)
		return
	}
	c.unreadAt = page.FirstUnread
	c.showBody()
	c.list.reload(false)
	if c.unreadAt >= 0 {
		c.list.scrollToRow(max(0, c.unreadAt-1))
	} else {
		c.list.scrollToBottom()
	}
	c.reloadPins()
	if g.CanPost {
		c.a.focus(c.composer)
	}
	// Opening a group reads it, as in every messenger; the divider stays
	// where the unread messages began until the group is left.
	c.markRead(true)
}

// showJoinCard explains a group the member is not in, with a button to
// join it (or ask to).
func (c *conversation) showJoinCard(g api.Group) {
	title := heading(g.Name)
	title.Alignment = fyne.TextAlignCenter
	var text, action string
	switch g.Policy {
	case "approval":
		text, action = "An admin lets people into this group. Ask to join, and you will be in as soon as one approves.", "Ask to join"
	default:
		text, action = "Anyone in the community can join this group.", "Join group"
	}
	if g.Description != "" {
		text = clampLines(g.Description, 8, 600) + "\n\n" + text
	}
	info := widget.NewLabel(memberCount(g.Members) + "\n\n" + text)
	info.Wrapping = fyne.TextWrapWord
	info.Alignment = fyne.TextAlignCenter
	join := widget.NewButtonWithIcon(action, theme.ContentAddIcon(), func() { c.a.joinGroup(g) })
	join.Importance = widget.HighImportance
	c.joinCard = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 240), container.NewVBox(title, info, join)))
	c.root.Objects = []fyne.CanvasObject{container.NewBorder(c.header, nil, nil, nil, c.joinCard)}
	c.root.Refresh()
}

func (c *conversation) showBody() {
	if c.win.total == 0 {
		g := c.openGroup
		switch {
		case g.Kind == api.GroupAnnouncement && g.CanPost:
			c.empty.SetText("No announcements yet. Welcome your team and tell them where to start!")
		case g.Kind == api.GroupAnnouncement:
			c.empty.SetText("No announcements yet. Your team's leaders post news and promotions here.")
		default:
			c.empty.SetText("No messages yet. Say hello and welcome your team!")
		}
		c.body.Objects = []fyne.CanvasObject{container.NewVBox(layout.NewSpacer(), c.empty, layout.NewSpacer())}
	} else {
		c.body.Objects = []fyne.CanvasObject{c.listArea}
	}
	c.body.Refresh()
}

// reload re-reads the open group after a change: new messages keep the
// view at the bottom if it was there; otherwise the view stays where it
// is and the "Latest" button counts what came.
func (c *conversation) reload() {
	if c.win == nil {
		return
	}
	oldTotal := c.win.total
	var oldLast api.Message
	if oldTotal > 0 {
		oldLast, _ = c.win.get(oldTotal - 1)
	}
	if _, err := c.win.tail(); err != nil {
		c.a.showError("Could not load the messages", err)
		return
	}
	appended := oldTotal == 0
	if oldTotal > 0 && c.win.total >= oldTotal {
		m, ok := c.win.get(oldTotal - 1)
		appended = ok && m.ID == oldLast.ID
	}
	if !c.atBottom && c.win.total > oldTotal {
		c.newBelow += c.win.total - oldTotal
	}
	c.showBody()
	c.list.reload(appended)
	c.updateJump()
	c.reloadPins()
	if c.searching && c.query != "" {
		c.refreshResults()
	}
	c.markRead(false)
}

// rowData is what row i shows.
func (c *conversation) rowData(i int) rowData {
	m, ok := c.win.get(i)
	if !ok {
		text := "Loading…"
		if c.win.err != nil {
			text = "Could not load this message: " + explain(c.win.err)
		}
		return rowData{index: i, m: api.Message{Text: text, AuthorName: "…"}, header: true}
	}
	d := rowData{index: i, m: m, header: true, unread: i == c.unreadAt, highlight: i == c.highlight, time: m.Time.Local().Format("15:04")}
	if c.searching {
		d.query = c.query
	}
	prev, hasPrev := c.win.get(i - 1)
	if !hasPrev || !sameDay(prev.Time, m.Time) {
		d.day = c.dayLabel(m.Time)
	} else if prev.Author == m.Author && m.Time.Sub(prev.Time) < 5*time.Minute && m.Time.Sub(prev.Time) >= 0 &&
		!d.unread && m.Quote == nil && m.Poll == nil && prev.Poll == nil && !isCard(m) && !isCard(prev) && m.Call == nil && prev.Call == nil && prev.Hidden == "" && m.Hidden == "" {
		d.header = false
	}
	members := c.a.memberIndex()
	if mem, ok := members[m.Author]; ok {
		d.role = mem.Role
	}
	for _, p := range m.Mentions {
		if mem, ok := members[p]; ok {
			d.mentions = append(d.mentions, mem.Name)
		}
	}
	if m.File != nil && !m.Deleted && m.Hidden == "" {
		d.file = c.a.files.of(c.a.community, c.a.group, m)
	}
	if m.Poll != nil {
		g := c.openGroup
		d.canVote = g.CanReact // and the poll open, which bind checks when it shows it
		d.canClose = m.Mine && g.CanPost || g.CanModerate
	}
	if m.Event != nil {
		d.canRSVP = c.openGroup.CanRSVP
		d.canCall = c.openGroup.CanCall && c.openGroup.Joined && c.a.calls.cb != nil
	}
	if m.Answer != nil {
		d.answer = c.answerOf(i, *m.Answer)
	}
	d.callJoined = -1
	if s := c.a.calls.stripCall; m.Call != nil && m.Call.Active && s.ID == m.ID {
		d.callJoined = len(s.Participants)
	}
	return d
}

func sameDay(a, b time.Time) bool {
	a, b = a.Local(), b.Local()
	y1, m1, d1 := a.Date()
	y2, m2, d2 := b.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// dayLabel names the day of t: Today, Yesterday, a weekday this week, or
// the date.
func (c *conversation) dayLabel(t time.Time) string {
	now := c.a.now().Local()
	t = t.Local()
	switch {
	case sameDay(t, now):
		return "Today"
	case sameDay(t, now.AddDate(0, 0, -1)):
		return "Yesterday"
	case now.Sub(t) < 6*24*time.Hour && t.Before(now):
		return t.Format("Monday")
	case t.Year() == now.Year():
		return t.Format("Monday, January 2")
	}
	return t.Format("January 2, 2006")
}

// scrolled follows the list's view: it hides the Latest button at the
// bottom and marks messages read once the reader gets there.
func (c *conversation) scrolled(first, last int, atBottom bool) {
	c.atBottom = atBottom
	if atBottom {
		c.newBelow = 0
	}
	c.updateJump()
	if atBottom {
		c.markRead(false)
	}
}

func (c *conversation) updateJump() {
	if c.win == nil || c.atBottom || c.win.total == 0 {
		c.jump.Hide()
		c.showJumpBar(false)
		return
	}
	if c.newBelow > 0 {
		c.jump.SetText(fmt.Sprintf("%d new", c.newBelow))
	} else {
		c.jump.SetText("Latest")
	}
	c.jump.Show()
	c.showJumpBar(true)
}

// showJumpBar shows or hides the bar under the list, giving the list its
// room.
func (c *conversation) showJumpBar(on bool) {
	if c.jumpBar.Visible() == on {
		return
	}
	if on {
		c.jumpBar.Show()
	} else {
		c.jumpBar.Hide()
	}
	c.listArea.Refresh()
}

func (c *conversation) jumpToLatest() {
	c.highlight = -1
	c.list.scrollToBottom()
}

// jumpTo shows message i, highlighted.
func (c *conversation) jumpTo(i int) {
	if c.win == nil || i < 0 || i >= c.win.total {
		return
	}
	c.highlight = i
	c.list.reload(true)
	c.list.scrollToRow(i)
}

// markRead tells the backend the member has read the group, when
// something was unread and its newest message is in view (or always, on
// opening it).
func (c *conversation) markRead(opening bool) {
	if c.win == nil || (!c.atBottom && !opening) || !c.a.foreground {
		return
	}
	_, g := c.a.selected()
	if g.Unread == 0 && g.Mentions == 0 {
		return
	}
	cid, gid := c.a.community, c.a.group
	c.a.background(func() error {
		return c.a.b.MarkRead(context.Background(), cid, gid)
	}, func(err error) {
		if err != nil {
			c.a.log("mark read", err)
		}
	})
}

// reloadPins shows the group's pinned messages above the list.
func (c *conversation) reloadPins() {
	pins, err := c.a.b.Pinned(c.a.community, c.a.group)
	if err != nil {
		c.a.log("pinned messages", err) // the list below still shows them
	}
	if err != nil || len(pins) == 0 {
		c.pins = nil
		c.pinBar.Hide()
		return
	}
	c.pins = pins
	if c.pinAt >= len(pins) {
		c.pinAt = len(pins) - 1
	}
	c.showPin()
	c.pinBar.Show()
}

func (c *conversation) showPin() {
	p := c.pins[c.pinAt]
	text := p.Text
	if p.Poll != nil {
		text = "📊 " + p.Poll.Question
	} else if p.File != nil {
		text = strings.TrimSpace("📎 " + p.File.Name + " " + text)
	}
	count := ""
	if len(c.pins) > 1 {
		count = fmt.Sprintf("%d of %d", c.pinAt+1, len(c.pins))
	}
	c.pinWho.SetText("📌 " + p.AuthorName + ":")
	c.pinText.SetText(ellipsize(text, 140))
	c.pinCount.SetText(count)
	c.pinCount.Hidden = count == ""
}

// nextPin jumps to the pinned message shown, then shows the next one.
func (c *conversation) nextPin() {
	if len(c.pins) == 0 {
		return
	}
	c.jumpTo(c.pins[c.pinAt].Index)
	c.pinAt = (c.pinAt + len(c.pins) - 1) % len(c.pins)
	c.showPin()
}

// showGroupMenu is the header's ⋮ menu: mute, search, group details and
// settings, leave.
func (c *conversation) showGroupMenu() {
	c.a.showGroupMenu(c.openGroup, c.moreBtn)
}

// submit sends the composer's text: an edit, a reply or a new message.
func (c *conversation) submit(text string) {
	cid, gid := c.a.community, c.a.group
	text = strings.TrimRight(text, "\n\t ")
	replyTo, editing := c.replyTo, c.editing
	c.sending[gid] = true
	c.enableComposer(false)
	c.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		var err error
		switch {
		case editing != nil:
			err = c.a.b.Edit(ctx, cid, gid, editing.ID, text)
		case replyTo != nil:
			_, err = c.a.b.Reply(ctx, cid, gid, replyTo.ID, text)
		default:
			_, err = c.a.b.Post(ctx, cid, gid, text)
		}
		return err
	}, func(err error) {
		delete(c.sending, gid)
		here := c.a.community == cid && c.a.group == gid && c.win != nil
		if here {
			c.enableComposer(true)
		}
		if err != nil {
			what := "Your message was not sent"
			if editing != nil {
				what = "Your edit was not saved"
			}
			if !here {
				// The member moved on: keep the text as that group's
				// draft, so it is there to send again.
				if editing == nil {
					c.drafts[gid] = text
				}
				what += " to " + c.a.groupName(gid) + " (it is kept there)"
			}
			c.a.showError(what, err)
			return
		}
		if !here {
			if c.drafts[gid] == text {
				delete(c.drafts, gid)
			}
			return
		}
		c.composer.SetText("")
		c.cancelContext()
		c.list.scrollToBottom()
		c.reload()
		c.a.focus(c.composer)
	})
}

func (c *conversation) enableComposer(on bool) {
	if on {
		c.composer.Enable()
		c.send.Enable()
	} else {
		c.composer.Disable()
		c.send.Disable()
	}
}

// saveDraft keeps what the composer holds as the open group's draft
// (not an edit of an old message), for when the member comes back.
func (c *conversation) saveDraft() {
	if c.draftFor.IsZero() {
		return
	}
	if text := c.composer.Text; strings.TrimSpace(text) != "" && c.editing == nil {
		c.drafts[c.draftFor] = text
	} else {
		delete(c.drafts, c.draftFor)
	}
	c.draftFor = crdt.ID{}
}

// startReply answers message m.
func (c *conversation) startReply(m api.Message) {
	c.editing = nil
	c.replyTo = &m
	text := m.Text
	if m.Poll != nil {
		text = "📊 " + m.Poll.Question
	} else if m.File != nil {
		text = strings.TrimSpace("📎 " + m.File.Name + " " + text)
	}
	c.contextLabel.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: "Replying to " + m.AuthorName + ": ", Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: ellipsize(text, 120), Style: widget.RichTextStyleInline},
	}
	c.contextLabel.Refresh()
	c.contextBar.Show()
	c.a.focus(c.composer)
}

// startEdit puts message m in the composer to change it.
func (c *conversation) startEdit(m api.Message) {
	c.replyTo = nil
	c.editing = &m
	c.contextLabel.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: "Editing your message", Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: "  Esc to cancel", Style: secondaryStyle(true)},
	}
	c.contextLabel.Refresh()
	c.contextBar.Show()
	c.composer.SetText(m.Text)
	cursorToEnd(&c.composer.Entry)
	c.a.focus(c.composer)
}

// cancelContext stops replying or editing (Esc).
func (c *conversation) cancelContext() {
	if c.editing != nil {
		c.composer.SetText("")
	}
	c.replyTo, c.editing = nil, nil
	c.contextBar.Hide()
}

// editLast edits the member's newest message (Up in an empty composer).
func (c *conversation) editLast() bool {
	if c.win == nil || c.composer.Text != "" {
		return false
	}
	for i := c.win.total - 1; i >= max(0, c.win.total-pageSize); i-- {
		if m, ok := c.win.get(i); ok && m.Mine && m.Poll == nil && !m.Deleted && m.Hidden == "" {
			c.startEdit(m)
			return true
		}
	}
	return false
}

// selfName implements rowActions.
func (c *conversation) selfName() string { return c.a.self.Name }

func (c *conversation) now() time.Time { return c.a.now() }

// idOf returns the id of row i, for tests.
func (c *conversation) idOf(i int) crdt.ID {
	m, _ := c.message(i)
	return m.ID
}

// cursorToEnd puts e's cursor after its last character through the
// entry's own keys: its rows are the lines as shown, wrapped ones too.
func cursorToEnd(e *widget.Entry) {
	for range len(e.Text) + 1 {
		row := e.CursorRow
		e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		if e.CursorRow == row {
			break
		}
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
}
