package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// The app's node has calls: the call buttons and banner show with it.
var (
	_ callBackend = (*node.Node)(nil)
	_ callMuter   = (*node.Node)(nil)
	_ callRemover = (*node.Node)(nil)
)

// callHarness is a harness whose call windows draw frames only when the
// test asks.
func callHarness(t *testing.T, role string) (*harness, api.Community, crdt.ID) {
	h := newCallHarness(t)
	c := h.community("Glow Team", role, 12, "General")
	return h, c, h.a.group
}

// newCallHarness is newHarness over the fake with calls.
func newCallHarness(t *testing.T) *harness {
	test.NewTempApp(t)
	f := newFake()
	h := newBackendHarness(t, callFake{f})
	h.f = f
	h.a.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.clock
	}
	h.a.calls.frames = false
	h.a.start()
	return h
}

func TestCallRingShowsBannerNotificationAndStrip(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	k := h.a.calls
	if !k.voiceBtn.Visible() || !k.videoBtn.Visible() {
		t.Fatal("a member of the group sees no call buttons in its header")
	}
	if k.top.Visible() || k.strip.Visible() {
		t.Fatal("a banner or strip shows with no call")
	}
	h.f.ringCall(c.ID, gid, "Ben", false, "Chloe")
	h.drain()
	if !k.banner.Visible() || !strings.Contains(k.bannerText.Text, "Ben is calling · General") {
		t.Fatalf("banner %v %q", k.banner.Visible(), k.bannerText.Text)
	}
	if len(h.notified) != 1 || !strings.HasPrefix(h.notified[0], "📞 Ben is calling | General · Glow Team") {
		t.Fatalf("notifications %q", h.notified)
	}
	if !k.strip.Visible() || k.stripText.Text != "📞 Call in progress · 2 joined" || k.stripJoin.Text != "Join" {
		t.Fatalf("strip %v %q %q", k.strip.Visible(), k.stripText.Text, k.stripJoin.Text)
	}
	// Another event does not ring again.
	h.f.emit(api.Event{Kind: api.EventCalls, Community: c.ID})
	h.drain()
	test.Tap(k.bannerNo)
	if k.banner.Visible() || k.top.Visible() || h.f.calls["JoinCall"] != 0 {
		t.Fatal("Decline left the banner or joined")
	}
	if len(h.notified) != 1 {
		t.Fatalf("rang twice: %q", h.notified)
	}
	// Declined, the conversation still offers Join.
	test.Tap(k.stripJoin)
	if h.f.calls["JoinCall"] != 1 || k.window == nil || !k.bar.Visible() {
		t.Fatal("Join in the strip did not join and open the call")
	}
	if k.stripText.Text != "📞 Call in progress · 3 joined" || k.stripJoin.Text != "Open call" {
		t.Fatalf("strip after joining: %q %q", k.stripText.Text, k.stripJoin.Text)
	}
}

// TestCallStripCountFollowsJoins: while the open group's strip shows a
// call the member is not in, the status tick lists the calls again (so
// the node asks who takes part): the count follows those who joined
// after the ring, with no other event.
func TestCallStripCountFollowsJoins(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	k := h.a.calls
	id := h.f.ringCall(c.ID, gid, "Ben", false)
	h.drain()
	if k.stripText.Text != "📞 Call in progress · 1 joined" {
		t.Fatalf("strip %q", k.stripText.Text)
	}
	h.f.mu.Lock()
	rec := h.f.findCall(id)
	for _, n := range []string{"Dev", "Priya", "Sam"} {
		rec.people = append(rec.people, api.CallParticipant{PeerID: "peer-" + n, Name: n, Audio: true})
	}
	h.f.mu.Unlock()
	h.a.refreshStatus()
	if k.stripText.Text != "📞 Call in progress · 4 joined" {
		t.Fatalf("strip after three joined and a tick: %q", k.stripText.Text)
	}
}

