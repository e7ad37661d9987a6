package view

import (
	"cmp"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
)

// ReminderLeads are how long before an event its reminders come, earliest
// first: the app's notifications and the alarms of ICS files.
var ReminderLeads = []time.Duration{time.Hour, 10 * time.Minute}

// Reminder is the reminder of an event due at At, Lead before it starts.
type Reminder struct {
	Event api.CalendarEvent
	At    time.Time
	Lead  time.Duration
}

// DueReminders returns the reminders of events that fall due after after
// and no later than upTo, soonest first: what a node that last looked at
// after shows at upTo. An event the local member said it can't go to
// reminds it of nothing.
func DueReminders(events []api.CalendarEvent, after, upTo time.Time) []Reminder {
	var out []Reminder
	for _, e := range events {
		if e.Mine == "no" {
			continue
		}
		for _, lead := range ReminderLeads {
			at := e.Starts.Add(-lead)
			if at.After(after) && !at.After(upTo) {
				out = append(out, Reminder{Event: e, At: at, Lead: lead})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Reminder) int { return cmp.Or(a.At.Compare(b.At), a.Event.ID.Compare(b.Event.ID)) })
	return out
}
