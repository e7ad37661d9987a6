package relaynode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/relay"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// ServeCalls makes a relay host the SFUs of calls (`umbrellad relay
// --sfu`, call.HostServer): it answers the call protocol, which also
// announces (through libp2p identify) that it hosts, for the members it
// knows of communities that registered it. It never holds a media key.
// It tells a call's participants who is connected to its SFU, on streams
// of the same protocol.
func ServeCalls(rs *Store, newHost call.NewHost, log *slog.Logger) (*call.HostServer, error) {
	rl := rs.relay
	hs, err := call.NewHostServer(call.HostServerConfig{
		Admit:  func(cid crdt.ID, k crdt.PublicKey) bool { return relayAdmits(rl, cid, k) },
		PeerID: peerkey.Text, Host: newHost, Send: callSender{rs.svc}, Log: log,
	})
	if err != nil {
		return nil, err
	}
	rs.svc.Handle(callID, func(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		err := call.Handle(ctx, hs, rw, from)
		if errors.Is(err, call.ErrMalformed) {
			return fmt.Errorf("%w: %w", p2p.ErrBadPeer, err)
		}
		return err
	})
	return hs, nil
}

// callSender carries the relay's call messages to members.
type callSender struct{ svc *p2p.Service }

// Send carries m to member to on a new stream and reads its reply.
func (c callSender) Send(ctx context.Context, to crdt.PublicKey, m *call.Message) (*call.Reply, error) {
	return calls.Send(ctx, c.svc.Open, to, m)
}

// callID is the calls' signalling protocol as libp2p knows it.
const callID = protocol.ID(wire.CallProtocol)

// relayAdmits: the relay serves community cid and knows k is or was a
// member of it (sync/relay's judgement, as for serving its logs).
func relayAdmits(rl *relay.Relay, cid crdt.ID, k crdt.PublicKey) bool {
	return rl.Keeps(cid) && rl.Known(cid, k)
}
