package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
)

// kickOff is Monday's kick-off, a video call of the group starting in
// starts (from the fake's clock once delivered).
func kickOff(f *fakeBackend, starts time.Duration, call string) api.Message {
	return api.Message{Text: "The week's targets and a shout-out for every win.", Event: &api.CalendarEvent{
		Title: "Monday kick-off", Starts: f.clock.Add(starts), Duration: api.Duration(time.Hour), Call: call, Answers: []api.RSVP{}}}
}

// TestEventCardJoinsCall: an event that links to a call says so on its
// card; before it starts its button adds it to a calendar; from a little
// before its start its button is Join video call, which starts the
// group's video call when none runs and joins the one that runs
// otherwise. A group whose members may not call shows no Join.
func TestEventCardJoinsCall(t *testing.T) {
	h, c, gid := callHarness(t, "member")
	k := h.a.calls
	h.f.deliverCard(c.ID, gid, "Chloe", kickOff(h.f, 2*24*time.Hour, "video"))
	h.drain()
	if got := h.last(); !strings.Contains(got, "🎥 video call") {
		t.Fatalf("the card does not say it links to a video call: %q", got)
	}
	if v := h.row(0).rsvp; v.joinsCall || v.calendar.Text != "Add to calendar" {
		t.Fatalf("two days before, the button says %q", v.calendar.Text)
	}

	// It starts in five minutes: Join video call starts the group's call.
	h.f.deliverCard(c.ID, gid, "Chloe", kickOff(h.f, 5*time.Minute, "video"))
	h.drain()
	v := h.row(1).rsvp
	if !v.joinsCall || v.calendar.Text != "Join video call" || !strings.Contains(v.summary(), "Join video call") {
		t.Fatalf("at its time, the button says %q (%q)", v.calendar.Text, v.summary())
	}
	test.Tap(v.calendar)
	h.drain()
	if h.f.calls["StartCall"] != 1 || h.f.calls["JoinCall"] != 0 || k.window == nil || !k.window.call.Video {
		t.Fatalf("Join video call with no call running: started %d, joined %d, window %v", h.f.calls["StartCall"], h.f.calls["JoinCall"], k.window != nil)
	}
	test.Tap(k.window.leave)
	h.drain()

	// A call runs in the group: the event's button joins it.
	h.f.ringCall(c.ID, gid, "Ben", false, "Dev")
	h.drain()
	test.Tap(k.bannerNo)
	test.Tap(h.row(1).rsvp.calendar)
	h.drain()
	if h.f.calls["StartCall"] != 1 || h.f.calls["JoinCall"] != 1 || k.window == nil {
		t.Fatalf("Join video call with a call running: started %d, joined %d", h.f.calls["StartCall"], h.f.calls["JoinCall"])
	}
}

// TestEventCardCallNeedsCanCall: without calls (or CanCall) the card
// offers no Join, even at its time.
func TestEventCardCallNeedsCanCall(t *testing.T) {
	f := newFake() // no calls
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliverCard(c.ID, h.a.group, "Chloe", kickOff(f, 5*time.Minute, "voice"))
	h.drain()
	if v := h.row(0).rsvp; v.joinsCall || v.calendar.Text != "Add to calendar" {
		t.Fatalf("a backend without calls offers %q", v.calendar.Text)
	}
}

// TestEventCallOpen: the call opens eventCallEarly before the start and
// closes at the end (an hour after the start for an event without a
// length); an event without a call never opens.
func TestEventCallOpen(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e := &api.CalendarEvent{Starts: start, Duration: api.Duration(30 * time.Minute), Call: "voice"}
	zero := &api.CalendarEvent{Starts: start, Call: "voice"}
	none := &api.CalendarEvent{Starts: start, Duration: api.Duration(time.Hour)}
	for name, tc := range map[string]struct {
		e    *api.CalendarEvent
		at   time.Duration
		want bool
	}{
		"long before":           {e, -eventCallEarly - time.Second, false},
		"early":                 {e, -eventCallEarly, true},
		"during":                {e, 29 * time.Minute, true},
		"at its end":            {e, 30 * time.Minute, false},
		"no length, 59m in":     {zero, 59 * time.Minute, true},
		"no length, an hour":    {zero, time.Hour, false},
		"no call, during":       {none, time.Minute, false},
		"no event at all (nil)": {nil, 0, false},
	} {
		if got := eventCallOpen(tc.e, start.Add(tc.at)); got != tc.want {
			t.Errorf("%s: open %v, want %v", name, got, tc.want)
		}
	}
}

// TestGoldenEventCall renders an event card whose video call is open,
// light and dark.
func TestGoldenEventCall(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, c, gid := callHarness(t, "member")
			eid := h.f.deliverCard(c.ID, gid, "Chloe", kickOff(h.f, 5*time.Minute, "video"))
			h.f.rsvpAs(c.ID, eid, "Ben", "going")
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "eventcall_"+variant.name+".png", img)
			writeScreenshot(t, "eventcall_"+variant.name+".png", img)
		})
	}
}

// TestEventFormCall: the event form links the event to a call (none,
// voice or video); the card then offers Join video call at its time, and
// editing the event shows the call and can take it away.
func TestEventFormCall(t *testing.T) {
	h, _, _ := callHarness(t, "member")
	test.Tap(h.a.convo.team.event)
	d := h.a.lastDialog
	form := d.handles.(*eventForm)
	if form.call.Selected != "No call" {
		t.Fatalf("a new event's call is %q, want No call", form.call.Selected)
	}
	test.Type(form.title, "Monday kick-off")
	form.starts.SetText(h.a.now().Add(5 * time.Minute).Local().Format(timeLayout))
	form.call.SetSelected("Video call")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("event dialog still open: %q", h.dialogText())
	}
	if got := h.last(); !strings.Contains(got, "🎥 video call") {
		t.Fatalf("the card does not say it links to a video call: %q", got)
	}
	last := h.a.convo.win.total - 1
	if v := h.row(last).rsvp; !v.joinsCall || v.calendar.Text != "Join video call" {
		t.Fatalf("at its time, the card's button says %q", v.calendar.Text)
	}

	m, _ := h.a.convo.message(last)
	h.a.convo.showEditEvent(m)
	d = h.a.lastDialog
	form = d.handles.(*eventForm)
	if form.call.Selected != "Video call" {
		t.Fatalf("the edit form shows call %q, want Video call", form.call.Selected)
	}
	form.call.SetSelected("No call")
	test.Tap(d.confirm)
	h.drain()
	if got := h.last(); strings.Contains(got, "video call") {
		t.Fatalf("the call was not taken off the event: %q", got)
	}
	if v := h.row(last).rsvp; v.joinsCall {
		t.Fatalf("an event without a call offers %q", v.calendar.Text)
	}
}