func TestCallBannerJoinOpensWindow(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	k := h.a.calls
	h.f.ringCall(c.ID, gid, "Ben", true, "Chloe")
	h.drain()
	test.Tap(k.bannerJoin)
	h.drain()
	if k.window == nil || k.banner.Visible() || !k.bar.Visible() || k.barText.Text != "📞 In a call · General · 3 joined" {
		t.Fatalf("after Join: window %v banner %v bar %q", k.window != nil, k.banner.Visible(), k.barText.Text)
	}
	w := k.window
	if len(w.tiles) != 3 || w.speaker != "peer-Ben" || w.grid.Objects[0] != w.tiles["peer-Ben"].root {
		t.Fatalf("tiles %d, speaker %q", len(w.tiles), w.speaker)
	}
	if w.endBtn.Visible() || w.tiles["peer-Chloe"].remove.Visible() {
		t.Fatal("a member who did not start the call may end it or remove others")
	}
	// Chloe speaks: she becomes the large tile, with her ring.
	h.f.setSpeaking(w.call.ID, "Chloe", "Ben")
	w.reload()
	if w.speaker != "peer-Chloe" || w.grid.Objects[0] != w.tiles["peer-Chloe"].root {
		t.Fatalf("speaker %q", w.speaker)
	}
	if got := w.tiles["peer-Ben"].name.Text; got != "🔇 Ben" {
		t.Fatalf("muted tile name %q", got)
	}
	if got := w.tiles["peer-Chloe"].name.Text; got != "🔊 Chloe" {
		t.Fatalf("speaking tile name %q", got)
	}
	// Mute and camera.
	test.Tap(w.mute)
	if !w.self().Muted || w.mute.Text != "Unmute" {
		t.Fatal("Mute did not mute")
	}
	test.Tap(w.camera)
	if w.self().Video || w.camera.Text != "Turn on camera" {
		t.Fatal("Turn off camera did not turn the camera off")
	}
	// Leave: the window and the bar go.
	test.Tap(w.leave)
	if k.window != nil || k.bar.Visible() || k.top.Visible() || h.f.calls["LeaveCall"] != 1 {
		t.Fatal("Leave left the window or the bar")
	}
}

// TestCallButtonJoinsTheRunningCall: Call in a group where a call runs
// already joins that call; it does not start a second one beside it.
func TestCallButtonJoinsTheRunningCall(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	k := h.a.calls
	h.f.ringCall(c.ID, gid, "Ben", false, "Chloe")
	h.drain()
	test.Tap(k.bannerNo)
	test.Tap(k.voiceBtn)
	h.drain()
	if h.f.calls["StartCall"] != 0 || h.f.calls["JoinCall"] != 1 {
		t.Fatalf("Call with a call running: %d starts, %d joins; want it joined", h.f.calls["StartCall"], h.f.calls["JoinCall"])
	}
	if k.window == nil || k.stripJoin.Text != "Open call" {
		t.Fatal("the running call's window did not open")
	}
}

func TestCallStartEndAndRemove(t *testing.T) {
	h, c, _ := callHarness(t, "owner")
	k := h.a.calls
	test.Tap(k.videoBtn)
	h.drain()
	if h.f.calls["StartCall"] != 1 || k.window == nil || !k.window.call.Video {
		t.Fatal("Video call did not start a video call and open its window")
	}
	w := k.window
	if !w.endBtn.Visible() {
		t.Fatal("the caller cannot end the call")
	}
	if k.banner.Visible() {
		t.Fatal("the caller's own call rang")
	}
	// Others join; the caller removes one.
	h.f.mu.Lock()
	fc := h.f.findCall(w.call.ID)
	fc.people = append(fc.people, api.CallParticipant{PeerID: "peer-Ben", Name: "Ben"}, api.CallParticipant{PeerID: "peer-Dev", Name: "Dev"})
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventCalls, Community: c.ID})
	h.drain()
	if len(w.tiles) != 3 || !w.tiles["peer-Dev"].remove.Visible() || w.tiles[h.f.self.PeerID].remove.Visible() {
		t.Fatal("the caller sees no remove button on others, or one on itself")
	}
	test.Tap(w.tiles["peer-Dev"].remove)
	if w.win.Canvas().Overlays().Top() == nil || h.w.Canvas().Overlays().Top() != nil {
		t.Fatal("Remove's question opened on the main window, behind the call window")
	}
	h.confirm(h.a.lastDialog)
	if h.f.calls["RemoveCallPeer"] != 1 || len(w.tiles) != 2 || w.tiles["peer-Dev"] != nil {
		t.Fatal("Remove did not drop Dev")
	}
	test.Tap(w.endBtn)
	if w.win.Canvas().Overlays().Top() == nil || h.w.Canvas().Overlays().Top() != nil {
		t.Fatal("End for everyone's question opened on the main window, behind the call window")
	}
	h.confirm(h.a.lastDialog)
	h.drain()
	if h.f.calls["EndCall"] != 1 || k.window != nil || k.bar.Visible() || k.strip.Visible() {
		t.Fatal("End for everyone did not end the call and close it")
	}
}

