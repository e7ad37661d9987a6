package crdt

import (
	"fmt"
	"slices"
)

// Events. Anyone allowed to post in a group creates an event there
// (event): a title, a start, a duration, where (an address or a link) and
// a description. Its creator, or an admin, edits it with event.edit,
// which replaces all of those (last writer wins, by height then id), and
// deletes it with delete. Members of the group answer with rsvp: going,
// maybe or can't go, or no answer (withdrawn); each member's latest
// answer (by height then id) is the one that counts, as for votes. An
// rsvp needs only a member's rank, in the announcement group too; the
// answer of a member removed concurrently is hidden, and so no longer
// counted.
//
// An event may link to a call (EventBody.Call, voice or video): when it
// starts, members join the group's call from its card (starting one if
// none runs). The link is part of the event, which an edit replaces.

// RSVP answers.
const (
	RSVPNone  uint8 = 0 // the answer is withdrawn
	RSVPGoing uint8 = 1
	RSVPMaybe uint8 = 2
	RSVPNo    uint8 = 3 // can't go
)

// RSVPName names an answer as the CLI and JSON do.
func RSVPName(a uint8) string {
	switch a {
	case RSVPGoing:
		return "going"
	case RSVPMaybe:
		return "maybe"
	case RSVPNo:
		return "no"
	}
	return "none"
}

// Calls an event links to (EventBody.Call).
const (
	EventCallNone  uint8 = 0 // the event links to no call
	EventCallVoice uint8 = 1 // a voice call of the event's group
	EventCallVideo uint8 = 2 // a video call of the event's group
)

// EventCallName names an event's call as the CLI and JSON do: "voice",
// "video", or "" for none.
func EventCallName(c uint8) string {
	switch c {
	case EventCallVoice:
		return "voice"
	case EventCallVideo:
		return "video"
	}
	return ""
}

// EventBody is an event.
type EventBody struct {
	Title    string `cbor:"1,keyasint"`
	Starts   int64  `cbor:"2,keyasint"`           // unix milliseconds
	Duration int64  `cbor:"3,keyasint,omitempty"` // milliseconds, at most MaxEventDuration
	Where    string `cbor:"4,keyasint,omitempty"` // an address or a link
	Text     string `cbor:"5,keyasint,omitempty"`
	Time     int64  `cbor:"6,keyasint"`           // author's clock, unix milliseconds; shown only
	Call     uint8  `cbor:"7,keyasint,omitempty"` // EventCallNone, EventCallVoice or EventCallVideo
}

// EventEditBody replaces an event's title, start, duration, place and text.
type EventEditBody struct {
	Target   []byte `cbor:"1,keyasint"` // the event
	Title    string `cbor:"2,keyasint"`
	Starts   int64  `cbor:"3,keyasint"`
	Duration int64  `cbor:"4,keyasint,omitempty"`
	Where    string `cbor:"5,keyasint,omitempty"`
	Text     string `cbor:"6,keyasint,omitempty"`
	Time     int64  `cbor:"7,keyasint"`
	Call     uint8  `cbor:"8,keyasint,omitempty"` // EventCallNone … EventCallVideo
}

// RSVPBody is a member's answer to an event.
type RSVPBody struct {
	Event  []byte `cbor:"1,keyasint"`
	Answer uint8  `cbor:"2,keyasint,omitempty"` // RSVPNone … RSVPNo
	Time   int64  `cbor:"3,keyasint"`
}

func checkEvent(title, where, text string, starts, duration int64, call uint8) error {
	if call > EventCallVideo {
		return fmt.Errorf("unknown event call %d", call)
	}
	if err := checkTitle("event title", title); err != nil {
		return err
	}
	if err := checkText("where", where, MaxWhereLen, true); err != nil {
		return err
	}
	if err := checkText("event text", text, MaxCardTextLen, false); err != nil {
		return err
	}
	switch {
	case starts <= 0:
		return fmt.Errorf("an event needs a start")
	case duration < 0 || duration > MaxEventDuration:
		return fmt.Errorf("an event lasts 0 to %d hours", MaxEventDuration/(3600*1000))
	case starts >= MaxCardTime-duration:
		return fmt.Errorf("an event ends before the year 2200")
	}
	return nil
}

func (b *EventBody) check() error {
	return checkEvent(b.Title, b.Where, b.Text, b.Starts, b.Duration, b.Call)
}

func (b *EventEditBody) check() error {
	if err := checkID("target", b.Target); err != nil {
		return err
	}
	return checkEvent(b.Title, b.Where, b.Text, b.Starts, b.Duration, b.Call)
}

func (b *RSVPBody) check() error {
	if err := checkID("event", b.Event); err != nil {
		return err
	}
	if b.Answer > RSVPNo {
		return fmt.Errorf("unknown answer %d", b.Answer)
	}
	return nil
}

// EventView is an event as people see it, edits and answers folded in.
type EventView struct {
	Title    string
	Starts   int64 // unix milliseconds
	Duration int64 // milliseconds
	Where    string
	Edited   bool
	// Call is the call the event links to: EventCallNone, EventCallVoice
	// or EventCallVideo.
	Call uint8 `cbor:",omitempty"`
	// Answers holds each member's standing answer (never RSVPNone),
	// sorted by member key.
	Answers []RSVP
}

// RSVP is one member's answer to an event.
type RSVP struct {
	Member PublicKey
	Answer uint8
}

// Ends returns when the event ends, unix milliseconds.
func (e *EventView) Ends() int64 { return e.Starts + e.Duration }

// Count returns how many members gave answer a.
func (e *EventView) Count(a uint8) int {
	n := 0
	for _, r := range e.Answers {
		if r.Answer == a {
			n++
		}
	}
	return n
}

// AnswerOf returns member k's answer, RSVPNone when it gave none.
func (e *EventView) AnswerOf(k PublicKey) uint8 {
	i, ok := slices.BinarySearchFunc(e.Answers, k, func(r RSVP, k PublicKey) int { return comparePK(r.Member, k) })
	if !ok {
		return RSVPNone
	}
	return e.Answers[i].Answer
}
