package ui

import (
	"context"
	"slices"
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

// Private conversations: the home's Direct messages section, Message
// privately from a member or a message, the dialog that starts a small
// private group, and what a closed conversation says. Whether the member
// may message someone is the backend's flags (Community.CanMessagePrivately,
// Member.CanMessage); the UI never judges it.

// privateSettingLabel and privateSettingHint are the community setting's
// wording: on, members message each other; off, only admins.
const (
	privateSettingLabel = "Members may message each other privately"
	privateSettingHint  = "Off: members can still message admins privately, and admins anyone — for customer communities where members should not contact each other."
	// privatePolicy is what the info pane says of who is in one.
	privatePolicy = "Private: only the people in it can read it, and nobody else can join."
)

// loadGroups reads community cid's groups and its private conversations,
// each private one as a group named after the people in it, so that the
// conversation screen, notifications and the info pane treat it as any
// group.
func (a *App) loadGroups(cid crdt.ID) ([]api.Group, []api.Private, error) {
	gs, err := a.b.Groups(cid)
	if err != nil {
		return nil, nil, err
	}
	ps, err := a.b.Privates(cid)
	if err != nil {
		a.log("list private conversations", err)
		return gs, nil, nil // the groups still show
	}
	for _, p := range ps {
		gs = append(gs, privateGroup(p))
	}
	return gs, ps, nil
}

// privateGroup is p's conversation as the screens show a group.
func privateGroup(p api.Private) api.Group {
	g := p.Conversation
	g.ID, g.Kind = p.Group, api.GroupPrivate
	g.Name = privateName(p)
	g.Unread, g.Mentions, g.Muted, g.Closed = p.Unread, p.Mentions, p.Muted, p.Closed
	return g
}

// privateName names a conversation by the others in it: "Ana", "Ana and
// Bo", "Ana, Bo and 3 others"; those who left when nobody is left.
func privateName(p api.Private) string {
	ps := p.With
	if len(ps) == 0 {
		ps = p.Left
	}
	names := make([]string, len(ps))
	for i, q := range ps {
		names[i] = q.Name
		if strings.TrimSpace(q.Name) == "" {
			names[i] = "Someone"
		}
	}
	switch len(names) {
	case 0:
		return "Private conversation"
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	case 3:
		return names[0] + ", " + names[1] + " and " + names[2]
	}
	return names[0] + ", " + names[1] + " and " + itoa(len(names)-2) + " others"
}

// privateOf is the listed private conversation gid of the selected
// community, if it is one.
func (a *App) privateOf(gid crdt.ID) (api.Private, bool) {
	i := slices.IndexFunc(a.privates, func(p api.Private) bool { return p.Group == gid })
	if i < 0 {
		return api.Private{}, false
	}
	return a.privates[i], true
}

// privateSubtitle is the conversation header's line under the name.
func (a *App) privateSubtitle(g api.Group) string {
	p, _ := a.privateOf(g.ID)
	if len(p.With) <= 1 {
		return "Private conversation · only the two of you can read it"
	}
	return "Private group · " + memberCount(len(p.With)+1) + " · only they can read it"
}

// closedText says why a closed private conversation takes no messages,
// where its composer was.
func (a *App) closedText(g api.Group) string {
	p, _ := a.privateOf(g.ID)
	who := "The other people"
	switch len(p.Left) {
	case 0:
	case 1:
		who = p.Left[0].Name
	default:
		who = privateName(api.Private{With: p.Left})
	}
	if len(p.Left) == 1 {
		return who + " is no longer in this conversation, so it takes no new messages. What was said stays readable here."
	}
	return who + " are no longer in this conversation, so it takes no new messages. What was said stays readable here."
}

// privateSection is the home's Direct messages section: its title with
// New message (when the member may message someone), then a row per
// conversation, newest first.
func (h *home) privateSection() []fyne.CanvasObject {
	a := h.a
	c, _ := a.selected()
	if h.gone && len(a.privates) == 0 {
		return nil
	}
	title := widget.NewLabelWithStyle("DIRECT MESSAGES", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameCaptionText
	title.Importance = widget.LowImportance
	head := fyne.CanvasObject(title)
	if !h.gone && c.Role != "none" {
		h.newPrivateBtn = widget.NewButtonWithIcon("", theme.ContentAddIcon(), func() { a.showNewPrivate(a.community) })
		h.newPrivateBtn.Importance = widget.LowImportance
		head = container.NewBorder(nil, nil, nil, h.newPrivateBtn, title)
	}
	objs := []fyne.CanvasObject{head}
	if len(a.privates) == 0 {
		if !h.gone {
			objs = append(objs, hint("Start one with + or from a member's menu in Members. Only the people in a conversation can read it."))
		}
		return objs
	}
	for _, p := range a.privates {
		r := h.newPrivateRow(p)
		h.rows[p.Group] = r
		objs = append(objs, r.box)
	}
	return objs
}

// newPrivateRow is one conversation in the home: the other's initials
// (a group icon for more people), the names, when it was last active or
// that it is closed, and the unread badge.
func (h *home) newPrivateRow(p api.Private) *groupRow {
	g := privateGroup(p)
	r := &groupRow{g: g}
	r.name = widget.NewLabel(g.Name)
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.name.TextStyle.Bold = p.Unread > 0 && !p.Muted
	detail := h.a.lastActive(p.Last)
	switch {
	case p.Closed:
		detail = "Closed · " + detail
	case len(p.With) > 1:
		detail = memberCount(len(p.With)+1) + " · " + detail
	}
	if p.Muted {
		detail = "🔕 " + detail
	}
	r.detail = secondary(detail)
	r.badge = newBadge()
	r.badge.set(p.Unread, p.Mentions, p.Muted)
	var pic fyne.CanvasObject
	if all := append(slices.Clip(p.With), p.Left...); len(all) == 1 { // of two, closed or not
		pic = newAvatar(all[0].Name, all[0].PeerID, 32)
	} else {
		pic = widget.NewIcon(theme.AccountIcon())
	}
	texts := container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*2), r.name, r.detail)
	content := container.NewBorder(nil, nil, container.NewCenter(pic), container.NewCenter(r.badge), texts)
	r.box = newTapBox(content, func() { h.a.selectGroup(p.Group) })
	return r
}

