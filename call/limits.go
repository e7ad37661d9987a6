package call

import (
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Limits of the signalling protocol and of the calls a Manager holds.
const (
	// MaxParticipants bounds who takes part in one call: a roster holds
	// at most this many keys, and a join beyond it is refused.
	MaxParticipants = crdt.MaxCallParticipants
	// MaxBlob bounds one media message (an SDP offer or answer, or an
	// ICE candidate); an offer for a few tracks takes a few KiB.
	MaxBlob = 32 << 10
	// MaxLayersBlob bounds a layer request (call/sfu's
	// MaxLayerRequestSize: a layer for each of 31 other participants).
	MaxLayersBlob = 4 << 10
	// KeySize is the size of an SFrame base key.
	KeySize = 32
	// MaxFrame bounds a signalling frame, the largest being a media
	// message or a full roster: a few fields beside MaxBlob bytes.
	MaxFrame = MaxBlob + 4<<10
	// MaxErrorLen bounds a reply's error text.
	MaxErrorLen = 256
	// MaxCalls bounds the calls a Manager keeps at once, ringing or
	// joined, over all communities; a ring beyond it is refused.
	MaxCalls = 64
	// MaxHostedPerMember bounds the calls one member takes part in at
	// once on a relay's SFUs (HostServer): one, and the next while it
	// moves.
	MaxHostedPerMember = 2
	// MaxPoll bounds the members a joiner asks who takes part, when
	// those it knew of are not in the call.
	MaxPoll = 8
	// AskEvery is how often, at most, a node not in a call asks a
	// participant who takes part in it (ask.go).
	AskEvery = 5 * time.Second
	// MaxRing bounds the members one ring goes to.
	MaxRing = 256
	// MaxRingsPerCaller bounds the calls one member may have ringing at
	// a node at once.
	MaxRingsPerCaller = 4
	// RingAge is how long a node keeps a call it was rung for and did
	// not join; an ended call it is not in goes at once (its record
	// stays in the group's log).
	RingAge = 12 * time.Hour

	// StaleAfter is how old a call must be before a member whose join
	// finds nobody in it records that it lapsed (stale.go): a younger
	// call's caller may be only briefly out of reach.
	StaleAfter = 2 * time.Minute

	// ICETimeout bounds the wait for a community's ICE servers (TURN
	// credentials from its relays) before a call's media starts.
	ICETimeout = 5 * time.Second
	// MaxICEServers bounds the ICE servers one call's media gets.
	MaxICEServers = 4

	// SendTimeout bounds one message's delivery.
	SendTimeout = 10 * time.Second
	// Idle bounds how long a handler waits for the one frame of a stream.
	Idle = 10 * time.Second
	// KeyGrace is how long a receiver keeps a sender's earlier keys once
	// a newer one arrived, for frames in flight: a participant who left
	// decrypts nothing sent this long after its leave.
	KeyGrace = 3 * time.Second
	// KeyRetryMin and KeyRetryMax bound the wait before a key that did
	// not reach a participant is sent again; it doubles from the first
	// to the second while it fails.
	KeyRetryMin = 250 * time.Millisecond
	KeyRetryMax = 4 * time.Second
	// KeyAskEvery is how often a participant may ask another for its key
	// (TypeKeyAsk); KeyCheckEvery how often a participant looks for
	// senders whose frames do not decrypt, to ask them.
	KeyAskEvery   = time.Second
	KeyCheckEvery = 2 * time.Second
	// MaxOutbox bounds the media messages waiting to be sent.
	MaxOutbox = 1024

	// TellTimeout bounds how long a relay hosting a call's SFU waits
	// for a participant it tells who is connected (HostServer).
	TellTimeout = 2 * time.Second

	// MeshVideo and MeshVoice are the largest video and voice calls that
	// run as a full mesh; larger ones run through an SFU (topology.go).
	MeshVideo = 4
	MeshVoice = 6
	// HostRetry bounds how long a participant asks again a host that
	// refuses its SFU offer (it may not know yet that it hosts) before it
	// counts the host lost.
	HostRetry = time.Second
	// HostAsk bounds the wait for another participant's answer to which
	// host it uses, when this node's media lost the host (confirmLoss)
	// and while it is away from the host the others use (rejoin): on a
	// loaded machine a live participant answers in seconds, and one that
	// does not answer is no evidence that the host is gone.
	HostAsk = 5 * time.Second
	// RejoinMax bounds the wait between two of rejoin's probes of the
	// preferred host (the wait doubles from HostRetry up to it).
	RejoinMax = 8 * time.Second
)
