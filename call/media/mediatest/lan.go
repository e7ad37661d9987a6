// Package mediatest runs media Sessions (package call/media) for tests on
// a pion vnet LAN, where each session's signals go straight to the
// session they name.
package mediatest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call/media"
)

// LAN is a vnet LAN, 10.0.0.0/24 with 10 ms of delay, of Sessions that
// signal each other directly.
type LAN struct {
	tb       testing.TB
	wan      *vnet.Router
	mu       sync.Mutex
	sessions map[string]*media.Session
}

// NewLAN returns a LAN; add its Sessions, then Start it.
func NewLAN(tb testing.TB) *LAN {
	tb.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 10 * time.Millisecond,
		LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		tb.Fatal(err)
	}
	return &LAN{tb: tb, wan: wan, sessions: map[string]*media.Session{}}
}

// Session starts the session cfg.Self at 10.0.0.ip; its API and Signal
// are the LAN's.
func (l *LAN) Session(ip int, cfg media.Config) *media.Session {
	l.tb.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{fmt.Sprintf("10.0.0.%d", ip)}})
	if err != nil {
		l.tb.Fatal(err)
	}
	if err := l.wan.AddNet(nw); err != nil {
		l.tb.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	cfg.API = webrtc.NewAPI(webrtc.WithSettingEngine(se))
	id := cfg.Self
	cfg.Signal = func(to string, blob []byte) {
		l.mu.Lock()
		dst := l.sessions[to]
		l.mu.Unlock()
		if dst != nil {
			if err := dst.HandleSignal(id, blob); err != nil {
				l.tb.Errorf("signal %s -> %s: %v", id, to, err)
			}
		}
	}
	s, err := media.New(cfg)
	if err != nil {
		l.tb.Fatal(err)
	}
	l.mu.Lock()
	l.sessions[id] = s
	l.mu.Unlock()
	return s
}

// Start starts the LAN's router.
func (l *LAN) Start() {
	l.tb.Helper()
	if err := l.wan.Start(); err != nil {
		l.tb.Fatal(err)
	}
}

// Stop stops the LAN's router.
func (l *LAN) Stop() {
	if err := l.wan.Stop(); err != nil {
		l.tb.Error(err)
	}
}