// lastActive says when a conversation was last active: the time today,
// Yesterday, the weekday this week, else the date.
func (a *App) lastActive(t time.Time) string {
	if t.IsZero() {
		return "No messages yet"
	}
	now := a.now().Local()
	t = t.Local()
	switch {
	case sameDay(t, now):
		return t.Format("15:04")
	case sameDay(t, now.AddDate(0, 0, -1)):
		return "Yesterday"
	case now.Sub(t) < 6*24*time.Hour && t.Before(now):
		return t.Format("Monday")
	case t.Year() == now.Year():
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2, 2006")
}

// messagePrivately opens the private conversation of the local member
// with the members peers of community cid (the one already open with
// the same people, else a new one) and shows it.
func (a *App) messagePrivately(cid crdt.ID, peers []string) {
	var id crdt.ID
	a.act("Could not open the private conversation", func(ctx context.Context) error {
		var err error
		id, err = a.b.OpenPrivate(ctx, cid, peers)
		return err
	}, func() {
		for a.closeTopDialog() { // the members list it was chosen in
		}
		a.selectCommunity(cid)
		a.reloadGroups()
		a.selectGroup(id)
	})
}

// memberMenu is a member's row menu: Message privately (or why not),
// then what an admin may do to the member (memberActions).
func (a *App) memberMenu(cid crdt.ID, m api.Member) []*fyne.MenuItem {
	items := a.memberActions(cid, m)
	it := a.privateItem(cid, m)
	if it == nil {
		return items
	}
	if len(items) > 0 {
		items = append([]*fyne.MenuItem{fyne.NewMenuItemSeparator()}, items...)
	}
	return append([]*fyne.MenuItem{it}, items...)
}

// privateItem is a member's menu entry for a private conversation:
// Message privately when the flags allow it, else a disabled entry that
// says why; nil for the local member.
func (a *App) privateItem(cid crdt.ID, m api.Member) *fyne.MenuItem {
	if m.PeerID == a.self.PeerID {
		return nil
	}
	if m.CanMessage {
		it := fyne.NewMenuItem("Message privately", func() { a.messagePrivately(cid, []string{m.PeerID}) })
		it.Icon = theme.MailComposeIcon()
		return it
	}
	c := a.communityInfo(cid)
	why := "Private messages are not possible with " + m.Name
	if c.Role != "none" && !c.CanMessagePrivately {
		why = "Private messages here are with admins only"
	}
	it := fyne.NewMenuItem(why, nil)
	it.Disabled = true
	return it
}

// authorItem is a message's menu entry to message its author privately,
// when the flags allow it and the open conversation is not already the
// one with that author alone.
func (c *conversation) authorItem(m api.Message) *fyne.MenuItem {
	a := c.a
	if m.Mine || m.Author == a.self.PeerID {
		return nil
	}
	if p, ok := a.privateOf(c.openGroup.ID); ok && len(p.With) == 1 && p.With[0].PeerID == m.Author {
		return nil
	}
	who, ok := a.memberIndex()[m.Author]
	if !ok || !who.CanMessage {
		return nil
	}
	cid := a.community
	it := fyne.NewMenuItem("Message "+firstName(m.AuthorName)+" privately", func() { a.messagePrivately(cid, []string{m.Author}) })
	it.Icon = theme.MailComposeIcon()
	return it
}

// firstName is the first word of a display name ("Ana" of "Ana Souza").
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return "them"
}

