package relay

import "time"

// Limits of the relay's store.
const (
	// DefaultQuota bounds, by default, the bytes of op encodings the relay
	// stores over all communities (10 GB).
	DefaultQuota int64 = 10_000_000_000
	// DefaultShareDivisor: by default one community may use at most this
	// fraction (1/n) of the quota, so one busy community never starves
	// the others.
	DefaultShareDivisor = 4
	// MaxProbeOps bounds the control ops one probe of a community the
	// relay does not keep yet may hold (see the package doc).
	MaxProbeOps = 4096
	// MaxProbeBytes bounds the bytes of one probe.
	MaxProbeBytes = 8 << 20
	// MaxRecent bounds the ops whose place the relay caches in memory
	// (the logs' heads and the control ops content cites, as they are
	// stored or looked up); the rest it looks up in its store.
	MaxRecent = 1024
	// MaxCommunities bounds the communities one relay keeps.
	MaxCommunities = 10000
	// MaxQueuedPulls bounds the pulls waiting to run (see Puller).
	MaxQueuedPulls = 256
	// NudgeWait is how long the relay node's answer to a nudge waits for
	// the pull it asks for (Answerer.Wait): well within the requester's
	// stream timeout (sync/p2p.StreamTimeout, 30 s).
	NudgeWait = 10 * time.Second
	// MaxPullPasses bounds the fetch passes of one pull by the relay.
	MaxPullPasses = 64
	// ExpireEvery is how often the relay drops ops older than its
	// retention (Puller); MaxPruneBatch bounds the ops one write drops.
	ExpireEvery   = time.Hour
	MaxPruneBatch = 4096
)

// Limits of file pushes (blobs.go).
const (
	// MaxPushFrame bounds a PushOffer or PushReply frame: a community id,
	// a root, a size, or a refusal's reason.
	MaxPushFrame = 1024
	// MaxPushReason bounds a refusal's reason, which the relay cuts to
	// this many bytes so that its PushReply fits MaxPushFrame.
	MaxPushReason = 512
	// OfferIdle bounds how long the relay waits for a push stream's
	// offer: a peer that opens the stream and says nothing holds it no
	// longer.
	OfferIdle = 10 * time.Second
)

// MaxNewcomerNudges bounds the communities the relay nudges one peer
// about when it connects (see the package doc, "Nudging newcomers").
const MaxNewcomerNudges = 8
