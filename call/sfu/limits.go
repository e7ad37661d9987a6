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
	// gatherTimeout bounds the wait for ICE candidate gathering before an
	// answer is returned with the candidates found so far.
	gatherTimeout = 5 * time.Second
)

// MaxSignalSize bounds one SFU media message (an offer or answer with its
// ICE candidates).
const MaxSignalSize = MaxSDPSize + 64