// newPrivateView is the New message dialog's widgets: the search, the
// members one may message, each with a check, and Start.
type newPrivateView struct {
	a      *App
	cid    crdt.ID
	d      *dlg
	search *keyEntry
	all    []api.Member // those the local member may message
	shown  []api.Member
	chosen []string // peer ids in the order chosen
	list   *widget.List
	count  *widget.Label
	empty  *widget.Label
	start  *widget.Button
}

// showNewPrivate asks whom to message: one member for a conversation of
// two, or up to crdt.MaxPrivateOthers for a small private group.
func (a *App) showNewPrivate(cid crdt.ID) {
	ms, err := a.b.Members(cid)
	if err != nil {
		a.showError("Could not list the members", err)
		return
	}
	v := &newPrivateView{a: a, cid: cid}
	for _, m := range ms {
		if m.CanMessage {
			v.all = append(v.all, m)
		}
	}
	if len(v.all) == 0 {
		why := "There is nobody you can message privately in " + a.communityName(cid) + " yet."
		if !a.communityInfo(cid).CanMessagePrivately {
			why = "In " + a.communityName(cid) + ", members message only admins privately, and no admin is there to message."
		}
		a.showErrorText("No one to message", why)
		return
	}
	d := a.newDialog("New private message", nil)
	d.width = 480
	v.d = d
	d.handles = v
	d.errLabel = errorLabel()
	v.search = newKeyEntry(a)
	v.search.SetPlaceHolder("Search by name")
	v.search.OnChanged = func(string) { v.apply() }
	v.count = widget.NewLabel("")
	v.count.Wrapping = fyne.TextWrapWord
	v.empty = widget.NewLabel("")
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.empty.Hide()
	v.list = widget.NewList(func() int { return len(v.shown) }, v.newRow, v.bind)
	v.list.OnSelected = func(i widget.ListItemID) {
		v.list.UnselectAll()
		if i < len(v.shown) {
			v.toggle(v.shown[i].PeerID)
		}
	}
	v.start = widget.NewButton("Message", v.submit)
	v.start.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", d.hide)
	top := container.NewVBox(v.search, v.count, d.errLabel)
	if !a.communityInfo(cid).CanMessagePrivately {
		top.Add(hint("In this community, members message admins only."))
	}
	body := container.NewBorder(top, nil, nil, nil,
		withMinHeight(container.NewStack(v.list, container.NewCenter(v.empty)), 300))
	v.apply()
	d.setContent(body, cancel, v.start)
	d.confirm, d.cancel = v.start, cancel
	d.show()
	a.focus(v.search)
}

