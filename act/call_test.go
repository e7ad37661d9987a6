package act

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestRecordCall: a call's start goes to its group; its end names the
// start, keeps the duration within crdt's bound and names each
// participant once, at most crdt.MaxCallParticipants; a start in a group
// that does not exist writes nothing.
func TestRecordCall(t *testing.T) {
	w := newWorld(t)
	if _, err := w.act.RecordCallStart(t.Context(), w.cid, crdt.ID{9}, false); !errors.Is(err, api.ErrUnknownGroup) || len(w.journal) != 0 {
		t.Fatalf("a start in no group: %v, wrote %v", err, w.journal)
	}
	id, err := w.act.RecordCallStart(t.Context(), w.cid, w.general, true)
	if err != nil {
		t.Fatal(err)
	}
	var joined []crdt.PublicKey
	for i := range crdt.MaxCallParticipants + 5 {
		joined = append(joined, crdt.PublicKey{byte(i), 1})
	}
	joined = append(joined, joined[0], joined[3])
	if err := w.act.RecordCallEnd(t.Context(), w.cid, w.general, id, 40*time.Hour, joined); err != nil {
		t.Fatal(err)
	}
	var calls []*crdt.CallView
	w.rep.View(w.cid, func(c *crdt.Community) error { calls = c.View(w.general).Calls; return nil })
	if len(calls) != 1 || calls[0].ID != id || !calls[0].Video || !calls[0].Ended || calls[0].Duration != crdt.MaxCallDuration ||
		len(calls[0].Joined) != crdt.MaxCallParticipants || slices.Contains(calls[0].Joined, crdt.PublicKey{byte(crdt.MaxCallParticipants), 1}) {
		t.Fatalf("the recorded call: %+v", calls)
	}
}

// TestRecordCallLapsed: any member records that a call lapsed; the end
// says so.
func TestRecordCallLapsed(t *testing.T) {
	w := newWorld(t)
	id, err := w.act.RecordCallStart(t.Context(), w.cid, w.general, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.act.RecordCallLapsed(t.Context(), w.cid, w.general, id, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	var calls []*crdt.CallView
	w.rep.View(w.cid, func(c *crdt.Community) error { calls = c.View(w.general).Calls; return nil })
	if len(calls) != 1 || !calls[0].Ended || !calls[0].Lapsed || calls[0].Duration != 60_000 {
		t.Fatalf("the lapsed call: %+v", calls)
	}
}

// TestEventCall: an event links to a voice or video call of its group;
// an edit changes or drops the link; an unknown call is refused before
// anything is written.
func TestEventCall(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	start := w.now.Add(time.Hour)
	ev, err := w.act.CreateEvent(ctx, w.cid, w.general, api.EventDraft{Title: "Kick-off", Starts: start, Duration: time.Hour, Call: "Video"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, b := w.body(t, ev); b.(*crdt.EventBody).Call != crdt.EventCallVideo {
		t.Fatalf("event %+v", b)
	}
	call := func() uint8 {
		var got uint8
		w.rep.View(w.cid, func(c *crdt.Community) error {
			for _, p := range c.View(w.general).Posts {
				if p.ID == ev {
					got = p.Event.Call
				}
			}
			return nil
		})
		return got
	}
	for _, tc := range []struct {
		call string
		want uint8
	}{{"voice", crdt.EventCallVoice}, {"", crdt.EventCallNone}, {"none", crdt.EventCallNone}} {
		if err := w.act.EditEvent(ctx, w.cid, ev, api.EventDraft{Title: "Kick-off", Starts: start, Call: tc.call}); err != nil {
			t.Fatal(err)
		}
		if got := call(); got != tc.want {
			t.Fatalf("after an edit with call %q: %d, want %d", tc.call, got, tc.want)
		}
	}
	w.journal = nil
	if _, err := w.act.CreateEvent(ctx, w.cid, w.general, api.EventDraft{Title: "x", Starts: start, Call: "telepathy"}); !errors.Is(err, crdt.ErrInvalid) || len(w.journal) != 0 {
		t.Fatalf("an unknown call: %v, wrote %v", err, w.journal)
	}
}
