package media

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// ErrBadSignal: a media message is malformed, too large, of an unknown
// version or type, or not one this side expects from that participant.
var ErrBadSignal = errors.New("media: bad signal")

// signalVersion is the media message format's version.
const signalVersion = 1

// Media message types.
const (
	sigOffer  = 1 // an SDP offer, with every ICE candidate gathered
	sigAnswer = 2 // the SDP answer to the last offer
)

// signal is one media message, as CBOR with integer keys:
//
//	{1: version (1), 2: type (1 offer, 2 answer), 3: SDP text}
//
// Candidates travel inside the SDP (gathering completes before it is
// sent), so there are no separate candidate messages.
type signal struct {
	Version uint   `cbor:"1,keyasint"`
	Type    uint   `cbor:"2,keyasint"`
	SDP     string `cbor:"3,keyasint"`
}

var (
	sigEnc = mustEncMode()
	sigDec = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}

func mustDecMode() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   4,
		MaxArrayElements:  16,
		MaxMapPairs:       16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}

func encodeSignal(typ uint, sdp string) ([]byte, error) {
	b, err := sigEnc.Marshal(signal{Version: signalVersion, Type: typ, SDP: sdp})
	if err != nil {
		return nil, fmt.Errorf("media: encode signal: %w", err)
	}
	if len(b) > MaxSignalSize {
		return nil, fmt.Errorf("%w: %d bytes to send, over %d", ErrBadSignal, len(b), MaxSignalSize)
	}
	return b, nil
}

// decodeSignal decodes a media message strictly: the canonical encoding of
// a known version and type with an SDP, and nothing else.
func decodeSignal(b []byte) (signal, error) {
	var s signal
	if len(b) > MaxSignalSize {
		return s, fmt.Errorf("%w: %d bytes, over %d", ErrBadSignal, len(b), MaxSignalSize)
	}
	if err := sigDec.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%w: %w", ErrBadSignal, err)
	}
	if again, err := sigEnc.Marshal(s); err != nil || string(again) != string(b) {
		return s, fmt.Errorf("%w: not the canonical encoding", ErrBadSignal)
	}
	if s.Version != signalVersion {
		return s, fmt.Errorf("%w: version %d", ErrBadSignal, s.Version)
	}
	if s.Type != sigOffer && s.Type != sigAnswer {
		return s, fmt.Errorf("%w: type %d", ErrBadSignal, s.Type)
	}
	if s.SDP == "" {
		return s, fmt.Errorf("%w: no SDP", ErrBadSignal)
	}
	return s, nil
}
