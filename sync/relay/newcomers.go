package relay

import (
	"context"
	"slices"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Requester sends one pull-protocol request to a peer: sync/p2p's Remote.
type Requester interface {
	Request(ctx context.Context, req *wire.Request) (*wire.Response, error)
}

// Newcomer returns the registered communities where k is a known author
// that has not arrived (published no prekey there): a member added
// directly while offline. At most MaxNewcomerNudges, sorted.
func (r *Relay) Newcomer(k crdt.PublicKey) []crdt.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []crdt.ID
	for id, c := range r.comms {
		if c.registered() && c.known[k] && !c.arrived[k] && k != c.owner {
			out = append(out, id)
		}
	}
	out = crdt.SortIDs(out)
	return out[:min(len(out), MaxNewcomerNudges)]
}

// NudgeNewcomer nudges peer k, which just connected, about each community
// Newcomer returns (see the package doc, "Nudging newcomers"), one request
// after another, and returns the communities whose nudge was answered
// without an error.
func (r *Relay) NudgeNewcomer(ctx context.Context, k crdt.PublicKey, to Requester) []crdt.ID {
	var done []crdt.ID
	for _, cid := range r.Newcomer(k) {
		resp, err := to.Request(ctx, &wire.Request{Kind: wire.KindNudge, Community: slices.Clone(cid[:])})
		if err != nil {
			r.log.Debug("nudge a newcomer", "community", cid.Short(), "err", err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if resp.Error == "" {
			done = append(done, cid)
		}
	}
	return done
}
