package call

import (
	"errors"
	"fmt"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Message types.
const (
	TypeRing   = 1 // the caller tells the group's members a call started
	TypeJoin   = 2 // a member joins: sent to every participant
	TypeLeave  = 3 // a participant leaves: sent to every other
	TypeEnd    = 4 // the caller or an admin ends the call for everyone
	TypeRemove = 5 // the caller or an admin drops Peer from the call
	TypeRoster = 6 // a member asks a participant who takes part
	TypeMedia  = 7 // an opaque media message (SDP, ICE) for the receiver
	TypeKey    = 8 // the sender's SFrame key KID for its frames
	// TypeLayers carries a participant's layer request (an opaque media
	// message: the tiles it shows and the layer of each) to the call's
	// SFU host, which takes it only from a participant it connects.
	TypeLayers = 9
	// TypeKeyAsk: a participant that cannot decrypt the receiver's frames
	// asks it for its current key, which comes in a TypeKey message.
	TypeKeyAsk = 10
	// TypeState: a participant's own state (Muted, Video) when it
	// changes, and to a newcomer on its join. Nodes older than it refuse
	// the type.
	TypeState = 11
)

// ErrMalformed: a message breaks the protocol's shape or limits.
var ErrMalformed = errors.New("malformed call message")

// Message is one signalling message: a stream carries one, and its
// Reply.
type Message struct {
	Type      uint8  `cbor:"1,keyasint"`
	Community []byte `cbor:"2,keyasint"`
	Call      []byte `cbor:"3,keyasint"` // the id of the call's start record
	// Group, Caller, Video and Started describe the call (ring, join);
	// a join's Video says whether the joiner sends video, a state's
	// whether the sender's camera is on.
	Group   []byte `cbor:"4,keyasint,omitempty"`
	Caller  []byte `cbor:"5,keyasint,omitempty"`
	Video   bool   `cbor:"6,keyasint,omitempty"`
	Started int64  `cbor:"7,keyasint,omitempty"` // unix milliseconds
	// Peer is who a remove drops.
	Peer []byte `cbor:"8,keyasint,omitempty"`
	// Roster lists the participants (ring; roster to or from a relay host), at
	// most MaxParticipants.
	Roster [][]byte `cbor:"9,keyasint,omitempty"`
	// Blob is a media message, at most MaxBlob bytes.
	Blob []byte `cbor:"10,keyasint,omitempty"`
	// KID and Key are a key message's SFrame key id (never 0) and key.
	KID uint64 `cbor:"11,keyasint,omitempty"`
	Key []byte `cbor:"12,keyasint,omitempty"`
	// Reach is a join's: how well the joiner could host the call's SFU
	// (ReachNone, ReachRelayed, ReachDirect).
	Reach uint8 `cbor:"13,keyasint,omitempty"`
	// Muted is a state message's: the sender's microphone is muted.
	Muted bool `cbor:"14,keyasint,omitempty"`
}

// How well a participant could host a call's SFU, as it announces in its
// join and its answers to joins: the election (topology.go) prefers the
// best.
const (
	ReachNone    = 0 // it cannot host (no SFU in this program)
	ReachRelayed = 1 // others reach it only through a circuit relay
	ReachDirect  = 2 // it has a direct (public or LAN) address
)

// Reply answers a Message: Error says why it was refused; a join's or
// roster's reply describes the call as the responder knows it.
type Reply struct {
	Error   string   `cbor:"1,keyasint,omitempty"`
	Roster  [][]byte `cbor:"2,keyasint,omitempty"`
	Group   []byte   `cbor:"3,keyasint,omitempty"`
	Caller  []byte   `cbor:"4,keyasint,omitempty"`
	Video   bool     `cbor:"5,keyasint,omitempty"`
	Started int64    `cbor:"6,keyasint,omitempty"`
	// Absent: the refusal is only that the responder does not take part
	// in the call (Error says so too).
	Absent bool `cbor:"7,keyasint,omitempty"`
	// Reach is the responder's own, in a join's reply.
	Reach uint8 `cbor:"8,keyasint,omitempty"`
	// Host is the call's SFU host as the responder has it (a join's or
	// roster's reply); empty: a mesh.
	Host []byte `cbor:"9,keyasint,omitempty"`
	// Blob is a host's answer to a media message (an SFU offer), at most
	// MaxBlob bytes.
	Blob []byte `cbor:"10,keyasint,omitempty"`
}

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

func checkKey(field string, b []byte, need bool) error {
	if len(b) == 0 && !need {
		return nil
	}
	if len(b) != 32 {
		return bad("%s is %d bytes, want 32", field, len(b))
	}
	return nil
}

func checkRoster(r [][]byte) error {
	if len(r) > MaxParticipants {
		return bad("roster of %d, at most %d", len(r), MaxParticipants)
	}
	seen := make(map[crdt.PublicKey]bool, len(r))
	for i, k := range r {
		if err := checkKey(fmt.Sprintf("participant %d", i), k, true); err != nil {
			return err
		}
		if seen[crdt.PublicKey(k)] {
			return bad("participant %x named twice", k[:4])
		}
		seen[crdt.PublicKey(k)] = true
	}
	return nil
}

// Check reports whether m has the fields its type needs, within limits,
// and no others.
func (m *Message) Check() error {
	if err := checkKey("community", m.Community, true); err != nil {
		return err
	}
	if err := checkKey("call", m.Call, true); err != nil {
		return err
	}
	describes := m.Type == TypeRing || m.Type == TypeJoin
	if !describes && (len(m.Group) > 0 || len(m.Caller) > 0 || m.Video && m.Type != TypeState || m.Started != 0) {
		return bad("a type %d message does not describe the call", m.Type)
	}
	if describes {
		if err := checkKey("group", m.Group, true); err != nil {
			return err
		}
		if err := checkKey("caller", m.Caller, true); err != nil {
			return err
		}
		if m.Started < 0 {
			return bad("negative start")
		}
	}
	if (m.Type == TypeRemove) != (len(m.Peer) > 0) {
		return bad("only a remove names a peer, and it must")
	}
	if err := checkKey("peer", m.Peer, false); err != nil {
		return err
	}
	if m.Type != TypeRing && m.Type != TypeRoster && len(m.Roster) > 0 {
		return bad("only a ring or a roster message carries a roster")
	}
	if err := checkRoster(m.Roster); err != nil {
		return err
	}
	if (m.Type == TypeMedia || m.Type == TypeLayers) != (len(m.Blob) > 0) {
		return bad("only a media message or a layer request carries a blob, and it must")
	}
	if len(m.Blob) > MaxBlob {
		return bad("media message of %d bytes, at most %d", len(m.Blob), MaxBlob)
	}
	if m.Type == TypeLayers && len(m.Blob) > MaxLayersBlob {
		return bad("layer request of %d bytes, at most %d", len(m.Blob), MaxLayersBlob)
	}
	if (m.Type == TypeKey) != (m.KID != 0 || len(m.Key) > 0) {
		return bad("only a key message carries a key, and it must")
	}
	if m.Type == TypeKey && len(m.Key) != KeySize {
		return bad("key of %d bytes, want %d", len(m.Key), KeySize)
	}
	if m.Type == TypeKey && m.KID == 0 {
		return bad("key id 0")
	}
	if m.Type != TypeJoin && m.Reach != 0 || m.Reach > ReachDirect {
		return bad("reach %d in a type %d message", m.Reach, m.Type)
	}
	if m.Type != TypeState && m.Muted {
		return bad("muted in a type %d message", m.Type)
	}
	if m.Type < TypeRing || m.Type > TypeState {
		return bad("unknown type %d", m.Type)
	}
	return nil
}

// Check reports whether r is within limits.
func (r *Reply) Check() error {
	if len(r.Error) > MaxErrorLen {
		return bad("error text of %d bytes", len(r.Error))
	}
	if err := checkRoster(r.Roster); err != nil {
		return err
	}
	if err := checkKey("group", r.Group, false); err != nil {
		return err
	}
	if err := checkKey("caller", r.Caller, false); err != nil {
		return err
	}
	if r.Started < 0 {
		return bad("negative start")
	}
	if err := checkKey("host", r.Host, false); err != nil {
		return err
	}
	if r.Reach > ReachDirect {
		return bad("reach %d", r.Reach)
	}
	if len(r.Blob) > MaxBlob {
		return bad("media answer of %d bytes, at most %d", len(r.Blob), MaxBlob)
	}
	if r.Absent && r.Error == "" {
		return bad("absent with no error")
	}
	return nil
}
