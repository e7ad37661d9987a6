package gossip

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// Gossipsub pushes an op to the peers in its topic's mesh as the mesh is
// when the op is published, and offers it (IHAVE) at the next few
// heartbeats to the topic's peers outside the mesh. Just after two members
// connect (a restart, a reconnect, a join) a reader may get neither: it is
// not on the topic yet, or it is, but is grafted into the mesh only at the
// next heartbeat, and a mesh peer is never offered what was published
// before it was grafted. It would then wait for the next periodic sync,
// 30 s. So Publish nudges at once the connected readers not on the topic,
// and a peer grafted into a topic's mesh within meshWindow after this node
// published there is nudged as it is grafted. A nudge makes the peer pull
// from this node soon (Puller.Nudge).

// owedNudge is a peer to nudge about a community.
type owedNudge struct {
	peer      peer.ID
	community crdt.ID
}

// notePublished records that this node publishes on topic now.
func (s *Service) notePublished(topic string) {
	s.meshMu.Lock()
	defer s.meshMu.Unlock()
	s.published[topic] = s.now()
}

// grafted runs on gossipsub's event loop when it adds p to topic's mesh; it
// must not block or take Service.mu.
func (s *Service) grafted(p peer.ID, topic string) {
	cid, ok := s.topicCommunity.Load(topic)
	if !ok {
		return
	}
	s.meshMu.Lock()
	defer s.meshMu.Unlock()
	if at, ok := s.published[topic]; !ok || s.now().Sub(at) >= meshWindow {
		return
	}
	s.owed[owedNudge{p, cid.(crdt.ID)}] = struct{}{}
	select {
	case s.owedCh <- struct{}{}:
	default:
	}
}

// nudgeLoop nudges the peers grafted soon after this node published.
func (s *Service) nudgeLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.owedCh:
		}
		s.meshMu.Lock()
		owed := s.owed
		s.owed = map[owedNudge]struct{}{}
		s.meshMu.Unlock()
		for o := range owed {
			if k, ok := peerkey.Key(o.peer); ok {
				s.log.Debug("nudging a peer grafted after a publish", "peer", o.peer, "community", o.community.Short())
				s.peers.Nudge(o.community, k)
			}
		}
	}
}

// meshTracer hands gossipsub's grafts to Service.grafted and ignores its
// other events.
type meshTracer struct{ s *Service }

var _ pubsub.RawTracer = meshTracer{}

func (t meshTracer) Graft(p peer.ID, topic string) { t.s.grafted(p, topic) }

func (meshTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (meshTracer) OnClosedOutboundStream(peer.ID)                       {}
func (meshTracer) Join(string)                                          {}
func (meshTracer) Leave(string)                                         {}
func (meshTracer) Prune(peer.ID, string)                                {}
func (meshTracer) ValidateMessage(*pubsub.Message)                      {}
func (meshTracer) DeliverMessage(*pubsub.Message)                       {}
func (meshTracer) RejectMessage(*pubsub.Message, string)                {}
func (meshTracer) DuplicateMessage(*pubsub.Message)                     {}
func (meshTracer) ThrottlePeer(peer.ID)                                 {}
func (meshTracer) RecvRPC(*pubsub.RPC)                                  {}
func (meshTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (meshTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (meshTracer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (meshTracer) UndeliverableMessage(*pubsub.Message)                 {}
