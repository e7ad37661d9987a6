package ui

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Calls in the main window: the voice and video buttons of the group
// header, the banner of an incoming call (with a system notification),
// the conversation's "Call in progress" strip and the call bar while the
// member is in a call. The call itself shows in its own window
// (callwindow.go).

// callBackend is what the calls need from a node. A backend without it
// shows no calls.
type callBackend interface {
	// Calls lists a community's calls; CallStatus says how a call the
	// member takes part in runs.
	Calls(community crdt.ID) ([]api.Call, error)
	CallStatus(community, call crdt.ID) (api.CallStatus, error)
	StartCall(ctx context.Context, community, group crdt.ID, video, synthetic bool) (crdt.ID, error)
	JoinCall(ctx context.Context, community, call crdt.ID, video, synthetic bool) error
	LeaveCall(ctx context.Context, community, call crdt.ID) error
	// EndCall ends a call for everyone (api.Call.CanEnd).
	EndCall(ctx context.Context, community, call crdt.ID) error
}

// callMuter mutes and unmutes the member's microphone in a call.
type callMuter interface {
	SetCallMuted(ctx context.Context, community, call crdt.ID, muted bool) error
}

// callCamera turns the member's camera on and off in a call.
type callCamera interface {
	SetCallVideo(ctx context.Context, community, call crdt.ID, on bool) error
}

// callRemover drops a participant from a call (api.Call.CanEnd).
type callRemover interface {
	RemoveCallPeer(ctx context.Context, community, call crdt.ID, peerID string) error
}

// calls is the main window's part of calls.
type calls struct {
	a  *App
	cb callBackend // nil: the backend has no calls

	rung     map[crdt.ID]bool // calls that rang here (banner shown once)
	ringing  api.Call         // the call the banner shows; zero ID when none
	ringComm crdt.ID
	cur      api.Call // the call the member is in; zero ID when none
	curComm  crdt.ID
	window   *callWindow

	top        *fyne.Container // the banner and the call bar, over the window
	banner     *fyne.Container
	bannerText *widget.Label
	bannerJoin *widget.Button
	bannerNo   *widget.Button
	bar        *fyne.Container
	barText    *widget.Label
	barOpen    *widget.Button
	barLeave   *widget.Button
	// frames: an open call window runs its refresh loop (tests draw
	// frames themselves).
	frames bool

	// In the conversation: the header's buttons and the strip.
	voiceBtn, videoBtn *widget.Button
	strip              *fyne.Container
	stripText          *widget.Label
	stripJoin          *widget.Button
	stripCall          api.Call
}

func newCalls(a *App) *calls {
	k := &calls{a: a, rung: map[crdt.ID]bool{}, frames: true}
	k.cb, _ = a.b.(callBackend)
	k.bannerText = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	k.bannerText.Truncation = fyne.TextTruncateEllipsis
	k.bannerJoin = widget.NewButtonWithIcon("Join", theme.MediaPlayIcon(), func() { k.join(k.ringComm, k.ringing) })
	k.bannerJoin.Importance = widget.SuccessImportance
	k.bannerNo = widget.NewButtonWithIcon("Decline", theme.CancelIcon(), k.decline)
	k.bannerNo.Importance = widget.DangerImportance
	k.banner = container.NewStack(newFill(theme.ColorNameInputBackground),
		container.NewPadded(container.NewBorder(nil, nil, nil, container.NewHBox(k.bannerJoin, k.bannerNo), k.bannerText)))
	k.banner.Hide()
	k.barText = widget.NewLabel("")
	k.barText.Truncation = fyne.TextTruncateEllipsis
	k.barOpen = widget.NewButton("Open call", k.openWindow)
	k.barOpen.Importance = widget.HighImportance
	k.barLeave = widget.NewButton("Leave", k.leave)
	k.barLeave.Importance = widget.DangerImportance
	k.bar = container.NewStack(newFill(theme.ColorNameInputBackground),
		container.NewPadded(container.NewBorder(nil, nil, nil, container.NewHBox(k.barOpen, k.barLeave), k.barText)))
	k.bar.Hide()
	k.top = container.NewVBox(k.banner, k.bar)
	k.top.Hide()

	k.voiceBtn = widget.NewButton("📞 Call", func() { k.start(false) })
	k.voiceBtn.Importance = widget.LowImportance
	k.videoBtn = widget.NewButton("🎥 Video call", func() { k.start(true) })
	k.videoBtn.Importance = widget.LowImportance
	k.voiceBtn.Hide()
	k.videoBtn.Hide()
	k.stripText = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	k.stripJoin = widget.NewButton("Join", k.joinStrip)
	k.stripJoin.Importance = widget.SuccessImportance
	k.strip = container.NewBorder(nil, widget.NewSeparator(), nil, k.stripJoin, k.stripText)
	k.strip.Hide()
	return k
}

