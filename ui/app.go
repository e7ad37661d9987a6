package ui

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// App is the main window's content bound to one backend: the rail of
// communities, the selected community's home, the conversation and the
// info pane. Its fields are touched only on the UI goroutine.
type App struct {
	win  fyne.Window
	b    Backend
	self api.Self
	now  func() time.Time
	// spawn runs blocking work off the UI goroutine; tests run it inline.
	spawn func(func())
	// afterEvent, when set, is called on the UI goroutine after each
	// backend event is handled (a test hook).
	afterEvent func(api.Event)
	// notify shows a system notification.
	notify func(title, body string)
	// newcomers is the last newcomers list read for the home's welcome
	// prompts (welcome.go), nil once an event may have changed it.
	newcomers newcomersCache
	logger    *slog.Logger
	// foreground: the window has the focus (no notifications for what
	// the member is looking at).
	foreground bool

	communities []api.Community
	groups      []api.Group
	community   crdt.ID // selected community; zero when none
	group       crdt.ID // selected group; zero when none
	members     map[string]api.Member
	membersOf   crdt.ID // the community members holds
	// safety holds the safety numbers asked for by peer id, and asking
	// the peers being asked (safetyOf).
	safety, asking map[string]string

	// privates are the selected community's private conversations; groups
	// lists them too, last, as groups (private.go).
	privates []api.Private

	root      *fyne.Container
	rail      *rail
	home      *home
	convo     *conversation
	files     *fileManager
	info      *infoPane
	calls     *calls           // calls: banner, call bar, call window (calls.go)
	inner     *container.Split // conversation | info pane
	infoShown bool

	viewer     *imageViewer   // the image viewer, while open (viewer.go)
	transfers  *transfersView // the Transfers panel, while open (transfers.go)
	dialogs    []*dlg         // open dialogs, oldest first
	lastDialog *dlg           // the most recently opened dialog
	lastPopUp  *widget.PopUp  // the most recently shown pop-up
	switcher   *switcher      // the Ctrl+K switcher, when open
	seen       map[crdt.ID]groupCounts
	requests   map[crdt.ID]pendingRequests // per community, those the member may decide (requestwatch.go)
	asked      map[crdt.ID]bool            // per group, whether the member's request waited at the last look
	remindFrom time.Time                   // reminders due after it are still to show (remind.go)

	// goSearch and goInfo are the Go menu's entries named after the open
	// group (relabelGoMenu).
	goSearch, goInfo *fyne.MenuItem

	unsubscribe func()
	done        chan struct{}

	pendingMu sync.Mutex
	pending   []api.Event // guarded by pendingMu: events not handled yet
	flushing  bool        // guarded by pendingMu: a flush is scheduled
}

// groupCounts are a group's unread counts as last seen, to notice new
// mentions and announcements.
type groupCounts struct {
	unread, mentions int
	joined           bool // the member was in the group
}

// New builds the main screen for backend b in window w and starts
// listening to b's events. Call Close when the window closes.
func New(w fyne.Window, b Backend) *App {
	a := newApp(w, b)
	a.notify = func(title, body string) {
		fyne.CurrentApp().SendNotification(fyne.NewNotification(title, notificationBody(runtime.GOOS, body)))
	}
	lc := fyne.CurrentApp().Lifecycle()
	lc.SetOnEnteredForeground(func() { a.foreground = true; a.convo.markRead(false) })
	lc.SetOnExitedForeground(func() { a.foreground = false })
	w.SetMainMenu(a.mainMenu())
	events, cancel := b.Subscribe()
	a.unsubscribe = cancel
	go a.listen(events)
	go a.tickStatus()
	go a.files.tickRelays(a.done)
	a.start()
	return a
}

// newApp builds the screen without starting anything.
func newApp(w fyne.Window, b Backend) *App {
	a := &App{win: w, b: b, self: b.Self(), now: time.Now, spawn: func(f func()) { go f() },
		notify: func(string, string) {}, logger: slog.Default().With("component", "ui"),
		foreground: true, seen: map[crdt.ID]groupCounts{}, done: make(chan struct{})}
	a.build()
	return a
}

// start shows the first state.
func (a *App) start() {
	a.reloadCommunities()
	a.refreshStatus()
	for _, c := range a.communities {
		if gs, _, err := a.loadGroups(c.ID); err == nil {
			a.checkNotifications(c, gs)
		}
	}
	if len(a.communities) > 0 {
		a.selectCommunity(a.communities[0].ID)
	}
}

// Content returns the screen's root object.
func (a *App) Content() fyne.CanvasObject { return a.root }

