package main

import (
	"flag"
	"net"
	"strings"

	"github.com/umbrella-p2p/umbrella/relaynode"
)

// turnOpts are the relay's TURN flags.
type turnOpts struct {
	addr, ip string // --turn, --turn-ip
}

func turnFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.turn.addr, "turn", "", "run a TURN server for the call media of the communities' members on this host:port, over UDP and TCP (e.g. 0.0.0.0:3478); members get short-lived credentials from the relay")
	fs.StringVar(&o.turn.ip, "turn-ip", "", "the IP members reach the TURN server at (default: the host of --turn, which must then be a specific address)")
}

// parseTURN reads the TURN flags; nil when --turn is not given.
func parseTURN(o *opts) (*relaynode.TURN, error) {
	addr := strings.TrimSpace(o.turn.addr)
	if addr == "" {
		if o.turn.ip != "" {
			return nil, usagef("--turn-ip needs --turn")
		}
		return nil, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--turn %q: want host:port, e.g. 0.0.0.0:3478", o.turn.addr)
	}
	t := &relaynode.TURN{Addr: addr}
	if o.turn.ip != "" {
		if t.IP = net.ParseIP(strings.TrimSpace(o.turn.ip)); t.IP == nil || t.IP.IsUnspecified() {
			return nil, usagef("--turn-ip %q: want the IP members reach the relay at", o.turn.ip)
		}
	} else if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return nil, usagef("--turn %q: give --turn-ip, the IP members reach the relay at", o.turn.addr)
	}
	return t, nil
}
