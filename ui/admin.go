package ui

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The admin screens: members and their roles (this file), invite links
// (invites.go, qr.go), join requests (requests.go), creating groups and
// their settings (groupsettings.go), the community's settings
// (admin_settings.go) and the audit log (admin_audit.go).
//
// Each screen is a dialog whose d.handles is a view struct of its main
// widgets, so tests drive it. Views that show backend state that others
// may change while the dialog is open (members, invites, requests, the
// audit log, a group's join requests) implement adminView: adminEvent
// re-reads them when the backend says their community changed.

// adminView is an open admin dialog's handles that show backend state of
// one community.
type adminView interface {
	// communityID is the community the view shows.
	communityID() crdt.ID
	// refresh re-reads what the view shows from the backend; it never
	// touches what the member is typing.
	refresh()
}

// adminEvent re-reads the open admin dialogs that event ev concerns. The
// app's event handler calls it after handling ev.
func (a *App) adminEvent(ev api.Event) {
	switch ev.Kind {
	case api.EventCommunities, api.EventGroups:
		a.refreshAdminViews(ev.Community)
	case api.EventPeers: // who is online
		for _, d := range a.openDialogs() {
			switch v := d.handles.(type) {
			case *membersView:
				v.refresh()
			case *relaysView:
				v.refresh()
			}
		}
	case api.EventMessages: // the team lists gather posts (teamlists.go)
		for _, d := range a.openDialogs() {
			switch v := d.handles.(type) {
			case *questionsView:
				// A question asked, edited or answered (api.Event.Home).
				if v.cid == ev.Community && ev.Home&api.HomeQA != 0 {
					v.refresh()
				}
			case *collectionView:
				if v.cid == ev.Community {
					v.refresh()
				}
			case *newcomersView:
				// Only ticks, welcomes and deletions change what it
				// shows (api.Event.Newcomers): rereading every newcomer
				// on each message costs in a community of thousands.
				if v.cid == ev.Community && ev.Newcomers {
					v.refresh()
				}
			}
		}
	}
}

// refreshAdminViews re-reads every open admin dialog of community cid.
func (a *App) refreshAdminViews(cid crdt.ID) {
	for _, d := range a.openDialogs() {
		if v, ok := d.handles.(adminView); ok && v.communityID() == cid {
			v.refresh()
		}
	}
}

// openDialogs is a copy of the open dialogs (refreshing one may open or
// close another).
func (a *App) openDialogs() []*dlg {
	return append([]*dlg(nil), a.dialogs...)
}

// communityInfo is community cid's summary as the backend last listed it,
// with what the local member may do there; the zero Community (which
// permits nothing) when the app does not know it.
func (a *App) communityInfo(cid crdt.ID) api.Community {
	for _, c := range a.communities {
		if c.ID == cid {
			return c
		}
	}
	return api.Community{}
}

// communityName is community cid's name, as the rail shows it.
func (a *App) communityName(cid crdt.ID) string {
	for _, c := range a.communities {
		if c.ID == cid {
			return c.Name
		}
	}
	return "the community"
}

// run is a.act for a dialog: one backend write off the UI goroutine, with
// busy (if not nil) disabled meanwhile, whose failure is shown in the
// dialog's error label (or, lacking one, in a dialog of its own); done
// runs on success, after the error label is cleared.
func (d *dlg) run(what string, busy *widget.Button, work func(ctx context.Context) error, done func()) {
	if busy != nil {
		busy.Disable()
	}
	d.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return work(ctx)
	}, func(err error) {
		if busy != nil {
			busy.Enable()
		}
		if err != nil {
			d.fail(what, err)
			return
		}
		d.clearError()
		if done != nil {
			done()
		}
	})
}

// clearError hides the dialog's error label.
func (d *dlg) clearError() {
	if d.errLabel != nil && d.errLabel.Visible() {
		d.errLabel.SetText("")
		d.errLabel.Hide()
		d.relayout()
	}
}