// Close stops listening to the backend.
func (a *App) Close() {
	if a.unsubscribe != nil {
		a.unsubscribe()
		a.unsubscribe = nil
		<-a.done
	}
}

// OpenLink offers to join with an invite link (an umbrella:// link the app
// was opened with): it asks "Join <community>?" and, on
// Join, joins with its progress. A link that does not read shows the join
// dialog with the link and what is wrong with it.
//
// It does not join by itself: joining tells the inviter the member's name
// and address, so the member confirms with Join (focused: Space presses it).
func (a *App) OpenLink(link string) {
	link = strings.TrimSpace(link)
	if link == "" {
		a.showJoin("")
		return
	}
	a.openInvite(link)
}

// listen forwards backend events to the UI goroutine. Events that arrive
// while the UI is busy are gathered and handled together, each distinct
// event once, so a burst (a catch-up of thousands of ops) costs a few
// refreshes. It never waits for the UI goroutine, which may itself be
// waiting for listen to end (Close, when the window closes).
func (a *App) listen(events <-chan api.Event) {
	defer close(a.done)
	for ev := range events {
		a.pendingMu.Lock()
		if !slices.Contains(a.pending, ev) {
			a.pending = append(a.pending, ev)
		}
		schedule := !a.flushing
		a.flushing = true
		a.pendingMu.Unlock()
		if schedule {
			fyne.Do(a.flush)
		}
	}
}

// flush handles the events gathered by listen.
func (a *App) flush() {
	a.pendingMu.Lock()
	batch := a.pending
	a.pending, a.flushing = nil, false
	a.pendingMu.Unlock()
	for _, e := range batch {
		a.handle(e)
	}
}

// tickStatus refreshes the network indicator every few seconds as well, as
// a busy node may drop events a slow subscriber did not read.
func (a *App) tickStatus() {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
			fyne.Do(a.refreshStatus)
		}
	}
}

func (a *App) handle(ev api.Event) {
	a.newcomers.event(ev)
	a.home.lists.event(ev)
	switch ev.Kind {
	case api.EventCommunities:
		a.reloadCommunities()
		if !ev.Community.IsZero() {
			a.checkCommunity(ev.Community) // requests to join
		}
		if ev.Community == a.community {
			a.membersOf = crdt.ID{}
			a.home.refreshHeader()
			a.info.refresh()
			if c, _ := a.selected(); (departedText(c) != "") != a.home.gone {
				// Removed or gone: no joining or writing anywhere in it.
				a.reloadGroups()
				if !a.group.IsZero() {
					a.convo.open()
				}
			}
		}
	case api.EventGroups:
		if ev.Community == a.community {
			a.reloadGroups()
		} else {
			a.checkCommunity(ev.Community)
		}
	case api.EventMessages:
		// Counts first: reloading the open group marks what arrived read
		// when the member is at its end, and it goes by the group's
		// unread count, which must already include the new messages.
		if ev.Community == a.community {
			a.refreshGroups(false) // unread counts
		} else {
			a.checkCommunity(ev.Community)
		}
		if ev.Community == a.community && ev.Group == a.group {
			a.convo.reload()
		}
		a.rail.refresh()
	case api.EventPeers:
		a.refreshStatus()
		a.info.refreshOnline()
	case api.EventCalls:
		a.calls.refresh(ev.Community)
	case api.EventAdded:
		a.reloadCommunities()
		a.communityAddedNotice(a.communityInfo(ev.Community))
	}
	a.adminEvent(ev)
	if a.afterEvent != nil {
		a.afterEvent(ev)
	}
}

func (a *App) build() {
	a.rail = newRail(a)
	a.home = newHome(a)
	a.files = newFileManager(a)
	a.calls = newCalls(a)
	a.convo = newConversation(a)
	a.info = newInfoPane(a)
	a.inner = container.NewHSplit(a.convo.root, a.info.root)
	a.inner.Offset = 1
	middle := container.NewHSplit(a.home.root, a.inner)
	middle.Offset = 0.3
	outer := container.NewHSplit(a.rail.root, middle)
	outer.Offset = 0.2
	a.root = container.NewBorder(a.calls.top, nil, nil, nil, outer)
	a.setInfoShown(false)
	a.showCommunityPane(false)
	a.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch {
		case a.viewer != nil && a.viewer.key(k.Name):
		case k.Name == fyne.KeyEscape:
			a.escape()
		}
	})
	a.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { a.convo.dropped(uris) })
	for _, s := range a.shortcuts() {
		a.win.Canvas().AddShortcut(s, func(sc fyne.Shortcut) { a.shortcut(sc) })
	}
}

