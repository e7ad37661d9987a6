package call

import (
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Media is one participant's media in one call: package call/media's
// Session, seen from here (the methods that package documents; Stats
// converted to PeerStats). Peers are named by their peer ids as text.
type Media interface {
	Connect(peer string) error
	Disconnect(peer string)
	HandleSignal(from string, blob []byte) error
	SetSendKey(kid uint64, key []byte) error
	SetRecvKey(from string, kid uint64, key []byte) error
	DropRecvKeys(from string, keepKID uint64)
	SetMuted(muted bool)
	Stats() []PeerStats
	// SetHost moves this participant's media to the SFU of the call's
	// host (a participant, this one included, or a relay), named by its
	// peer id, or back to the mesh (""). Its offer leaves through
	// MediaConfig.Signal and the host's answer comes back through
	// HandleSignal; Connect does nothing while a host is set. Naming
	// the same host again reconnects.
	SetHost(host string) error
	Close() error
}

// PeerStats is what a participant's media measured of another's frames.
type PeerStats struct {
	Peer                                             string
	Audio, Video                                     bool
	FramesReceived, FramesDecrypted, DecryptFailures uint64
	LatencyP50, LatencyP99                           time.Duration
	// Layer is the picture size ("640x360") of the video arriving from
	// Peer now, "" when none does.
	Layer string
}

// MediaConfig is what a Manager gives its NewMedia for one call.
type MediaConfig struct {
	Self      string // this participant's peer id
	Video     bool   // send video as well as audio
	Synthetic bool   // synthetic frames, no devices
	// Signal sends an opaque media message to a participant; the
	// Manager carries it in a TypeMedia message. It never blocks.
	Signal func(to string, blob []byte)
	// ICEServers are the STUN/TURN servers of the call's community
	// (ice.go), beside the program's own.
	ICEServers []ICEServer
	// HostLost, if set, is called (from the media's goroutine, without
	// its locks) when the SFU host stops answering: nothing came from it
	// for a while, or the connection failed.
	HostLost func(host string)
	// Layers sends this participant's layer request (an opaque media
	// message of at most MaxLayersBlob bytes: which tiles it shows, at
	// which layer) to the call's SFU host, in a TypeLayers message or to
	// its own Host, in the background: only the latest of those not yet
	// sent goes. It never blocks; in a mesh it fails with ErrNoHost.
	Layers func(blob []byte) error
}

// Host is an SFU this node runs for one call (call/sfu's Host): it
// connects a participant from its offer, an opaque media message, and
// returns the answer; it holds no key and judges no one, the Manager
// admits participants before Offer and drops them with Drop.
type Host interface {
	Offer(from string, blob []byte) ([]byte, error)
	Drop(peer string)
	// Layers takes a participant's layer request (MediaConfig.Layers).
	Layers(from string, blob []byte) error
	// Participants lists who is connected now (a participant whose
	// connection failed is not).
	Participants() []string
	// Allow restricts whom peer exchanges media with to from (call/sfu's
	// Host.Allow), until Drop: a relay's HostServer, which cannot judge
	// members, sets it before peer's offer and whenever the rosters it
	// got change. A participant host, which judges with crdt, never does.
	Allow(peer string, from []string) error
	Close() error
}

// NewHost starts an SFU for one call. The program's wiring passes
// call/media's ForHosts; nil: this program hosts no SFU.
type NewHost func() (Host, error)

// NewMedia starts the media of one call. The program's wiring passes
// call/media's ForCalls.
type NewMedia func(MediaConfig) (Media, error)

// startMedia starts c's media for this node.
func (m *Manager) startMedia(c *call, video, synthetic bool) error {
	if m.cfg.Media == nil {
		return api.ErrNoMedia
	}
	med, err := m.cfg.Media(MediaConfig{Self: m.cfg.PeerID(m.cfg.Self), Video: video, Synthetic: synthetic, ICEServers: c.ice,
		Signal: func(to string, blob []byte) {
			c.pmu.Lock()
			k, ok := c.peers[to]
			hostPeer, host, med := c.hostPeer, c.hostKey, c.med
			c.pmu.Unlock()
			if len(blob) > MaxBlob || len(blob) == 0 {
				return
			}
			if hostPeer != "" && to == hostPeer {
				m.offer(c, med, host, hostPeer, blob) // an answer comes back in the reply
				return
			}
			if ok {
				msg := c.message(TypeMedia)
				msg.Blob = blob
				m.enqueue(k, msg)
			}
		},
		Layers: func(blob []byte) error { return m.sendLayers(c, blob) },
		HostLost: func(hostPeer string) {
			c.pmu.Lock()
			med := c.med
			c.pmu.Unlock()
			m.hostLost(c, med, hostPeer)
		}})
	if err != nil {
		return fmt.Errorf("start call media: %w", err)
	}
	c.media = med
	c.pmu.Lock()
	c.med = med
	c.pmu.Unlock()
	return nil
}

// stopMedia ends this node's part in c (mu held).
func (m *Manager) stopMedia(c *call) {
	if c.media != nil {
		if err := c.media.Close(); err != nil {
			m.cfg.Log.Debug("close call media", "err", err)
		}
	}
	for _, t := range c.timers {
		t.Stop()
	}
	if c.hosting != nil {
		if err := c.hosting.Close(); err != nil {
			m.cfg.Log.Debug("close call host", "err", err)
		}
	}
	c.media, c.joined, c.timers, c.recv, c.recvAt = nil, false, nil, nil, nil
	c.sfu, c.host, c.hosting, c.reach, c.lost = false, crdt.PublicKey{}, nil, nil, nil
	c.roster, c.states, c.muted = map[crdt.PublicKey]bool{}, map[crdt.PublicKey]peerState{}, false
	c.pmu.Lock()
	c.peers = map[string]crdt.PublicKey{}
	c.hostPeer, c.hostKey, c.med = "", crdt.PublicKey{}, nil
	c.pmu.Unlock()
}