// ringFresh is how recently a call must have started for the app to ring
// for it when it first hears of it.
const ringFresh = time.Minute

// refresh re-reads community cid's calls after an api.EventCalls: it
// rings for a new call of a group the member is in, follows the call the
// member takes part in and the open group's strip.
func (k *calls) refresh(cid crdt.ID) {
	if k.cb == nil {
		return
	}
	list, err := k.cb.Calls(cid)
	if err != nil {
		k.a.log("list calls", err)
		return
	}
	now := k.a.now()
	for _, c := range list {
		if !c.Active || c.Joined || c.StartedBy == k.a.self.PeerID || k.rung[c.ID] {
			continue
		}
		k.rung[c.ID] = true
		// A call that began long ago (the app opened, or heard of it,
		// late) shows in its conversation's strip, but rings no more.
		if now.Sub(c.Started) <= ringFresh {
			k.ring(cid, c)
		}
	}
	if k.ringComm == cid && !k.ringing.ID.IsZero() {
		if i := slices.IndexFunc(list, func(c api.Call) bool { return c.ID == k.ringing.ID }); i < 0 || !list[i].Active || list[i].Joined {
			k.hideBanner()
		}
	}
	switch i := slices.IndexFunc(list, func(c api.Call) bool { return c.Joined && c.Active }); {
	case i >= 0:
		k.setCurrent(cid, list[i])
	case k.curComm == cid:
		k.setCurrent(crdt.ID{}, api.Call{})
	}
	if cid == k.a.community {
		k.showStrip(list)
	}
}

// tick lists the open group's calls again while its strip shows a call
// the member is not in: a node not in a call learns who joined it only
// when it lists the calls (it asks a participant then, at most every
// call.AskEvery, and the answer comes as an api.EventCalls), so without
// it the strip kept the count of the ring.
func (k *calls) tick() {
	if k.cb != nil && !k.stripCall.ID.IsZero() && !k.stripCall.Joined {
		k.refresh(k.a.community)
	}
}

// ring shows the banner of call c and a system notification.
func (k *calls) ring(cid crdt.ID, c api.Call) {
	k.ringing, k.ringComm = c, cid
	text := callerText(c) + " · " + k.groupOf(cid, c.Group)
	k.bannerText.SetText(text)
	k.banner.Show()
	k.layoutTop()
	k.a.notify(callerText(c), k.groupOf(cid, c.Group)+" · "+k.communityName(cid))
}

// callerText says who calls: "Olivia is calling" or "Olivia started a
// video call".
func callerText(c api.Call) string {
	who := c.StartedByName
	if who == "" {
		who = "Someone"
	}
	if c.Video {
		return "🎥 " + who + " started a video call"
	}
	return "📞 " + who + " is calling"
}

func (k *calls) groupOf(cid, gid crdt.ID) string {
	gs, err := k.a.b.Groups(cid)
	if err == nil {
		for _, g := range gs {
			if g.ID == gid {
				return g.Name
			}
		}
	}
	return "a group"
}

func (k *calls) communityName(cid crdt.ID) string {
	for _, c := range k.a.communities {
		if c.ID == cid {
			return c.Name
		}
	}
	return ""
}

func (k *calls) hideBanner() {
	k.ringing, k.ringComm = api.Call{}, crdt.ID{}
	k.banner.Hide()
	k.layoutTop()
}

// decline hides the banner: the call rings on for the others, and the
// conversation still offers Join.
func (k *calls) decline() { k.hideBanner() }

func (k *calls) layoutTop() {
	if k.banner.Visible() || k.bar.Visible() {
		k.top.Show()
	} else {
		k.top.Hide()
	}
	k.top.Refresh()
	k.a.root.Refresh()
}

// setCurrent follows the call c the member is in (zero: none): the call
// bar, and the call window while it is open.
func (k *calls) setCurrent(cid crdt.ID, c api.Call) {
	k.cur, k.curComm = c, cid
	if c.ID.IsZero() {
		k.bar.Hide()
		if k.window != nil {
			k.window.close()
			k.window = nil
		}
		k.layoutTop()
		return
	}
	k.barText.SetText("📞 In a call · " + k.groupOf(cid, c.Group) + " · " + joinedText(len(c.Participants)))
	k.bar.Show()
	k.layoutTop()
	if k.window != nil {
		k.window.setCall(c)
		k.window.reload()
	}
}

