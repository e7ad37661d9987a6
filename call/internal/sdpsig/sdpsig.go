// Package sdpsig is the one framing of a call's SDP messages: the mesh
// offers and answers of call/media and the SFU offers and answers of
// call/sfu travel as
//
//	{1: version (1), 2: type, 3: SDP text}
//
// in canonical CBOR with integer keys. Each package owns its types (mesh 1
// and 2, SFU 3 and 4, so one is never mistaken for the other), its size
// limit and its error; this package checks everything else, strictly.
package sdpsig

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Version is the message format's version.
const Version = 1

// Message is one SDP message.
type Message struct {
	Version uint   `cbor:"1,keyasint"`
	Type    uint   `cbor:"2,keyasint"`
	SDP     string `cbor:"3,keyasint"`
}

var (
	enc = func() cbor.EncMode {
		em, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return em
	}()
	dec = func() cbor.DecMode {
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
	}()
)

// Marshal is v's canonical encoding, unchecked (tests build bad messages
// with it).
func Marshal(v any) ([]byte, error) { return enc.Marshal(v) }

// Encode encodes an SDP message of type typ, at most max bytes.
func Encode(typ uint, sdp string, max int) ([]byte, error) {
	b, err := enc.Marshal(Message{Version: Version, Type: typ, SDP: sdp})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if len(b) > max {
		return nil, fmt.Errorf("%d bytes to send, over %d", len(b), max)
	}
	return b, nil
}

// Decode decodes an SDP message of at most max bytes strictly: the
// canonical encoding of this version with an SDP, and nothing else. The
// caller checks the type.
func Decode(b []byte, max int) (Message, error) {
	var m Message
	if len(b) > max {
		return m, fmt.Errorf("%d bytes, over %d", len(b), max)
	}
	if err := dec.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if again, err := enc.Marshal(m); err != nil || string(again) != string(b) {
		return m, errors.New("not the canonical encoding")
	}
	switch {
	case m.Version != Version:
		return m, fmt.Errorf("version %d", m.Version)
	case m.SDP == "":
		return m, errors.New("no SDP")
	}
	return m, nil
}
