package media

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// NewSFUAPI returns the pion API of a program's connections to an SFU
// and of the SFUs it hosts: call/sfu's (with its header extensions), with
// ICE on loopback only when loopback lists IPs (as NewAPI), and the
// bandwidth estimator of each connection it makes: a hosted SFU's
// estimate of each subscriber's downlink picks the layers it forwards,
// and a participant's of its uplink sizes its encoders (Uplink).
func NewSFUAPI(loopback []netip.Addr) (*webrtc.API, *sfu.BWE, error) {
	return sfu.NewAPIWithBWE(loopbackEngine(loopback))
}

// ForHosts returns the call.NewHost of o: each call this program hosts
// runs a call/sfu Host on o.SFUAPI with o.SFUBWE (nil: NewSFUAPI of
// o.Listen).
func ForHosts(o CallOptions) (call.NewHost, error) {
	a, bwe := o.SFUAPI, o.SFUBWE
	if a == nil {
		var err error
		if a, bwe, err = NewSFUAPI(LoopbackOnly(o.Listen)); err != nil {
			return nil, err
		}
	}
	return func() (call.Host, error) {
		h, err := sfu.NewHost(sfu.Config{API: a, BWE: bwe, ICEServers: o.ICEServers, Logger: o.Logger, Now: o.Now})
		if err != nil {
			return nil, fmt.Errorf("call host: %w", err)
		}
		return h, nil
	}, nil
}

// callSession is a Session as package call sees it: a mesh, until SetHost
// moves it to an SFU host (sfuClient), which uses the Session's keys.
type callSession struct {
	*Session
	sfuAPI *webrtc.API
	sfuBWE *sfu.BWE // registered in sfuAPI; nil: no uplink estimate
	lost   func(host string)
	local  Local // the program's own media; nil: synthetic or receive-only

	mu     sync.Mutex
	host   string     // guarded by mu
	client *sfuClient // nil in the mesh; guarded by mu
}

var _ call.Media = (*callSession)(nil)

func newCallSession(s *Session, sfuAPI *webrtc.API, sfuBWE *sfu.BWE, lost func(string), local Local) *callSession {
	return &callSession{Session: s, sfuAPI: sfuAPI, sfuBWE: sfuBWE, lost: lost, local: local}
}

// SetHost moves the media to the SFU at host, or back to the mesh ("").
// Naming the current host again reconnects to it.
func (m *callSession) SetHost(host string) error {
	if host != "" {
		// This participant may host: it connects to its own SFU like
		// everyone else, its messages carried by package call.
		if err := checkPeerID(host); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.client
	m.client, m.host = nil, host
	m.Session.sfu.Store(nil)
	if old != nil {
		if old.host != host {
			// The host is replaced, lost or gone: a relay's TURN server
			// may be gone with it (whenGathered).
			m.Session.hurry.Store(true)
		}
		old.close()
	}
	if host == "" {
		m.routed(false)
		return nil
	}
	if m.sfuAPI == nil {
		return fmt.Errorf("media: no SFU API: %w", ErrBadPeer)
	}
	m.Session.mu.Lock()
	var mesh []string
	for id := range m.Session.peers {
		mesh = append(mesh, id)
	}
	closed := m.Session.closed
	m.Session.mu.Unlock()
	if closed {
		return ErrClosed
	}
	for _, id := range mesh {
		m.Session.disconnect(id)
	}
	c, err := newSFUClient(m.Session, m.sfuAPI, m.sfuBWE, host, m.lost)
	if err != nil {
		return err
	}
	m.client = c
	m.Session.sfu.Store(c)
	m.routed(true)
	return nil
}

// routed tells the program's Local, if it is Routed, whether the media
// goes through an SFU now.
func (m *callSession) routed(sfu bool) {
	if r, ok := m.local.(Routed); ok {
		r.ThroughSFU(sfu)
	}
}

// current returns the SFU client and its host (nil in the mesh).
func (m *callSession) current() (*sfuClient, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.client, m.host
}

// Connect starts mesh media with a participant; through an SFU it does
// nothing (the host forwards everyone's media).
func (m *callSession) Connect(id string) error {
	if c, _ := m.current(); c != nil {
		return nil
	}
	return m.Session.Connect(id)
}

// HandleSignal takes a media message: the host's answer through an SFU,
// else a mesh message.
func (m *callSession) HandleSignal(from string, blob []byte) error {
	if c, host := m.current(); c != nil && from == host {
		return c.handleAnswer(blob)
	}
	return m.Session.HandleSignal(from, blob)
}

// Stats returns what arrived from each participant: through the SFU or
// the mesh, converted to call.PeerStats.
func (m *callSession) Stats() []call.PeerStats {
	var st []PeerStats
	if c, _ := m.current(); c != nil {
		st = c.stats()
	} else {
		st = m.Session.Stats()
	}
	out := make([]call.PeerStats, len(st))
	for i, p := range st {
		out[i] = call.PeerStats{Peer: p.Peer, Audio: p.Audio, Video: p.Video,
			FramesReceived: p.FramesReceived, FramesDecrypted: p.FramesDecrypted, DecryptFailures: p.DecryptFailures,
			LatencyP50: p.LatencyP50, LatencyP99: p.LatencyP99, Layer: p.Layer}
	}
	return out
}

// Close ends the media: the program's Local first, then the SFU
// connection and the Session.
func (m *callSession) Close() error {
	var err error
	if m.local != nil {
		err = m.local.Close()
	}
	m.mu.Lock()
	c := m.client
	m.client = nil
	m.Session.sfu.Store(nil)
	m.mu.Unlock()
	if c != nil {
		c.close()
	}
	return errors.Join(err, m.Session.Close())
}
