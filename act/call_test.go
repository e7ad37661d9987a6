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
