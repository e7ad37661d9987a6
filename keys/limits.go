package keys

import (
	"time"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Key rotation defaults and the manager's timings, in one place.
const (
	// DefaultRotateAfter ends an epoch after a week.
	DefaultRotateAfter = 7 * 24 * time.Hour
	// DefaultRotateEvery ends an epoch after that many ops.
	DefaultRotateEvery = 2000
	// DefaultPrekeyLifetime is how long a prekey is published.
	DefaultPrekeyLifetime = 30 * 24 * time.Hour
	// DefaultWrapBudget bounds the wraps of one rekey op, under
	// crdt.MaxBodySize.
	DefaultWrapBudget = 56 << 10

	// HealStep is how long each admin waits for those before it in the
	// turn order of a stale or expired epoch.
	HealStep = 20 * time.Second
	// InitialGrace delays giving a new log its first epoch: the node that
	// created the log normally does it at once, and a kick that sees the
	// log between its creation and its first rotation must not add another.
	InitialGrace = 10 * time.Second

	// keyAskInterval is the least time between two asks for a community's
	// keys, and the first back-off of a retry; maxKeyRetry the longest.
	keyAskInterval = 5 * time.Second
	maxKeyRetry    = 5 * time.Minute
)

// MaxInviteSecrets bounds the invite link secrets kept per community (and
// so the stored record a decoder reads).
const MaxInviteSecrets = 256

// MaxInviteKeyOps bounds the invite-keys ops a joiner opens from one
// relay's answer (OpenInviteKeys): what one answer may carry.
const MaxInviteKeyOps = wire.MaxJoinKeys
