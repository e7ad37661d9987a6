package fanout

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestFanOut: every subscriber gets each event, in order; one that ended
// its subscription gets nothing more and its channel is closed, once.
func TestFanOut(t *testing.T) {
	var h Hub
	a, endA := h.Subscribe()
	b, endB := h.Subscribe()
	defer endB()
	h.Emit(api.Event{Kind: api.EventPeers})
	h.Emit(api.Event{Kind: api.EventGroups})
	for _, ch := range []<-chan api.Event{a, b} {
		if e := <-ch; e.Kind != api.EventPeers {
			t.Fatalf("first event %v", e)
		}
		if e := <-ch; e.Kind != api.EventGroups {
			t.Fatalf("second event %v", e)
		}
	}
	endA()
	endA()
	h.Emit(api.Event{Kind: api.EventMessages})
	if _, ok := <-a; ok {
		t.Fatal("an ended subscription got an event")
	}
	if e := <-b; e.Kind != api.EventMessages {
		t.Fatalf("after another ended: %v", e)
	}
}

// TestSlowSubscriberLoses: a subscriber that does not read loses what
// does not fit its buffer, and Emit never blocks on it.
func TestSlowSubscriberLoses(t *testing.T) {
	var h Hub
	ch, end := h.Subscribe()
	defer end()
	for range 3 * Buffer {
		h.Emit(api.Event{Kind: api.EventPeers})
	}
	if len(ch) != Buffer {
		t.Fatalf("%d events buffered, want %d", len(ch), Buffer)
	}
}

// TestCloseEndsAll: Close closes every subscriber's channel; ending a
// subscription after Close does nothing.
func TestCloseEndsAll(t *testing.T) {
	var h Hub
	a, endA := h.Subscribe()
	b, _ := h.Subscribe()
	h.Close()
	for _, ch := range []<-chan api.Event{a, b} {
		if _, ok := <-ch; ok {
			t.Fatal("an event after Close")
		}
	}
	endA() // must not close a closed channel
	h.Emit(api.Event{Kind: api.EventPeers})
}