func joinedText(n int) string { return fmt.Sprintf("%d joined", n) }

// showStrip shows "Call in progress · N joined" over the open group when
// a call runs in it.
func (k *calls) showStrip(list []api.Call) {
	was := k.stripCall
	k.stripCall = api.Call{}
	for _, c := range list {
		if c.Active && c.Group == k.a.group && !k.a.group.IsZero() {
			k.stripCall = c
		}
	}
	if (was.ID != k.stripCall.ID || len(was.Participants) != len(k.stripCall.Participants)) && k.a.convo != nil {
		k.a.convo.list.update(true) // the call's row says how many joined
	}
	if k.stripCall.ID.IsZero() {
		k.strip.Hide()
		return
	}
	k.stripText.SetText("📞 Call in progress · " + joinedText(len(k.stripCall.Participants)))
	k.stripJoin.SetText(callJoinLabel(k.stripCall.Joined))
	k.strip.Show()
}

// updateGroup shows the header's call buttons and the strip for the open
// group g.
func (k *calls) updateGroup(g api.Group) {
	if k.cb == nil || !g.CanCall || !g.Joined {
		k.voiceBtn.Hide()
		k.videoBtn.Hide()
	} else {
		k.voiceBtn.Show()
		k.videoBtn.Show()
	}
	if k.cb == nil || g.ID.IsZero() {
		k.strip.Hide()
		return
	}
	list, err := k.cb.Calls(k.a.community)
	if err != nil {
		k.a.log("list calls", err)
		return
	}
	k.showStrip(list)
}

// start starts a call in the open group and opens its window.
func (k *calls) start(video bool) {
	cid, gid := k.a.community, k.a.group
	if !k.cur.ID.IsZero() {
		k.a.showErrorText("You are in a call", "Leave the call you are in before you start another.")
		return
	}
	if s := k.stripCall; !s.ID.IsZero() && s.Active && s.Group == gid {
		// A call already runs in the group (its strip shows): Call joins
		// it rather than start a second one beside it.
		k.join(cid, s)
		return
	}
	var id crdt.ID
	k.a.act("Could not start the call", func(ctx context.Context) (err error) {
		id, err = k.cb.StartCall(ctx, cid, gid, video, false)
		return err
	}, func() { k.joined(cid, id) })
}

// join joins call c of community cid and opens its window.
func (k *calls) join(cid crdt.ID, c api.Call) {
	if c.ID.IsZero() {
		return
	}
	k.hideBanner()
	k.rung[c.ID] = true // the member joins it: it never rings
	k.a.act("Could not join the call", func(ctx context.Context) error {
		return k.cb.JoinCall(ctx, cid, c.ID, c.Video, false)
	}, func() { k.joined(cid, c.ID) })
}

// joined opens the window of call id, which the member now takes part in.
func (k *calls) joined(cid, id crdt.ID) {
	k.rung[id] = true
	k.refresh(cid)
	if k.cur.ID != id {
		k.cur, k.curComm = api.Call{ID: id, Active: true, Joined: true}, cid
	}
	k.openWindow()
}

// openWindow shows the window of the call the member is in.
func (k *calls) openWindow() {
	if k.cur.ID.IsZero() {
		return
	}
	if k.window == nil {
		k.window = newCallWindow(k, k.curComm, k.cur, k.groupOf(k.curComm, k.cur.Group))
	}
	k.window.show()
}

// leave leaves the call the member is in.
func (k *calls) leave() {
	cid, id := k.curComm, k.cur.ID
	if id.IsZero() {
		return
	}
	k.a.act("Could not leave the call", func(ctx context.Context) error {
		return k.cb.LeaveCall(ctx, cid, id)
	}, func() {
		k.setCurrent(crdt.ID{}, api.Call{})
		k.refresh(cid)
	})
}

// end ends the call for everyone, once the member confirms.
func (k *calls) end() {
	cid, id := k.curComm, k.cur.ID
	win := k.a.win
	if k.window != nil { // its End button asks: the question opens over it
		win = k.window.win
	}
	k.a.confirmActionOn(win, "End the call for everyone?", "Everyone in the call is disconnected.", "End call", func() {
		k.a.act("Could not end the call", func(ctx context.Context) error {
			return k.cb.EndCall(ctx, cid, id)
		}, func() {
			k.setCurrent(crdt.ID{}, api.Call{})
			k.refresh(cid)
		})
	})
}
