package sfu

import "time"

// Limits on what an SFU accepts from participants and keeps.
const (
	// MaxParticipants is how many participants one SFU forwards for: a
	// call has at most 32.
	MaxParticipants = 32
	// MaxPeerIDSize bounds a participant id (a libp2p peer id's string
	// form is about 52 bytes).
	MaxPeerIDSize = 128
	// MaxAllowed bounds the participants an SFU keeps an Allow for,
	// connected or not (their host Forgets those it dropped).
	MaxAllowed = 4 * MaxParticipants
	// MaxSDPSize bounds a participant's offer.
	MaxSDPSize = 64 << 10
	// MaxAudioSlots is how many speakers' audio a subscriber receives at
	// once: the loudest three.
	MaxAudioSlots = 3
	// MaxVideoSlots bounds the video tiles one subscriber receives at once
	// (its last-N).
	MaxVideoSlots = MaxParticipants - 1
	// QueueLen is the length of each subscriber's forwarding queue, in
	// packets; a packet that finds the queue full is dropped and counted.
	QueueLen = 1024
	// ElectionInterval is how often the loudest speakers are re-elected
	// from the audio levels that arrived.
	ElectionInterval = 100 * time.Millisecond
	// VoiceHold is how long after its last packet with voice activity
	// (RFC 6464's V flag) a source still ranks as speaking, before the
	// sources that are silent: a few frames of jitter. (The sender holds
	// the flag itself between words: call/voice's SpeakingHold.)
	VoiceHold = 100 * time.Millisecond
	// AudioKeepAlive is the longest a subscriber goes without audio while
	// a speaker it hears sends any (silence included): a participant
	// takes its host for lost after a second with nothing from it
	// (call/media's HostSilence), and the RTCP reports it would otherwise
	// rely on come once a second.
	AudioKeepAlive = 250 * time.Millisecond
	// SendHold is how long after its last audio packet a source still
	// ranks as sending, before those that are muted: a little more than
	// the 400 ms between the comfort-noise packets of a silent sender
	// (Opus DTX), so that keep-alives come from a sender within a second.
	SendHold = 450 * time.Millisecond
	// gatherTimeout bounds the wait for ICE candidate gathering before an
	// answer is returned with the candidates found so far.
	gatherTimeout = 5 * time.Second
)

// MaxSignalSize bounds one SFU media message (an offer or answer with its
// ICE candidates).
const MaxSignalSize = MaxSDPSize + 64

// Limits on simulcast.
const (
	// MaxLayers is how many simulcast layers a publisher may send of its
	// video (Layer values 0 to MaxLayers-1).
	MaxLayers = 3
	// MaxLayerRequests bounds the sources one LayerRequest names: every
	// other participant.
	MaxLayerRequests = MaxParticipants - 1
	// MaxLayerRequestSize bounds an encoded LayerRequest.
	MaxLayerRequestSize = 2 + MaxLayerRequests*(2+MaxPeerIDSize)
	// LayerTimeout is how long after its last packet a source's layer
	// counts as no longer sent (a publisher drops its high layers when its
	// own bandwidth falls).
	LayerTimeout = time.Second
	// PlanInterval is how often a subscriber's layers are chosen again
	// even if nothing it said changed (layers appear and disappear).
	PlanInterval = 250 * time.Millisecond
	// KeyRetry is how long a slot waits for the key frame of the layer it
	// switches to before it asks the publisher again.
	KeyRetry = time.Second
	// KeyRequestEvery is the shortest time between two key-frame
	// requests the SFU sends a publisher for one layer, whether its
	// subscribers lost frames (their PLIs, forwarded) or switch layers:
	// 31 subscribers cannot make a sender encode only key frames.
	KeyRequestEvery = 500 * time.Millisecond
	// ReshowInterval is how often a Host gives its subscribers their
	// tiles again, so that a participant that starts or stops sending
	// video moves up or down the tiles a layer request names.
	ReshowInterval = time.Second
)