// invalid shows a problem with what the member typed in the dialog's
// error label.
func (d *dlg) invalid(text string) {
	d.errLabel.SetText(text)
	d.errLabel.Show()
	d.relayout()
}

// relayout fits the dialog's height to its content again.
func (d *dlg) relayout() {
	if d.d != nil {
		d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
	}
}

// shortTime is a time as the admin screens show it: "Nov 25, 09:31", with
// the year when it is not this year's.
func (a *App) shortTime(t time.Time) string {
	t = t.Local()
	if t.Year() != a.now().Local().Year() {
		return t.Format("Jan 2 2006, 15:04")
	}
	return t.Format("Jan 2, 15:04")
}

// withMinHeight gives o at least height h (a list or scroll, whose own
// minimum is one row).
func withMinHeight(o fyne.CanvasObject, h float32) *fyne.Container {
	return container.New(minHeightLayout(h), o)
}

// minHeightLayout stacks objects, at least its height tall.
type minHeightLayout float32

// Layout implements fyne.Layout.
func (minHeightLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

// MinSize implements fyne.Layout.
func (l minHeightLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(0, float32(l))
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// wrapped is a label whose text wraps.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// hint is dimmed, smaller wrapped text explaining a field or a screen.
func hint(text string) *widget.RichText {
	rt := secondary(text)
	rt.Wrapping, rt.Truncation = fyne.TextWrapWord, fyne.TextTruncateOff
	return rt
}

// sectionTitle is a bold label heading a part of a dialog.
func sectionTitle(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// showMenuUnder pops menu up under the widget from.
func (a *App) showMenuUnder(menu *fyne.Menu, from fyne.CanvasObject) {
	widget.ShowPopUpMenuAtPosition(menu, a.win.Canvas(),
		fyne.CurrentApp().Driver().AbsolutePositionForObject(from).Add(fyne.NewPos(0, from.Size().Height)))
}

// membersListHeight is how tall the members list is: about eight rows.
const membersListHeight = 340

// safetyHelp explains safety numbers in the members dialog.
const safetyHelp = "A safety number proves who someone is. To check a person, compare the number under their name here with the one their own app shows under their name, marked (you) — in person or on a call. If the numbers match, nobody is in between."

// membersView is the members dialog's widgets and state: the search
// entry, the virtualised list (a row widget per visible row, not per
// member) and the members it lists. Touched only on the UI goroutine.
type membersView struct {
	a   *App
	d   *dlg
	cid crdt.ID
	// badges are the icons of each member's wins, by peer id (teamhome.go).
	badges map[string]string
	team   *teamFilter // "Team of …" (teamfilter.go)

	search *keyEntry
	count  *widget.Label
	list   *widget.List
	empty  *widget.Label
	invite *widget.Button // admins: opens the invite manager; nil otherwise

	all   []api.Member // every member, as the backend lists them
	shown []api.Member // those the search matches
	// rows holds the row widgets bound now, by list item; lastMenu is the
	// member menu opened last (for tests).
	rows     map[widget.ListItemID]*memberRow
	byObject map[fyne.CanvasObject]*memberRow
	lastMenu *fyne.Menu
}

// memberRow is one row of the members list: avatar with the online dot,
// name with who invited them, role tag, safety number and the admin's
// menu button.
type memberRow struct {
	box    *fyne.Container
	avatar *avatar
	// name is the member's name (bold) and who invited them (dimmed), on
	// one line that a long name cuts from the end.
	name   *widget.RichText
	role   *widget.Label
	safety *widget.RichText
	menu   *widget.Button
	item   widget.ListItemID
	m      api.Member
}

// nameText is the row's name with its badges, for tests.
func (r *memberRow) nameText() string { return r.name.Segments[0].(*widget.TextSegment).Text }

// text is what the row shows, for tests: "Ben · invited by Olivia ·
// Admin · 71630 …".
func (r *memberRow) text() string {
	s := r.name.String()
	if r.role.Visible() && r.role.Text != "" {
		s += " · " + r.role.Text
	}
	if r.avatar.on {
		s += " · online"
	}
	return s + " · " + r.safety.String()
}

// showMembers lists a community's members with roles and safety numbers;
// admins promote, demote and remove from each member's menu.
func (a *App) showMembers(cid crdt.ID) {
	d := a.newDialog("Members of "+a.communityName(cid), nil)
	d.width = 580
	v := &membersView{a: a, d: d, cid: cid, rows: map[widget.ListItemID]*memberRow{}, byObject: map[fyne.CanvasObject]*memberRow{}}
	d.handles = v
	v.search = newKeyEntry(a)
	v.search.SetPlaceHolder("Search by name or role")
	v.search.OnChanged = func(string) { v.apply() }
	v.team = newTeamFilter(v.apply)
	v.count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.list = widget.NewList(func() int { return len(v.shown) }, v.newRow, v.bind)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	v.empty = widget.NewLabel("")
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Hide()
	d.errLabel = errorLabel()
	top := container.NewVBox(container.NewBorder(nil, nil, nil, v.team.choose, v.search), v.team.invitedBy, v.count, d.errLabel)
	body := container.NewBorder(top, hint(safetyHelp), nil, nil,
		withMinHeight(container.NewStack(v.list, container.NewCenter(v.empty)), membersListHeight))
	closeBtn := widget.NewButton("Close", d.hide)
	buttons := []fyne.CanvasObject{closeBtn}
	if a.communityInfo(cid).CanInvite {
		v.invite = widget.NewButtonWithIcon("Invite people", theme.ContentAddIcon(), func() { a.showInviteManager(cid) })
		v.invite.Importance = widget.HighImportance
		buttons = append(buttons, v.invite)
	}
	d.cancel = closeBtn
	v.refresh()
	d.setContent(body, buttons...)
	d.show()
	a.focus(v.search)
}

// communityID implements adminView.
func (v *membersView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it re-reads the members.
func (v *membersView) refresh() {
	ms, err := v.a.b.Members(v.cid)
	if err != nil {
		v.all = nil
		v.d.fail("Could not list the members", err)
	} else {
		v.all = ms
		v.d.clearError()
	}
	v.badges = winBadges(v.a, v.cid)
	v.team.load(v)
	v.apply()
}

// apply shows the members the search matches (by name or role).
func (v *membersView) apply() {
	q := normalize(v.search.Text)
	v.shown = v.shown[:0]
	online := 0
	for _, m := range v.all {
		if m.Online {
			online++
		}
		if (q == "" || containsFold(m.Name, q) || containsFold(roleTag(m.Role), q)) && v.team.shows(m) {
			v.shown = append(v.shown, m)
		}
	}
	switch {
	case q != "" || v.team.in != nil:
		v.count.SetText(itoa(len(v.shown)) + " of " + memberCount(len(v.all)))
	case online > 0:
		v.count.SetText(memberCount(len(v.all)) + " · " + itoa(online) + " online")
	default:
		v.count.SetText(memberCount(len(v.all)))
	}
	switch {
	case len(v.shown) > 0:
		v.empty.Hide()
	case q != "" && v.team.in != nil:
		v.empty.SetText("Nobody in " + v.team.choose.Selected + " matches “" + v.search.Text + "”.")
		v.empty.Show()
	case q != "":
		v.empty.SetText("No member matches “" + v.search.Text + "”.")
		v.empty.Show()
	default:
		v.empty.SetText("No members to show.")
		v.empty.Show()
	}
	v.list.Refresh()
}

// newRow makes a member row for the list to bind.
func (v *membersView) newRow() fyne.CanvasObject {
	r := &memberRow{item: -1}
	r.avatar = newAvatar("", "", 36)
	r.name = widget.NewRichText(&widget.TextSegment{Style: widget.RichTextStyleStrong},
		&widget.TextSegment{Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder, SizeName: theme.SizeNameText}})
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.role = widget.NewLabel("")
	r.role.Importance = widget.HighImportance
	r.safety = widget.NewRichText(&widget.TextSegment{Style: widget.RichTextStyle{
		SizeName: theme.SizeNameCaptionText, ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Monospace: true}}})
	r.menu = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), func() { v.openMenu(r) })
	r.menu.Importance = widget.LowImportance
	// The button keeps its room when hidden, so role tags line up.
	slot := container.New(keepSize{r.menu}, r.menu)
	right := container.NewHBox(container.NewCenter(r.role), container.NewCenter(slot))
	r.box = container.NewBorder(nil, nil, container.NewCenter(r.avatar), right, tight(r.name, r.safety))
	v.byObject[r.box] = r
	return r.box
}