// apply shows the members the search matches and what is chosen.
func (v *newPrivateView) apply() {
	q := normalize(v.search.Text)
	v.shown = v.shown[:0]
	for _, m := range v.all {
		if q == "" || containsFold(m.Name, q) {
			v.shown = append(v.shown, m)
		}
	}
	if len(v.shown) == 0 {
		v.empty.SetText("No member matches “" + v.search.Text + "”.")
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	switch n := len(v.chosen); {
	case n == 0:
		v.count.SetText("Choose one person, or up to " + itoa(crdt.MaxPrivateOthers) + " for a small private group.")
		v.start.Disable()
	case n == 1:
		v.count.SetText("1 person chosen: a conversation between the two of you.")
		v.start.Enable()
	default:
		v.count.SetText(itoa(n) + " people chosen: a private group of " + itoa(n+1) + " (at most " + itoa(crdt.MaxPrivateOthers+1) + ").")
		v.start.Enable()
	}
	v.list.Refresh()
}

// toggle chooses or unchooses a member; past the limit it says so.
func (v *newPrivateView) toggle(peer string) {
	if i := slices.Index(v.chosen, peer); i >= 0 {
		v.chosen = slices.Delete(v.chosen, i, i+1)
		v.d.clearError()
	} else if len(v.chosen) >= crdt.MaxPrivateOthers {
		v.d.invalid("A private group has at most " + itoa(crdt.MaxPrivateOthers+1) + " people, you included. For more, ask an admin for a group.")
		return
	} else {
		v.chosen = append(v.chosen, peer)
	}
	v.apply()
}

func (v *newPrivateView) newRow() fyne.CanvasObject {
	name := widget.NewLabel("")
	name.Truncation = fyne.TextTruncateEllipsis
	check := widget.NewCheck("", nil)
	return container.NewBorder(nil, nil, newAvatar("", "", 28), check, name)
}

func (v *newPrivateView) bind(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(v.shown) {
		return
	}
	m := v.shown[i]
	box := o.(*fyne.Container)
	name := m.Name
	if m.Role != "member" {
		name += " · " + roleName(m.Role)
	}
	box.Objects[0].(*widget.Label).SetText(name)
	box.Objects[1].(*avatar).set(m.Name, m.PeerID, m.Online)
	check := box.Objects[2].(*widget.Check)
	check.OnChanged = nil
	check.SetChecked(slices.Contains(v.chosen, m.PeerID))
	check.OnChanged = func(on bool) {
		if on != slices.Contains(v.chosen, m.PeerID) {
			v.toggle(m.PeerID)
		}
	}
}

// submit opens the conversation with those chosen.
func (v *newPrivateView) submit() {
	if len(v.chosen) == 0 {
		v.d.invalid("Choose whom to message.")
		return
	}
	peers := slices.Clone(v.chosen)
	a, cid := v.a, v.cid
	var id crdt.ID
	v.d.run("Could not start the conversation", v.start, func(ctx context.Context) error {
		var err error
		id, err = a.b.OpenPrivate(ctx, cid, peers)
		return err
	}, func() {
		v.d.hide()
		a.selectCommunity(cid)
		a.reloadGroups()
		a.selectGroup(id)
	})
}

// privateNotice is the notification of a new message in a private
// conversation: every one, as messengers do for direct messages, unless
// the conversation itself is muted (muting a community's groups does not
// mute its direct messages).
func (a *App) privateNotice(c api.Community, g api.Group) {
	m, ok := a.latest(c, g, false)
	if !ok {
		return
	}
	text := m.Text
	if m.Poll != nil {
		text = "📊 " + m.Poll.Question
	}
	// A conversation of two is named after the other person.
	title := m.AuthorName
	if g.Name != m.AuthorName {
		title = m.AuthorName + " in " + g.Name
	}
	a.notify(title, ellipsize(text, 180))
}

// infoLabel is the info pane's header and the menu entry that opens it
// for group g.
func infoLabel(g api.Group) string {
	if g.Kind == api.GroupPrivate {
		return "Conversation info"
	}
	return "Group info"
}

// searchLabel is the menu entry that searches group g.
func searchLabel(g api.Group) string {
	if g.Kind == api.GroupPrivate {
		return "Search in conversation"
	}
	return "Search in group"
}

// searchHint is the search bar's placeholder in group g.
func searchHint(g api.Group) string {
	if g.Kind == api.GroupPrivate {
		return "Search this conversation"
	}
	return "Search this group"
}

// relabelGoMenu names the window's Go menu entries after the open group
// g: a group's or a conversation's search and info.
func (a *App) relabelGoMenu(g api.Group) {
	if a.goSearch == nil || a.goSearch.Label == searchLabel(g)+"…" {
		return
	}
	a.goSearch.Label, a.goInfo.Label = searchLabel(g)+"…", infoLabel(g)
	if m := a.win.MainMenu(); m != nil {
		m.Refresh()
	}
}

// leaveLabel is the menu entry that leaves group g.
func leaveLabel(g api.Group) string {
	if g.Kind == api.GroupPrivate {
		return "Leave conversation"
	}
	return "Leave group"
}

// leaveText says what leaving group g means.
func leaveText(g api.Group) string {
	if g.Kind == api.GroupPrivate {
		return "It leaves your Direct messages and the others can no longer write to you in it. You can start a new conversation later."
	}
	return "You stop receiving its messages. You can join again later."
}
