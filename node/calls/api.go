package calls

import (
	"context"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// API is the part of the API that carries calls, embedded in node.Node:
// call.Manager's actions under the API's names.
type API struct {
	m       *call.Manager
	records Records
}

// StartCall starts a call in a group (see call.Manager.Start).
func (f *API) StartCall(ctx context.Context, cid, gid crdt.ID, video, synthetic bool) (crdt.ID, error) {
	return f.m.Start(ctx, cid, gid, video, synthetic)
}

// JoinCall joins a call (see call.Manager.Join).
func (f *API) JoinCall(ctx context.Context, cid, id crdt.ID, video, synthetic bool) error {
	return f.m.Join(ctx, cid, id, video, synthetic)
}

// LeaveCall leaves a call (see call.Manager.Leave).
func (f *API) LeaveCall(ctx context.Context, cid, id crdt.ID) error {
	return f.m.Leave(ctx, cid, id)
}

// EndCall ends a call for everyone (see call.Manager.End).
func (f *API) EndCall(ctx context.Context, cid, id crdt.ID) error {
	return f.m.End(ctx, cid, id)
}

// RemoveFromCall drops a participant from a call (see call.Manager.Remove).
func (f *API) RemoveFromCall(ctx context.Context, cid, id crdt.ID, k crdt.PublicKey) error {
	return f.m.Remove(ctx, cid, id, k)
}

// RemoveCallPeer drops the participant with libp2p peer id peerID (as
// api.CallParticipant names it) from a call.
func (f *API) RemoveCallPeer(ctx context.Context, cid, id crdt.ID, peerID string) error {
	p, err := peer.Decode(peerID)
	if err != nil {
		return fmt.Errorf("%w: participant %q: %w", crdt.ErrInvalid, peerID, err)
	}
	k, ok := peerkey.Key(p)
	if !ok {
		return fmt.Errorf("%w: participant %q has no Ed25519 key", crdt.ErrInvalid, peerID)
	}
	return f.m.Remove(ctx, cid, id, k)
}

// SetCallMuted mutes or unmutes this member in a call (see
// call.Manager.SetMuted).
func (f *API) SetCallMuted(_ context.Context, cid, id crdt.ID, muted bool) error {
	return f.m.SetMuted(cid, id, muted)
}

// AnnounceCallVideo tells the other participants of a call that this
// member's camera turned on or off (see call.Manager.SetVideo); the
// camera itself is the app's.
func (f *API) AnnounceCallVideo(_ context.Context, cid, id crdt.ID, on bool) error {
	return f.m.SetVideo(cid, id, on)
}

// CallStatus says how a call runs (see call.Manager.Status).
func (f *API) CallStatus(cid, id crdt.ID) (api.CallStatus, error) { return f.m.Status(cid, id) }

// Calls lists a community's calls: their records (view.Views.Calls) with
// what the signalling knows live (call.Manager.Fill).
func (f *API) Calls(cid crdt.ID) ([]api.Call, error) {
	calls, err := f.records.Calls(cid)
	return f.m.Fill(cid, calls), err
}
