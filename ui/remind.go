package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/view"
)

// Event reminders: 1 hour and 10 minutes before each event of the
// member's communities (view.DueReminders), a system notification. The
// app looks when it refreshes the network indicator, every few seconds;
// the first look only notes the time, so starting the app does not replay
// reminders that fell due while it was closed.

// remindEvery is how often at most the app reads the events to remind of.
const remindEvery = 30 * time.Second

// checkReminders notifies the reminders that fell due since the last look.
func (a *App) checkReminders() {
	a.home.tickTeam()
	now := a.now()
	if a.remindFrom.IsZero() {
		a.remindFrom = now
		return
	}
	if now.Sub(a.remindFrom) < remindEvery {
		return
	}
	for _, c := range a.communities {
		if departedText(c) != "" {
			continue
		}
		events, err := a.b.Events(c.ID, false)
		if err != nil {
			a.log("events to remind of", err)
			continue
		}
		for _, r := range view.DueReminders(events, a.remindFrom, now) {
			e := r.Event
			details := []string{c.Name, e.Starts.Local().Format("Mon 15:04")}
			if e.Where != "" {
				details = append(details, e.Where)
			}
			a.notify(fmt.Sprintf("In %s: %s", leadText(r.Lead), e.Title), strings.Join(details, " · "))
		}
	}
	a.remindFrom = now
}

// leadText says how long before an event a reminder comes: "1 hour",
// "10 minutes".
func leadText(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d == time.Minute:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}
