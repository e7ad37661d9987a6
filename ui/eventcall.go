package ui

import (
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// An event that links to a call (api.CalendarEvent.Call): from a little
// before it starts until it ends, its card's Add to calendar button
// becomes Join call (Join video call), which joins the group's call when
// one runs and starts one (voice or video, as the event says) when none
// does. Whether the member may take part in the group's calls is crdt's
// verdict, the group's CanCall.

// eventCallEarly is how long before an event's start its card offers
// to join the call.
const eventCallEarly = 10 * time.Minute

// eventCallUntil is how long after its start an event without a length
// offers to join its call.
const eventCallUntil = time.Hour

// eventCallOpen reports whether event e's card offers to join its call at
// now.
func eventCallOpen(e *api.CalendarEvent, now time.Time) bool {
	if e == nil || e.Call == "" {
		return false
	}
	end := e.Ends()
	if e.Duration <= 0 {
		end = e.Starts.Add(eventCallUntil)
	}
	return !now.Before(e.Starts.Add(-eventCallEarly)) && now.Before(end)
}

// joinCallLabel is the card's button while the event's call is open.
func joinCallLabel(e *api.CalendarEvent) string {
	if e.Call == "video" {
		return "Join video call"
	}
	return "Join call"
}

// joinEventCall implements rowActions: it joins the call of the open
// group for the event of row i, or starts one as the event says.
func (c *conversation) joinEventCall(i int) {
	m, ok := c.message(i)
	k := c.a.calls
	if !ok || m.Event == nil || m.Event.Call == "" || k.cb == nil {
		return
	}
	list, err := k.cb.Calls(c.a.community)
	if err != nil {
		c.a.showError("Could not join the call", err)
		return
	}
	for _, call := range list {
		if !call.Active || call.Group != c.a.group {
			continue
		}
		k.joinOrOpen(c.a.community, call)
		return
	}
	k.start(m.Event.Call == "video")
}

// eventCalls are the event form's choices of call: their labels and the
// api.EventDraft.Call of each.
var eventCalls = []struct{ label, call string }{{"No call", ""}, {"Voice call", "voice"}, {"Video call", "video"}}

// newEventCallSelect is the event form's call picker, showing e's call
// (none when e is nil).
func newEventCallSelect(e *api.CalendarEvent) *widget.Select {
	labels := make([]string, len(eventCalls))
	pick := 0
	for i, c := range eventCalls {
		labels[i] = c.label
		if e != nil && e.Call == c.call {
			pick = i
		}
	}
	s := widget.NewSelect(labels, nil)
	s.SetSelectedIndex(pick)
	return s
}

// eventCallOf is the call picked in s.
func eventCallOf(s *widget.Select) string {
	if i := s.SelectedIndex(); i >= 0 && i < len(eventCalls) {
		return eventCalls[i].call
	}
	return ""
}
