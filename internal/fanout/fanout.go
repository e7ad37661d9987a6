// Package fanout hands the node's events to its subscribers (the app's
// windows, umbrellad's control clients). A subscriber that falls behind
// loses events rather than slowing the node: events carry ids only, so it
// reads fresh state when it catches up.
package fanout

import (
	"sync"

	"github.com/umbrella-p2p/umbrella/api"
)

// Buffer is how many events a subscriber may fall behind before it loses
// some.
const Buffer = 256

// Hub fans events out to subscribers. The zero Hub is ready to use and
// safe for concurrent use.
type Hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{} // guarded by mu
}

// subscriber is one Subscribe call's channel.
type subscriber struct{ ch chan api.Event }

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (h *Hub) Subscribe() (<-chan api.Event, func()) {
	s := &subscriber{ch: make(chan api.Event, Buffer)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[s]; ok {
			delete(h.subs, s)
			close(s.ch)
		}
	}
}

// Emit hands e to every subscriber with room for it.
func (h *Hub) Emit(e api.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- e:
		default:
		}
	}
}

// Close ends every subscription so far and closes their channels.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		close(s.ch)
	}
	h.subs = nil
}