func TestCallButtonsNeedCanCall(t *testing.T) {
	h := newCallHarness(t)
	c := h.community("Glow Team", "member", 12, "")
	h.f.addGroup(c.ID, "Leaders", "open", false)
	h.drain()
	h.open("Leaders") // not joined
	if h.a.calls.voiceBtn.Visible() || h.a.calls.videoBtn.Visible() {
		t.Fatal("call buttons in a group the member is not in")
	}
	h.open("General")
	if !h.a.calls.voiceBtn.Visible() {
		t.Fatal("no call button in a group the member is in")
	}
	// A backend without calls shows none.
	p := newHarness(t, newFake())
	p.community("Glow Team", "member", 12, "General")
	if p.a.calls.voiceBtn.Visible() || p.a.calls.videoBtn.Visible() {
		t.Fatal("call buttons with a backend that has no calls")
	}
}

func TestCallTileFrameRates(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	id := h.f.ringCall(c.ID, gid, "Ben", false, "Chloe")
	h.drain()
	test.Tap(h.a.calls.bannerJoin)
	w := h.a.calls.window
	big, small := w.tiles["peer-Ben"], w.tiles["peer-Chloe"]
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.frame(t0)
	if big.draws != 1 || small.draws != 1 {
		t.Fatalf("first frame drew %d/%d", big.draws, small.draws)
	}
	w.frame(t0.Add(time.Second))
	if big.draws != 1 || small.draws != 1 {
		t.Fatal("a tile that did not change was redrawn")
	}
	step := func(speaking string, at time.Duration, wantBig, wantSmall int) {
		t.Helper()
		h.f.setSpeaking(id, speaking)
		w.reload()
		if w.speaker != "peer-Ben" {
			t.Fatalf("speaker moved to %q", w.speaker)
		}
		w.frame(t0.Add(at))
		if big.draws != wantBig || small.draws != wantSmall {
			t.Fatalf("at %v: draws %d/%d, want %d/%d", at, big.draws, small.draws, wantBig, wantSmall)
		}
	}
	// Ben speaks: his ring shows at once (a second passed).
	step("Ben", time.Second, 2, 1)
	// Stops 20 ms later: under 1/30 s, the speaker waits...
	step("", time.Second+20*time.Millisecond, 2, 1)
	// ...and draws at 1/30 s.
	step("", time.Second+34*time.Millisecond, 3, 1)
	// A small tile waits 1/15 s: not at 50 ms, yes at 67 ms.
	w.tiles["peer-Chloe"].set(api.CallParticipant{PeerID: "peer-Chloe", Name: "Chloe", Speaking: true}, false, false)
	small.drawn = t0.Add(2 * time.Second)
	w.frame(t0.Add(2*time.Second + 50*time.Millisecond))
	if small.draws != 1 {
		t.Fatal("a small tile drew faster than 15 fps")
	}
	w.frame(t0.Add(2*time.Second + 67*time.Millisecond))
	if small.draws != 2 {
		t.Fatal("a small tile did not draw after 1/15 s")
	}
}