// shortcuts are the app's keyboard shortcuts: Ctrl+K switches group,
// Ctrl+F searches the open group, Ctrl+I shows the info pane.
func (a *App) shortcuts() []*desktop.CustomShortcut {
	mod := fyne.KeyModifierShortcutDefault
	return []*desktop.CustomShortcut{
		{KeyName: fyne.KeyK, Modifier: mod},
		{KeyName: fyne.KeyF, Modifier: mod},
		{KeyName: fyne.KeyI, Modifier: mod},
	}
}

// shortcut runs the app's action for s, reporting whether it was one.
func (a *App) shortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	switch cs.KeyName {
	case fyne.KeyK:
		a.showSwitcher()
	case fyne.KeyF:
		a.convo.toggleSearch()
	case fyne.KeyI:
		a.toggleInfo()
	default:
		return false
	}
	return true
}

// escape closes what is on top: a dialog, the search bar, a reply or edit
// in progress.
func (a *App) escape() {
	switch {
	case a.closeTopDialog():
	case a.convo.searching:
		a.convo.closeSearch()
	case a.convo.replyTo != nil || a.convo.editing != nil:
		a.convo.cancelContext()
	}
}

// mainMenu is the window's menu bar, with the shortcuts in it.
func (a *App) mainMenu() *fyne.MainMenu {
	sc := a.shortcuts()
	item := func(label string, s *desktop.CustomShortcut, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Shortcut = s
		return it
	}
	a.goSearch = item("Search in group…", sc[1], a.convo.toggleSearch)
	a.goInfo = item("Group info", sc[2], a.toggleInfo)
	return fyne.NewMainMenu(
		fyne.NewMenu("Community",
			fyne.NewMenuItem("New community…", a.showCreateCommunity),
			fyne.NewMenuItem("Join with a link…", func() { a.showJoin("") }),
			fyne.NewMenuItem("Files…", a.showCommunityFiles),
			fyne.NewMenuItem("Transfers…", func() { a.showTransfers() }),
			fyne.NewMenuItem("Storage…", func() { a.showStorage() }),
		),
		fyne.NewMenu("Go",
			item("Switch group…", sc[0], a.showSwitcher),
			a.goSearch,
			a.goInfo,
		),
	)
}

// focus gives o, in the window's content or its top dialog, the keyboard
// focus. It asks the window's own canvas: the driver knows an object's
// canvas only once it has drawn it, so a bar or dialog shown a moment ago
// would not be found there.
func (a *App) focus(o fyne.Focusable) {
	if a.win != nil {
		a.win.Canvas().Focus(o)
	}
}

func (a *App) clipboard() fyne.Clipboard { return fyne.CurrentApp().Clipboard() }

// log records a failure that needs no dialog.
func (a *App) log(what string, err error) {
	a.logger.Warn(what, "err", err)
}

// refreshStatus shows whether the node is online, syncing or offline, and
// how many peers it reaches directly or through a relay.
func (a *App) refreshStatus() {
	a.rail.setStatus(statusText(a.b.Status()))
	a.checkReminders()
	a.calls.tick()
	a.convo.tick() // promotions that start or end in view
}

// statusText is the indicator's wording for st: the peers (those reached
// through a relay among them), then the relays connected.
func statusText(st api.Status) string {
	n, relayed, relays := 0, 0, 0
	for _, p := range st.Peers {
		switch {
		case p.Relay:
			relays++
		case p.Relayed:
			n++
			relayed++
		default:
			n++
		}
	}
	peers := fmt.Sprintf("%d peers", n)
	if n == 1 {
		peers = "1 peer"
	}
	if relayed > 0 {
		peers += fmt.Sprintf(", %d through a relay", relayed)
	}
	switch {
	case relays == 1:
		peers += " · 1 relay"
	case relays > 1:
		peers += fmt.Sprintf(" · %d relays", relays)
	}
	switch st.Network {
	case "syncing":
		return "◐ Syncing · " + peers
	case "online":
		return "● Online · " + peers
	default:
		return "○ Offline · messages go out when you reconnect"
	}
}

// secondary is dimmed, smaller text for details.
func secondary(text string) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{Text: text, Style: secondaryStyle(false)})
	rt.Truncation = fyne.TextTruncateEllipsis
	return rt
}

