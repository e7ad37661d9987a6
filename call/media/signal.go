package media

import (
	"errors"
	"fmt"

	"github.com/umbrella-p2p/umbrella/call/internal/sdpsig"
)

// ErrBadSignal: a media message is malformed, too large, of an unknown
// version or type, or not one this side expects from that participant.
var ErrBadSignal = errors.New("media: bad signal")

// Mesh media message types. Candidates travel inside the SDP (gathering
// completes before it is sent), so there are no candidate messages.
const (
	sigOffer  = 1 // an SDP offer, with every ICE candidate gathered
	sigAnswer = 2 // the SDP answer to the last offer
)

// encodeSignal encodes a mesh media message (sigOffer or sigAnswer) in
// the calls' one SDP framing (call/internal/sdpsig).
func encodeSignal(typ uint, sdp string) ([]byte, error) {
	b, err := sdpsig.Encode(typ, sdp, MaxSignalSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignal, err)
	}
	return b, nil
}

// decodeSignal decodes a mesh media message strictly: the canonical
// encoding of a known version and type with an SDP, and nothing else.
func decodeSignal(b []byte) (sdpsig.Message, error) {
	s, err := sdpsig.Decode(b, MaxSignalSize)
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrBadSignal, err)
	}
	if s.Type != sigOffer && s.Type != sigAnswer {
		return s, fmt.Errorf("%w: type %d", ErrBadSignal, s.Type)
	}
	return s, nil
}