func TestActiveSpeaker(t *testing.T) {
	ps := []api.CallParticipant{{PeerID: "me", Self: true, Speaking: true}, {PeerID: "a"}, {PeerID: "b", Speaking: true}, {PeerID: "c", Speaking: true}}
	for _, tc := range []struct{ prev, want string }{{"", "b"}, {"c", "c"}, {"a", "b"}, {"gone", "b"}} {
		if got := activeSpeaker(ps, tc.prev); got != tc.want {
			t.Errorf("prev %q: %q, want %q", tc.prev, got, tc.want)
		}
	}
	quiet := []api.CallParticipant{{PeerID: "me", Self: true}, {PeerID: "a"}, {PeerID: "b"}}
	if got := activeSpeaker(quiet, "b"); got != "b" {
		t.Errorf("quiet: %q keeps the previous speaker", got)
	}
	if got := activeSpeaker(quiet, ""); got != "a" {
		t.Errorf("quiet, none before: %q", got)
	}
	if got := activeSpeaker(quiet[:1], ""); got != "me" {
		t.Errorf("alone: %q", got)
	}
}

var callNames = []string{"Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hana", "Ivan", "Jade", "Kofi", "Liam"}

// TestCallTileInitialsFitTheDisc: two-letter initials ("BC" for Ben
// Carter) stay inside the disc of a small tile in a call of eight, as one
// letter does; the large tile keeps its full size.
func TestCallTileInitialsFitTheDisc(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	id := h.f.ringCall(c.ID, gid, "Ben Carter", false, "Dev Patel", "Priya Shah", "Sam Ortiz", "Tara Nel", "Olivia Reyes", "Quinn Lee")
	h.drain()
	h.f.setSpeaking(id, "Olivia Reyes")
	test.Tap(h.a.calls.bannerJoin)
	w := h.a.calls.window
	w.win.Resize(fyne.NewSize(940, 640))
	w.frame(time.Unix(0, 0))
	small := 0
	for _, tile := range w.tiles {
		tile.root.Refresh()
		width := tile.initial.MinSize().Width
		if tile.large {
			if tile.initial.TextSize != 56 {
				t.Errorf("%s's large tile: initials at %v, want 56", tile.p.Name, tile.initial.TextSize)
			}
			continue
		}
		small++
		if tile.discSize <= 0 || width > tile.discSize*0.78 {
			t.Errorf("%s: initials %q %v wide on a disc of %v", tile.p.Name, tile.initial.Text, width, tile.discSize)
		}
	}
	if small < 6 {
		t.Fatalf("%d small tiles", small)
	}
}

// TestGoldenCalls renders the call window with 3 and 12 participants,
// the incoming-call banner and the call bar, light and dark.
func TestGoldenCalls(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			shot := func(t *testing.T, w fyne.Window, name string) {
				t.Helper()
				fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
				img := w.Canvas().Capture()
				test.AssertImageMatches(t, name+"_"+variant.name+".png", img)
				writeScreenshot(t, name+"_"+variant.name+".png", img)
			}
			window := func(t *testing.T, n int) {
				h, c, gid := callHarness(t, "owner")
				fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
				id := h.f.ringCall(c.ID, gid, callNames[0], true, callNames[1:n-1]...)
				h.drain()
				h.f.setSpeaking(id, "Chloe", "Ben", "Emma")
				test.Tap(h.a.calls.bannerJoin)
				w := h.a.calls.window
				w.frame(time.Unix(0, 0))
				shot(t, w.win, "call"+string(rune('0'+n/10))+string(rune('0'+n%10)))
				if n == 3 {
					shot(t, h.w, "callbar")
				}
			}
			t.Run("3", func(t *testing.T) { window(t, 3) })
			t.Run("12", func(t *testing.T) { window(t, 12) })
			t.Run("banner", func(t *testing.T) {
				h, c, gid := callHarness(t, "member")
				h.f.ringCall(c.ID, gid, "Ben", false, "Chloe")
				h.drain()
				shot(t, h.w, "callbanner")
			})
		})
	}
}