// keepSize lays out its objects at their size, and is as big as o even
// when o is hidden.
type keepSize struct{ o fyne.CanvasObject }

// Layout implements fyne.Layout.
func (k keepSize) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

// MinSize implements fyne.Layout.
func (k keepSize) MinSize([]fyne.CanvasObject) fyne.Size { return k.o.MinSize() }

// tight stacks a and b with no room between them (a name over its
// details).
func tight(a, b fyne.CanvasObject) *fyne.Container {
	return container.New(tightVBox{}, a, b)
}

// tightVBox lays out objects top to bottom, overlapping their padding.
type tightVBox struct{}

// Layout implements fyne.Layout.
func (tightVBox) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	total := float32(0)
	for _, o := range objs {
		total += o.MinSize().Height
	}
	overlap := 2 * theme.Padding()
	y := (s.Height - (total - overlap*float32(len(objs)-1))) / 2
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(s.Width, h))
		y += h - overlap
	}
}

// MinSize implements fyne.Layout.
func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w = max(w, m.Width)
		h += m.Height
	}
	if len(objs) > 1 {
		h -= 2 * theme.Padding() * float32(len(objs)-1)
	}
	return fyne.NewSize(w, h)
}

// bind shows member i in row o.
func (v *membersView) bind(i widget.ListItemID, o fyne.CanvasObject) {
	r := v.byObject[o]
	if r == nil || i >= len(v.shown) {
		return
	}
	if v.rows[r.item] == r {
		delete(v.rows, r.item)
	}
	r.item, r.m = i, v.shown[i]
	v.rows[i] = r
	m := r.m
	name := m.Name
	if m.PeerID == v.a.self.PeerID {
		name += " (you)"
	}
	r.name.Segments[0].(*widget.TextSegment).Text = name + v.badges[m.PeerID]
	invited := ""
	if by := v.team.inviter[m.PeerID]; by != "" {
		invited = " · invited by " + by
	}
	r.name.Segments[1].(*widget.TextSegment).Text = invited
	r.name.Refresh()
	r.role.SetText(roleTag(m.Role))
	r.role.Hidden = !hasRoleTag(m.Role)
	r.safety.Segments[0].(*widget.TextSegment).Text = safetyText(v.a.safetyOf(m, func() { v.list.RefreshItem(i) }))
	r.safety.Refresh()
	r.avatar.set(m.Name, m.PeerID, m.Online)
	r.avatar.setPicture(m.Photo)
	if len(v.a.memberMenu(v.cid, m)) == 0 {
		r.menu.Hide()
	} else {
		r.menu.Show()
	}
	r.box.Refresh()
}

