package exchange

import "github.com/umbrella-p2p/umbrella/sync/wire"

// Limits of a pull.
const (
	// MaxSessionsPerPull bounds the reconciliations of one pull; each
	// finds up to reconcile.MaxIDs missing ops.
	MaxSessionsPerPull = 64
	// MaxFetchPasses bounds the rounds of "fetch what the fetched ops
	// wait for".
	MaxFetchPasses = 64
	// MaxFormerOps bounds the ops one pull from a former member asks for
	// (and as many again for their parents).
	MaxFormerOps = wire.MaxFetch
)
