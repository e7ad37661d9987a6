package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	pturn "github.com/pion/turn/v5"
)

// Realm is the TURN realm of Umbrella's relays.
const Realm = "umbrella"

// ServerConfig configures a Server.
type ServerConfig struct {
	// UDP is the address to serve TURN on over UDP (":3478"). Required.
	UDP string
	// TCP, if set, is the address to serve TURN on over TCP as well.
	TCP string
	// RelayIP is the address allocations are made on and told to peers:
	// the relay's public IP. Required.
	RelayIP net.IP
	// Issuer checks the credentials. Required.
	Issuer *Issuer
	// Net is the network (pion vnet in tests); nil: the host's.
	Net transport.Net
	// Log receives the server's errors; nil discards them.
	Log *slog.Logger
}

// Server is a running TURN server.
type Server struct {
	s   *pturn.Server
	udp net.Addr // the address served over UDP
	tcp net.Addr // the address served over TCP; nil if none
}

// Serve starts a TURN server of cfg.
func Serve(cfg ServerConfig) (*Server, error) {
	if cfg.UDP == "" || cfg.RelayIP == nil || cfg.Issuer == nil {
		return nil, errors.New("turn server: UDP, RelayIP and Issuer are required")
	}
	nw := cfg.Net
	if nw == nil {
		var err error
		if nw, err = stdnet.NewNet(); err != nil {
			return nil, fmt.Errorf("turn server network: %w", err)
		}
	}
	// On the host, allocations listen on every interface and are told as
	// RelayIP (which may be a public address in front of a NAT); a
	// virtual network, or a relay on loopback, listens on RelayIP itself.
	listen := "0.0.0.0"
	if _, host := nw.(*stdnet.Net); !host || cfg.RelayIP.IsLoopback() {
		listen = cfg.RelayIP.String()
	}
	gen := func() pturn.RelayAddressGenerator {
		return &pturn.RelayAddressGeneratorStatic{RelayAddress: cfg.RelayIP, Address: listen, Net: nw}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc, err := nw.ListenPacket("udp4", cfg.UDP)
	if err != nil {
		return nil, fmt.Errorf("turn udp %s: %w", cfg.UDP, err)
	}
	g := newGate(pc, cfg.Issuer)
	sc := pturn.ServerConfig{
		Realm:             Realm,
		AuthHandler:       cfg.Issuer.authHandler(g),
		LoggerFactory:     slogFactory{log.With("component", "turn")},
		PacketConnConfigs: []pturn.PacketConnConfig{{PacketConn: g, RelayAddressGenerator: gen()}},
	}
	if cfg.TCP != "" {
		addr, err := net.ResolveTCPAddr("tcp4", cfg.TCP)
		var l net.Listener
		if err == nil {
			l, err = nw.ListenTCP("tcp4", addr)
		}
		if err != nil {
			pc.Close()
			return nil, fmt.Errorf("turn tcp %s: %w", cfg.TCP, err)
		}
		sc.ListenerConfigs = []pturn.ListenerConfig{{Listener: gatedListener{Listener: l, g: g}, RelayAddressGenerator: gen()}}
	}
	s, err := pturn.NewServer(sc)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("turn server: %w", err)
	}
	srv := &Server{s: s, udp: pc.LocalAddr()}
	if len(sc.ListenerConfigs) > 0 {
		srv.tcp = sc.ListenerConfigs[0].Listener.Addr()
	}
	return srv, nil
}

// Addrs returns the addresses the server serves on: over UDP, and over
// TCP (nil if it does not), with the ports chosen when the config asked
// for port 0.
func (s *Server) Addrs() (udp, tcp net.Addr) { return s.udp, s.tcp }

// Allocations returns how many allocations the server holds.
func (s *Server) Allocations() int { return s.s.AllocationCount() }

// Close stops the server.
func (s *Server) Close() error { return s.s.Close() }