// openMenu pops up what the local member may do to the row's member.
func (v *membersView) openMenu(r *memberRow) {
	items := v.a.memberMenu(v.cid, r.m)
	if len(items) == 0 {
		return
	}
	v.lastMenu = fyne.NewMenu("", items...)
	v.a.showMenuUnder(v.lastMenu, r.menu)
}

// shownRows is the text of the rows on screen, top to bottom (tests).
func (v *membersView) shownRows() []string {
	var out []string
	for i := range len(v.shown) {
		if r, ok := v.rows[i]; ok && r.item == i {
			out = append(out, r.text())
		}
	}
	return out
}

// normalize is a search query as matched: trimmed, in lower case.
func normalize(q string) string { return strings.ToLower(strings.TrimSpace(q)) }

// containsFold reports whether s contains the normalized query q,
// ignoring case.
func containsFold(s, q string) bool { return strings.Contains(strings.ToLower(s), q) }

// memberActions are what the local member may do to member m: exactly
// what the backend says it may (m.Grantable, m.CanRemove), which is what
// the community rules allow. The member's own row offers nothing (one
// leaves a community from its menu). Each action asks first.
func (a *App) memberActions(cid crdt.ID, m api.Member) []*fyne.MenuItem {
	if m.PeerID == a.self.PeerID {
		return nil
	}
	var items []*fyne.MenuItem
	if slices.Contains(m.Grantable, "admin") {
		items = append(items, fyne.NewMenuItem("Make admin", func() { a.confirmRole(cid, m, "admin") }))
	}
	if slices.Contains(m.Grantable, "owner") {
		items = append(items, fyne.NewMenuItem("Make co-leader", func() { a.confirmRole(cid, m, "owner") }))
	}
	if slices.Contains(m.Grantable, "member") {
		items = append(items, fyne.NewMenuItem("Dismiss as admin", func() { a.confirmRole(cid, m, "member") }))
	}
	if m.CanRemove {
		remove := fyne.NewMenuItem("Remove from "+a.communityName(cid), func() { a.confirmRemove(cid, m) })
		remove.Icon = theme.DeleteIcon()
		if len(items) > 0 {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		items = append(items, remove)
	}
	return items
}

// confirmRole says what giving m the role means, and on confirmation
// gives it.
func (a *App) confirmRole(cid crdt.ID, m api.Member, role string) {
	community := a.communityName(cid)
	var title, text, action, what string
	switch role {
	case "admin":
		title = "Make " + m.Name + " an admin?"
		text = m.Name + " will be able to invite and remove people, approve join requests, post announcements, pin and delete messages, and change " + community + "'s settings. You can dismiss them as admin later."
		action, what = "Make admin", "Could not make "+m.Name+" an admin"
	case "owner":
		title = "Make " + m.Name + " a co-leader?"
		text = m.Name + " will be able to do everything you can in " + community + ", including making admins and co-leaders. This cannot be undone: nobody, not even you, can take the role back or remove a co-leader."
		action, what = "Make co-leader", "Could not make "+m.Name+" a co-leader"
	default:
		title = "Dismiss " + m.Name + " as admin?"
		text = m.Name + " stays in " + community + " as a member, but can no longer invite or remove people, approve requests, post announcements or change settings. Admin actions they take before this reaches them are undone."
		action, what = "Dismiss as admin", "Could not dismiss "+m.Name+" as admin"
	}
	a.confirmAction(title, text, action, func() {
		a.act(what, func(ctx context.Context) error {
			return a.b.SetRole(ctx, cid, m.PeerID, role)
		}, func() { a.membersChanged(cid) })
	})
}

// confirmRemove asks, then removes m from the community.
func (a *App) confirmRemove(cid crdt.ID, m api.Member) {
	community := a.communityName(cid)
	text := m.Name + " leaves every group and can no longer read new messages. Anything they post before this reaches them is hidden. They can come back only with a new invite."
	a.confirmAction("Remove "+m.Name+" from "+community+"?", text, "Remove", func() {
		a.act("Could not remove "+m.Name, func(ctx context.Context) error {
			return a.b.RemoveMember(ctx, cid, m.PeerID)
		}, func() { a.membersChanged(cid) })
	})
}

// membersChanged shows a change of roles or members at once (the
// backend's event follows).
func (a *App) membersChanged(cid crdt.ID) {
	if cid == a.community {
		a.membersOf = crdt.ID{}
		a.info.refresh()
	}
	a.refreshAdminViews(cid)
}
