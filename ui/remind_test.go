package ui

import (
	"slices"
	"testing"
	"time"
)

// TestEventReminders: an hour and ten minutes before an event the member
// did not decline, a notification; none for the time before the app
// started, none twice, none for an event it said it can't go to.
func TestEventReminders(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	gid := h.a.group
	ev := trainingCall(f)
	ev.Event.Starts = f.clock.Add(2 * time.Hour)
	ev.Event.Where = "Zoom"
	f.deliverCard(c.ID, gid, "Chloe", ev)
	no := trainingCall(f)
	no.Event.Title, no.Event.Starts = "Late call", f.clock.Add(2*time.Hour)
	declined := f.deliverCard(c.ID, gid, "Chloe", no)
	f.mu.Lock()
	_, _, m, _ := f.eventIn(c.ID, declined)
	f.answerEvent(m.Event, f.self.PeerID, f.self.Name, "no", true)
	f.mu.Unlock()
	h.drain()
	advance := func(d time.Duration) {
		f.mu.Lock()
		f.clock = f.clock.Add(d)
		f.mu.Unlock()
		h.a.refreshStatus()
	}
	advance(50 * time.Minute)
	if len(h.notified) != 0 {
		t.Fatalf("reminded early: %v", h.notified)
	}
	advance(15 * time.Minute) // the hour before passes
	want := []string{"In 1 hour: Training call | Glow Team · Wed 11:30 · Zoom"}
	if !slices.Equal(h.notified, want) {
		t.Fatalf("an hour before: %v, want %v", h.notified, want)
	}
	advance(time.Minute)
	if len(h.notified) != 1 {
		t.Fatalf("reminded twice: %v", h.notified)
	}
	advance(45 * time.Minute)
	want = append(want, "In 10 minutes: Training call | Glow Team · Wed 11:30 · Zoom")
	if !slices.Equal(h.notified, want) {
		t.Fatalf("ten minutes before: %v, want %v", h.notified, want)
	}
}