// secondaryStyle is the style of dimmed, smaller text (times, counts).
func secondaryStyle(inline bool) widget.RichTextStyle {
	return widget.RichTextStyle{Inline: inline, ColorName: theme.ColorNamePlaceHolder, SizeName: theme.SizeNameCaptionText}
}

func setSecondary(o fyne.CanvasObject, text string) {
	rt := o.(*widget.RichText)
	rt.Segments[0].(*widget.TextSegment).Text = text
	rt.Refresh()
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func memberCount(n int) string {
	if n == 1 {
		return "1 member"
	}
	return fmt.Sprintf("%d members", n)
}

// showCommunityPane shows the community's home, or a welcome when none is
// selected.
func (a *App) showCommunityPane(selected bool) {
	if selected {
		a.home.show()
		a.convo.showEmpty("Choose a group to start reading.")
		return
	}
	a.home.showHint()
	a.setInfoShown(false)
	if len(a.communities) == 0 {
		a.convo.showWelcome()
	} else {
		a.convo.showEmpty("Choose a community on the left.")
	}
}

func (a *App) reloadCommunities() {
	a.communities = a.b.Communities()
	a.rail.reload()
	a.showUnreadInTitle()
	found := false
	for _, c := range a.communities {
		found = found || c.ID == a.community
	}
	if !found && !a.community.IsZero() {
		a.community, a.group = crdt.ID{}, crdt.ID{}
		a.groups, a.privates = nil, nil
	}
	if a.community.IsZero() {
		a.showCommunityPane(false)
	} else if !a.group.IsZero() {
		a.convo.updateHeader()
	}
}

// showUnreadInTitle puts the number of unread messages in the window's
// title, as messengers do, so the taskbar shows it.
func (a *App) showUnreadInTitle() {
	n := 0
	for _, c := range a.communities {
		n += c.Unread
	}
	title := "Umbrella"
	if n > 0 {
		title = "(" + countText(n) + ") Umbrella"
	}
	a.win.SetTitle(title)
}

func (a *App) selectCommunity(id crdt.ID) {
	if id == a.community {
		return
	}
	a.community, a.group = id, crdt.ID{}
	a.membersOf = crdt.ID{}
	a.rail.selectCommunity(id)
	a.showCommunityPane(true)
	a.reloadGroups()
	a.info.refresh()
}

// reloadGroups re-reads the selected community's groups after a change
// of groups or membership.
func (a *App) reloadGroups() { a.refreshGroups(true) }

// refreshGroups re-reads the selected community's groups: their unread
// counts after new messages, and with full, what else may have changed
// (the info pane's members).
func (a *App) refreshGroups(full bool) {
	gs, ps, err := a.loadGroups(a.community)
	if err != nil {
		a.home.showProblem("Could not load the groups: " + explain(err))
		return
	}
	a.groups, a.privates = gs, ps
	c, _ := a.selected()
	a.checkNotifications(c, gs)
	a.home.reload()
	if !a.group.IsZero() {
		_, g := a.selected()
		if g.ID.IsZero() { // the group is gone
			a.group = crdt.ID{}
			a.convo.showEmpty("Choose a group to start reading.")
		} else {
			wasJoined := a.convo.openGroup.Joined
			a.convo.updateHeader()
			if g.Joined != wasJoined {
				a.convo.open()
			}
		}
	}
	if full {
		a.info.refresh()
	}
}

func (a *App) selectGroup(id crdt.ID) {
	if id == a.group {
		return
	}
	a.group = id
	a.home.markSelected()
	a.convo.open()
	a.info.refresh()
}

// openGroup shows group gid of community cid (the switcher, a
// notification).
func (a *App) openGroup(cid, gid crdt.ID) {
	a.selectCommunity(cid)
	a.selectGroup(gid)
}

// selected returns the selected community and group summaries.
func (a *App) selected() (api.Community, api.Group) {
	var c api.Community
	var g api.Group
	for _, x := range a.communities {
		if x.ID == a.community {
			c = x
		}
	}
	for _, x := range a.groups {
		if x.ID == a.group {
			g = x
		}
	}
	return c, g
}

// memberIndex returns the selected community's members by peer id,
// reading them once per change of membership.
func (a *App) memberIndex() map[string]api.Member {
	if a.membersOf == a.community && a.members != nil {
		return a.members
	}
	a.members = map[string]api.Member{}
	a.membersOf = a.community
	ms, err := a.b.Members(a.community)
	if err != nil {
		a.log("list members", err)
		return a.members
	}
	for _, m := range ms {
		a.members[m.PeerID] = m
	}
	return a.members
}

func (a *App) showError(what string, err error) {
	a.showErrorText(what, explain(err))
}

func (a *App) showErrorText(what, detail string) {
	d := a.newDialog(what, nil)
	msg := widget.NewLabel(capitalize(detail))
	msg.Wrapping = fyne.TextWrapWord
	ok := widget.NewButton("OK", d.hide)
	d.setContent(msg, ok)
	d.confirm = ok
	d.show()
}

// safetyOf returns member m's safety number as far as it is known. A
// members list leaves most of a big community's empty (the node computes
// them when shown, about 1 ms each): for such a row it asks the backend
// off the UI goroutine and calls shown on it once the number is known,
// to bind the row again.
func (a *App) safetyOf(m api.Member, shown func()) string {
	if m.SafetyNumber != "" {
		return m.SafetyNumber
	}
	if sn, ok := a.safety[m.PeerID]; ok {
		return sn
	}
	if a.safety == nil {
		a.safety, a.asking = map[string]string{}, map[string]string{}
	}
	if _, ok := a.asking[m.PeerID]; ok {
		return ""
	}
	peer := m.PeerID
	a.asking[peer] = ""
	var sn []string
	inline := true // spawn may run the work at once (tests)
	a.background(func() (err error) {
		sn, err = a.b.SafetyNumbers([]string{peer})
		if err == nil && len(sn) != 1 {
			err = fmt.Errorf("%d safety numbers for one member", len(sn))
		}
		return err
	}, func(err error) {
		delete(a.asking, peer)
		if err != nil {
			a.logger.Debug("safety number", "peer", peer, "err", err)
			return
		}
		a.safety[peer] = sn[0]
		if !inline {
			shown()
		}
	})
	inline = false
	return a.safety[peer]
}

// background runs work off the UI goroutine and then done on it.
func (a *App) background(work func() error, done func(error)) {
	a.spawn(func() {
		err := work()
		fyne.Do(func() { done(err) })
	})
}

func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func (a *App) showCreateCommunity() {
	d := a.newDialog("New community", nil)
	name := newKeyEntry(a)
	name.SetPlaceHolder("e.g. Glow Team — Spring Launch")
	d.errLabel = errorLabel()
	var create *widget.Button
	create = widget.NewButton("Create", func() {
		n := strings.TrimSpace(name.Text)
		if n == "" {
			d.errLabel.SetText("Give your community a name.")
			d.errLabel.Show()
			return
		}
		create.Disable()
		var c api.Community
		a.background(func() (err error) {
			c, err = a.b.CreateCommunity(context.Background(), n)
			return err
		}, func(err error) {
			create.Enable()
			if err != nil {
				d.fail("Could not create the community", err)
				return
			}
			d.hide()
			a.reloadCommunities()
			a.selectCommunity(c.ID)
			a.openAnnouncements()
		})
	})
	create.Importance = widget.HighImportance
	name.OnSubmitted = func(string) { create.OnTapped() }
	intro := widget.NewLabel("A community holds your team's announcements and groups. You will be its leader; invite your team once it is made.")
	intro.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton("Cancel", d.hide)
	d.setContent(container.NewVBox(intro, name, d.errLabel), cancel, create)
	d.createEntry, d.confirm, d.cancel = name, create, cancel
	d.show()
	a.focus(name)
}

// openAnnouncements opens the selected community's announcement group:
// where a new community starts, and what a newcomer reads first.
func (a *App) openAnnouncements() {
	for _, g := range a.groups {
		if g.Kind == api.GroupAnnouncement {
			a.selectGroup(g.ID)
			return
		}
	}
}

// joinGroup joins an open group, or asks to join an approval group.
func (a *App) joinGroup(g api.Group) {
	cid := a.community
	what := "Could not join " + g.Name
	a.act(what, func(ctx context.Context) error {
		return a.b.JoinGroup(ctx, cid, g.ID)
	}, func() {
		if g.CanAskToJoin {
			a.showErrorText("Request sent", "An admin of "+g.Name+" will let you in; the group opens here when they do.")
		}
		a.reloadGroups()
	})
}

// hasCommunity reports whether community cid is listed: a join that waits
// for an admin's approval is not, until they approve.
func (a *App) hasCommunity(cid crdt.ID) bool {
	return slices.ContainsFunc(a.communities, func(c api.Community) bool { return c.ID == cid })
}

// groupName is the name of group gid of the selected community, or "the
// group" when it is not one of them.
func (a *App) groupName(gid crdt.ID) string {
	for _, g := range a.groups {
		if g.ID == gid {
			return g.Name
		}
	}
	return "the group"
}
