package sfu

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/call/internal/sdpsig"
)

// ErrBadSignal: an SFU media message is malformed, too large, of an
// unknown version or not the type expected.
var ErrBadSignal = errors.New("sfu: bad signal")

// The media messages between a participant and its host, carried opaquely
// by the call signalling (package call, a Media message and its reply):
//
//	{1: version (1), 2: type (3 offer, 4 answer), 3: SDP text}
//
// in canonical CBOR, framed by call/internal/sdpsig like call/media's mesh
// messages, whose types (1 and 2) these follow so that one participant
// never mistakes one for the other.
const (
	// SignalOffer is a participant's offer to its host.
	SignalOffer = 3
	// SignalAnswer is the host's answer.
	SignalAnswer = 4
)

// EncodeSignal encodes an SFU media message of type typ (SignalOffer or
// SignalAnswer).
func EncodeSignal(typ uint, sdp string) ([]byte, error) {
	b, err := sdpsig.Encode(typ, sdp, MaxSignalSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignal, err)
	}
	return b, nil
}

// DecodeSignal decodes an SFU media message strictly and returns its SDP
// if it is of type want: the canonical encoding, and nothing else.
func DecodeSignal(b []byte, want uint) (string, error) {
	s, err := sdpsig.Decode(b, MaxSignalSize)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadSignal, err)
	}
	if s.Type != want {
		return "", fmt.Errorf("%w: type %d, want %d", ErrBadSignal, s.Type, want)
	}
	return s.SDP, nil
}

// Host is an SFU run for one call by whoever hosts it (a participant or a
// relay): it answers participants' offers and keeps each subscriber's
// shown tiles. It knows nothing of who may take part: its caller (package
// call) admits a participant before Offer and drops one with Drop. Its
// methods are safe for concurrent use.
type Host struct {
	sfu *SFU

	mu    sync.Mutex
	parts []string // participants, sorted; guarded by mu
	// asked holds each participant's latest layer request, by
	// participant; guarded by mu.
	asked map[string]map[string]Layer
	// allowed holds, by participant, whom Allow lets it receive (absent:
	// anyone); guarded by mu.
	allowed map[string]map[string]bool

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewHost returns a Host over a new SFU of cfg.
func NewHost(cfg Config) (*Host, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	h := &Host{sfu: s, asked: map[string]map[string]Layer{}, allowed: map[string]map[string]bool{}, done: make(chan struct{})}
	h.wg.Add(1)
	go h.reshowEvery(ReshowInterval)
	return h, nil
}

// reshowEvery gives the subscribers their tiles again every interval
// until Close: a participant that starts or stops sending video moves up
// or down their lists.
func (h *Host) reshowEvery(interval time.Duration) {
	defer h.wg.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-tick.C:
			h.reshow()
		}
	}
}

// Offer connects participant from from its offer (an SFU media message)
// and returns the answer to send back. A participant who offers again is
// reconnected.
func (h *Host) Offer(from string, blob []byte) ([]byte, error) {
	offer, err := DecodeSignal(blob, SignalOffer)
	if err != nil {
		return nil, fmt.Errorf("from %s: %w", from, err)
	}
	answer, err := h.sfu.Join(from, offer)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if i, found := slices.BinarySearch(h.parts, from); !found {
		h.parts = slices.Insert(h.parts, i, from)
	}
	h.mu.Unlock()
	h.reshow()
	return EncodeSignal(SignalAnswer, answer)
}

// Drop disconnects a participant at once: nothing of its is forwarded
// from then on, and it receives nothing more. Its Allow is forgotten.
func (h *Host) Drop(peer string) {
	h.sfu.Leave(peer)
	h.sfu.Forget(peer)
	h.mu.Lock()
	if i, found := slices.BinarySearch(h.parts, peer); found {
		h.parts = slices.Delete(h.parts, i, i+1)
	}
	delete(h.asked, peer)
	delete(h.allowed, peer)
	h.mu.Unlock()
	h.reshow()
}

// Allow restricts whom participant peer exchanges media with (SFU.Allow):
// it receives the media of from only, and shows no one else's tiles. A
// host that cannot judge who may take part (a relay) calls it before
// peer's Offer and whenever what it learnt changes; until Drop.
func (h *Host) Allow(peer string, from []string) error {
	if err := h.sfu.Allow(peer, from); err != nil {
		return err
	}
	set := make(map[string]bool, len(from))
	for _, o := range from {
		set[o] = true
	}
	h.mu.Lock()
	h.allowed[peer] = set
	h.mu.Unlock()
	h.reshow()
	return nil
}

// Participants returns who is connected, sorted: not those that left,
// were dropped or whose connection failed.
func (h *Host) Participants() []string {
	var out []string
	for _, st := range h.sfu.Stats() {
		out = append(out, st.Peer)
	}
	return out
}

// Stats returns what the SFU did for each participant.
func (h *Host) Stats() []Stats { return h.sfu.Stats() }

// Layers takes participant from's layer request (an encoded
// LayerRequest, as call/media sends it): from then on it is shown the
// participants it names, at the layers it names — as many as it has
// video slots, the highest layers first — and no one else; a request
// that names nobody shows nobody (every tile hidden). It replaces the
// participant's earlier request, and holds until it leaves.
func (h *Host) Layers(from string, blob []byte) error {
	var req LayerRequest
	if err := req.UnmarshalBinary(blob); err != nil {
		return fmt.Errorf("layer request from %s: %w", from, err)
	}
	h.mu.Lock()
	if _, found := slices.BinarySearch(h.parts, from); !found {
		h.mu.Unlock()
		return fmt.Errorf("%w: layer request from %q, not connected", ErrBadPeer, from)
	}
	h.asked[from] = req.Want
	h.mu.Unlock()
	h.reshow()
	return nil
}

// reshow gives every subscriber its tiles. One that sent a layer request
// gets the participants it named (the highest layers first, then those
// that send video, then in the order below, as many as it has video
// slots) at the layers it named. One that did not gets as many
// participants as it has video slots, those that follow it in the
// sorted list of participants (wrapping round), so that each
// participant's video reaches some subscriber, at the low layer. Neither
// gets a participant its Allow does not name.
func (h *Host) reshow() {
	h.mu.Lock()
	parts := slices.Clone(h.parts)
	asked := maps.Clone(h.asked)
	allowed := maps.Clone(h.allowed)
	h.mu.Unlock()
	slots := map[string]int{}
	for _, st := range h.sfu.Stats() {
		slots[st.Peer] = st.VideoSlots
	}
	video := h.sfu.r.sendingVideo()
	for i, p := range parts {
		want, ok := asked[p]
		from, restricted := allowed[p]
		var shown []string
		for d := 1; d < len(parts); d++ {
			o := parts[(i+d)%len(parts)]
			if _, named := want[o]; (!ok || named) && (!restricted || from[o]) {
				shown = append(shown, o)
			}
		}
		if ok {
			slices.SortStableFunc(shown, func(a, b string) int {
				if c := cmp.Compare(want[b], want[a]); c != 0 {
					return c
				}
				return cmp.Compare(b2i(video[b]), b2i(video[a]))
			})
		}
		shown = shown[:min(len(shown), slots[p])]
		_ = h.sfu.SetShown(p, shown) // one that left meanwhile: nothing to show
		if ok {
			_ = h.sfu.SetLayers(p, LayerRequest{Want: want})
		}
	}
}

// Close stops the SFU. It is idempotent.
func (h *Host) Close() error {
	h.closeOnce.Do(func() { close(h.done) })
	h.wg.Wait()
	return h.sfu.Close()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
