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
	"github.com/umbrella-p2p/umbrella/call/sfu"
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
	// Local, if set, gives each call that is not synthetic the program's
	// own media (devices and codecs): it is called with the call's
	// config, and what it returns takes the Session's decrypted frames
	// and sends through it. Without it such a call sends nothing and only
	// receives. A call with a Local carries a video track even when it is
	// a voice call, so that the member may turn a camera on in it (as
	// WhatsApp allows); while no camera sends, the track sends nothing.
	Local func(call.MediaConfig) (Local, error)
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
	// SFUAPI builds the connections to an SFU host and a hosted SFU's
	// (it must carry call/sfu's header extensions); nil: NewSFUAPI of
	// Listen.
	SFUAPI *webrtc.API
	// SFUBWE is the bandwidth estimator registered in SFUAPI (see
	// NewSFUAPI); nil with a given SFUAPI: no estimates.
	SFUBWE *sfu.BWE
	// VideoLayers is how many simulcast layers the program's Local
	// encodes of its camera through an SFU (Config.VideoLayers; 0: 1).
	VideoLayers int
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
	sa, bwe := o.SFUAPI, o.SFUBWE
	if sa == nil {
		sa, bwe, _ = NewSFUAPI(LoopbackOnly(o.Listen)) // nil on error: SetHost fails
	}
	return func(c call.MediaConfig) (call.Media, error) {
		if o.SyntheticOnly && !c.Synthetic {
			return nil, ErrNotSynthetic
		}
		var local Local
		if o.Local != nil && !c.Synthetic {
			var err error
			if local, err = o.Local(c); err != nil {
				return nil, fmt.Errorf("call media: %w", err)
			}
		}
		cfg := Config{Self: c.Self, Video: c.Video || local != nil, Synthetic: c.Synthetic, API: a,
			ICEServers: iceServers(o.ICEServers, c.ICEServers), Signal: c.Signal, Layers: c.Layers, Logger: o.Logger, Now: o.Now}
		if local != nil {
			cfg.Sink = local
			cfg.VideoLayers = o.VideoLayers
		} else if c.Synthetic {
			cfg.VideoLayers = len(SyntheticLayers) // as the app sends its camera
		}
		s, err := New(cfg)
		if err != nil {
			if local != nil {
				_ = local.Close()
			}
			return nil, fmt.Errorf("call media: %w", err)
		}
		if local != nil {
			if err := local.Start(s); err != nil {
				_ = local.Close()
				_ = s.Close()
				return nil, fmt.Errorf("call media: %w", err)
			}
		}
		return newCallSession(s, sa, bwe, c.HostLost, local), nil
	}
}

// Local is a program's own media in one call that is not synthetic: its
// devices and codecs (which may use cgo, and so live outside this
// package). As a Sink it takes what the call's Session decrypts; once
// started it sends its encoded frames through that Session.
type Local interface {
	Sink
	// Start is called once, right after the call's Session is made and
	// before any frame reaches the Sink; from then on the Local sends
	// through s (Send) until Close.
	Start(s *Session) error
	// Close stops it; it is called once, when the call's media closes.
	Close() error
}

// Routed is what a Local may also be: told, each time its call moves
// between the mesh and an SFU (SetHost), whether its media now goes
// through an SFU, so that it sizes what it encodes for that. An SFU sends
// each listener several voices, so an SFU call's voice is leaner than a
// mesh call's (call/voice's Config.SFUBitrate). A call starts in the mesh.
type Routed interface {
	ThroughSFU(sfu bool)
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
	return webrtc.NewAPI(webrtc.WithSettingEngine(loopbackEngine(loopback)))
}

// loopbackEngine returns a setting engine whose ICE gathers host
// candidates on the loopback IPs only (none: pion's defaults).
func loopbackEngine(loopback []netip.Addr) webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	if len(loopback) == 0 {
		return se
	}
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
	return se
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
