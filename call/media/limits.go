package media

import "time"

// Limits on what a Session accepts from the signalling side and keeps.
const (
	// MaxSignalSize bounds one media message (an offer or answer with all
	// its ICE candidates; a browser's offer is 5–10 KiB).
	MaxSignalSize = 64 << 10
	// MaxPeerIDSize bounds a participant id (a libp2p peer id's string
	// form is about 52 bytes).
	MaxPeerIDSize = 128
	// MaxPeers is how many remote participants a Session holds media or
	// keys for at once: a call has at most 32 participants.
	MaxPeers = 31
	// MaxLatencySamples is how many of the latest latencies per remote
	// participant the percentiles in Stats are taken over.
	MaxLatencySamples = 1024
	// videoMaxLate is how many RTP packets the video sample builder waits
	// for a missing one before it gives up on a frame: a synthetic key
	// frame is 13 packets, so this is several frames.
	videoMaxLate = 128
	// MaxSendFrameSize bounds one encoded frame given to Send (a VP8 key
	// frame of a 720p camera is well under it); with SFrame's overhead it
	// stays under sframe.MaxFrameSize.
	MaxSendFrameSize = 512 << 10
	// gatherTimeout bounds the wait for ICE candidate gathering before an
	// offer or answer is sent with the candidates found so far.
	gatherTimeout = 5 * time.Second
	// gatherGrace is how long after its first ICE candidate a participant
	// whose SFU host was lost waits for the others (a relay candidate of
	// a live TURN server takes two round trips) before it sends what it
	// has: the lost host's TURN server may be gone with it (whenGathered).
	gatherGrace = 500 * time.Millisecond
)

// Synthetic media: sizes of the frames a headless participant sends, those
// of real encoders at a typical call's bitrates, so that packet counts,
// bandwidth and SFrame cost are what a real call has.
const (
	// AudioFrameInterval is Opus's usual frame length.
	AudioFrameInterval = 20 * time.Millisecond
	// AudioFrameSize is an Opus frame at 32 kbit/s.
	AudioFrameSize = 80
	// VideoFrameInterval is 15 frames a second.
	VideoFrameInterval = time.Second / 15
	// VideoFrameSize is a VP8 delta frame at about 300 kbit/s.
	VideoFrameSize = 2500
	// VideoKeyFrameSize is a VP8 key frame, sent every VideoKeyFrameEvery frames.
	VideoKeyFrameSize = 15000
	// VideoKeyFrameEvery is the key frame interval in frames (2 s).
	VideoKeyFrameEvery = 30
)

// Calls through an SFU (sfuClient).
const (
	// SFUVideoSlots is how many video tiles a participant receives from an
	// SFU at once (its last-N).
	SFUVideoSlots = 4
	// HostSilence is how long nothing may come from the SFU host (media
	// or RTCP, which its receiver reports bring every second) before the
	// participant reports the host lost; with the reconnection this
	// keeps a failover within 3 s.
	HostSilence = time.Second
	// VideoStale is how long after a participant's latest video frame
	// its PeerStats still names the layer arriving.
	VideoStale = time.Second
	// SyntheticLevel is the RFC 6464 audio level (−dBov) of synthetic
	// audio: a voice at a normal level.
	SyntheticLevel = 30
)