// A call that began before the app heard of it (the app opened late)
// shows in the conversation's strip but rings no more; pressing Call
// joins it without a banner.
func TestCallStartedLongAgoDoesNotRing(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	k := h.a.calls
	h.f.mu.Lock()
	h.f.callRecs = append(h.f.callRecs, &fakeCall{cid: c.ID, call: api.Call{ID: h.f.id(), Group: gid, StartedBy: "peer-Ben",
		StartedByName: "Ben", Started: h.f.clock.Add(-2 * time.Minute), Active: true},
		people: []api.CallParticipant{{PeerID: "peer-Ben", Name: "Ben", Audio: true}}})
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventCalls, Community: c.ID})
	h.drain()
	if k.banner.Visible() || len(h.notified) != 0 {
		t.Fatalf("a call begun two minutes ago rang: banner %v %q, notified %q", k.banner.Visible(), k.bannerText.Text, h.notified)
	}
	if !k.strip.Visible() || k.stripJoin.Text != "Join" {
		t.Fatalf("strip %v %q", k.strip.Visible(), k.stripJoin.Text)
	}
	test.Tap(k.voiceBtn)
	h.drain()
	if h.f.calls["JoinCall"] != 1 || k.banner.Visible() || len(h.notified) != 0 {
		t.Fatalf("Call: %d joins, banner %v, notified %q", h.f.calls["JoinCall"], k.banner.Visible(), h.notified)
	}
}

// callRow adds the row of a call to group gid of community cid, as the
// node shows a call's start in the conversation.
func (f *fakeBackend) callRow(cid, gid, id crdt.ID, caller string, row api.CallRow) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	row.StartedBy = "peer-" + caller
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "call", Author: row.StartedBy, AuthorName: caller, Time: f.clock, Call: &row})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
}

// TestCallRows: a call shows as a compact row in the conversation, with
// how many take part now while it runs (as the strip says) and, once
// ended, how long it ran and how many joined; it has no message menu.
func TestCallRows(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, c, gid := callHarness(t, "member")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			ended := h.f.id()
			h.f.callRow(c.ID, gid, ended, "Olivia", api.CallRow{Video: true, Duration: api.Duration(23 * time.Minute),
				Joined: []string{"a", "b", "c", "d", "e", "f"}})
			live := h.f.ringCall(c.ID, gid, "Ben", false, "Chloe")
			h.f.callRow(c.ID, gid, live, "Ben", api.CallRow{Active: true, Joined: []string{}})
			h.drain()
			if got := h.row(0).summary(); !strings.Contains(got, "🎥 Video call · Olivia\nended · 23 min · 6 joined") {
				t.Fatalf("ended call's row: %q", got)
			}
			if got := h.row(1).summary(); !strings.Contains(got, "📞 Voice call · Ben\nin progress · 2 joined") {
				t.Fatalf("active call's row: %q", got)
			}
			if h.a.convo.menuFor(1) != nil {
				t.Fatal("a call's row has a message menu")
			}
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "callrows_"+variant.name+".png", img)
			writeScreenshot(t, "callrows_"+variant.name+".png", img)
			// The row's own Join joins the call, as the strip's does; the
			// row then says so and opens the call window instead.
			if got := h.row(0).summary(); strings.Contains(got, "[Join]") {
				t.Fatalf("an ended call's row offers Join: %q", got)
			}
			row := h.row(1)
			if !row.showsCallJoin() || !row.callJoin.Visible() || row.callJoin.Text != "Join" {
				t.Fatalf("the active call's row has no Join: %q", row.summary())
			}
			test.Tap(row.callJoin)
			h.drain()
			if h.f.calls["JoinCall"] != 1 || h.a.calls.window == nil {
				t.Fatalf("the row's Join: joined %d times, window %v", h.f.calls["JoinCall"], h.a.calls.window != nil)
			}
			if got := h.row(1).summary(); !strings.Contains(got, "in progress · 3 joined | [Open call]") {
				t.Fatalf("active call's row after joining: %q", got)
			}
		})
	}
}
