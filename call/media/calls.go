package media

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
)

// ErrNotSynthetic: a call that is not synthetic was asked of a program
// whose media has no codecs or devices yet. It matches api.ErrNoMedia.
var ErrNotSynthetic error = notSyntheticError{}

type notSyntheticError struct{}

func (notSyntheticError) Error() string {
	return "calls with a microphone or camera are not available in this program yet: only synthetic calls (--synthetic) are"
}

func (notSyntheticError) Is(target error) bool { return target == api.ErrNoMedia }

// CallOptions configures the media a program gives package call
// (ForCalls).
type CallOptions struct {
	// SyntheticOnly refuses every call that is not synthetic with
	// ErrNotSynthetic: the program has no codecs or devices.
	SyntheticOnly bool
	// Listen are the program's listen addresses (multiaddrs such as
	// /ip4/127.0.0.1/tcp/4001). If every one of them is on a loopback
	// IP, ICE gathers host candidates on those IPs only, loopback
	// included (pion leaves loopback out otherwise): a program that
	// listens only on loopback has media only there, as in end-to-end
	// tests on 127.0.0.1. Otherwise they change nothing.
	Listen []string
	// API builds the peer connections; nil: one from Listen as above.
	// Tests pass one on pion's vnet.
	API *webrtc.API
	// ICEServers are STUN/TURN servers (none: host candidates only).
	ICEServers []webrtc.ICEServer
	// Logger receives protocol chatter at Debug (nil: discarded).
	Logger *slog.Logger
	// Now is the clock for send times and latencies (nil: time.Now).
	Now func() time.Time
}

// ForCalls returns the call.NewMedia of o: each call's media is a
// Session, seen as a call.Media.
func ForCalls(o CallOptions) call.NewMedia {
	a := o.API
	if a == nil {
		a = NewAPI(LoopbackOnly(o.Listen))
	}
	return func(c call.MediaConfig) (call.Media, error) {
		if o.SyntheticOnly && !c.Synthetic {
			return nil, ErrNotSynthetic
		}
		s, err := New(Config{Self: c.Self, Video: c.Video, Synthetic: c.Synthetic, API: a,
			ICEServers: iceServers(o.ICEServers, c.ICEServers), Signal: c.Signal, Logger: o.Logger, Now: o.Now})
		if err != nil {
			return nil, fmt.Errorf("call media: %w", err)
		}
		return callMedia{s}, nil
	}
}

// callMedia is a Session as package call sees it.
type callMedia struct{ *Session }

var _ call.Media = callMedia{}

// Stats converts the Session's stats to call.PeerStats.
func (m callMedia) Stats() []call.PeerStats {
	st := m.Session.Stats()
	out := make([]call.PeerStats, len(st))
	for i, p := range st {
		out[i] = call.PeerStats{Peer: p.Peer, Audio: p.Audio, Video: p.Video,
			FramesReceived: p.FramesReceived, FramesDecrypted: p.FramesDecrypted, DecryptFailures: p.DecryptFailures,
			LatencyP50: p.LatencyP50, LatencyP99: p.LatencyP99}
	}
	return out
}

// LoopbackOnly returns the IPs of the listen multiaddrs if there is at
// least one and every one is an IP on loopback; otherwise nil. A
// multiaddr not on an IP (a DNS name, a relay circuit, unparsable) is not
// loopback.
func LoopbackOnly(listen []string) []netip.Addr {
	var ips []netip.Addr
	for _, l := range listen {
		f := strings.Split(l, "/")
		if len(f) < 3 || f[0] != "" || (f[1] != "ip4" && f[1] != "ip6") {
			return nil
		}
		ip, err := netip.ParseAddr(f[2])
		if err != nil || !ip.IsLoopback() || ip.Is4() != (f[1] == "ip4") {
			return nil
		}
		ips = append(ips, ip.Unmap())
	}
	return ips
}

// NewAPI returns the pion API of a program's calls. With loopback IPs
// (see LoopbackOnly) ICE gathers host candidates on those IPs only,
// loopback included; with none it is pion's default.
func NewAPI(loopback []netip.Addr) *webrtc.API {
	if len(loopback) == 0 {
		return webrtc.NewAPI()
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return false
		}
		for _, l := range loopback {
			if a.Unmap() == l {
				return true
			}
		}
		return false
	})
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

// iceServers is the program's ICE servers with those of a call's
// community (a relay's TURN).
func iceServers(own []webrtc.ICEServer, call []call.ICEServer) []webrtc.ICEServer {
	out := slices.Clone(own)
	for _, s := range call {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}
