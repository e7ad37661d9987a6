package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/relaynode"
)

// Commands about the network and the node's own keys: relays, status and
// the database passphrase.
var netCommands = []command{
	{"passphrase set", "protect the database key with a new passphrase (or remove it)", func(fs *flag.FlagSet, o *opts) {
		fs.StringVar(&o.passFile, "new-file", "", "file holding the new passphrase; empty or missing flag: no passphrase")
		fs.StringVar(&o.oldPassFile, "old-file", "", "file holding the current passphrase, if there is one")
	}, cmdPassphraseSet},
	{"relay", "run a circuit relay for members who cannot be reached directly", func(fs *flag.FlagSet, o *opts) {
		fs.Var(&o.listen, "listen", "multiaddr to listen on (repeatable; default: TCP and QUIC on all interfaces, port 4001)")
		fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
		fs.StringVar(&o.quota, "quota", "10GB", "the most the relay stores of the communities' ops, e.g. 500MB or 20GiB (MB = 10^6 bytes, MiB = 2^20; a community may use a quarter of it, or --share)")
		relayOpsFlags(fs, o)
		turnFlags(fs, o)
	}, cmdRelay},
	{"status", "show connected peers (direct or relayed) and each community's sync state", nil, cmdStatus},
}

func init() { commands = append(commands, netCommands...) }

// readPassphrase reads a passphrase file (its first line); "" gives nil.
func readPassphrase(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return nil, fmt.Errorf("passphrase file %s is empty", path)
	}
	return line, nil
}

func cmdPassphraseSet(_ context.Context, o *opts) error {
	if !keyfile.HasDatabaseKey(o.home) {
		return fmt.Errorf("%s has no database key yet; start the node once first", o.home)
	}
	old, err := readPassphrase(o.oldPassFile)
	if err != nil {
		return err
	}
	nw, err := readPassphrase(o.passFile)
	if err != nil {
		return err
	}
	if err := keyfile.ChangeDatabasePassphrase(o.home, old, nw); err != nil {
		return err
	}
	return output(o, map[string]bool{"protected": nw != nil}, func(w io.Writer) {
		if nw != nil {
			fmt.Fprintln(w, "The database key is now protected by the new passphrase; pass it to `serve` with --passphrase-file.")
		} else {
			fmt.Fprintln(w, "The database key is no longer protected by a passphrase (only by its file's permissions).")
		}
	})
}

func cmdStatus(ctx context.Context, o *opts) error {
	var st api.Status
	if err := call(ctx, o, "status", args{}, &st, callTimeout); err != nil {
		return err
	}
	return output(o, st, func(w io.Writer) {
		if st.Reachable != "" {
			fmt.Fprintf(w, "network:\t%s (reachability %s)\n", st.Network, st.Reachable)
		} else {
			fmt.Fprintf(w, "network:\t%s\n", st.Network)
		}
		for _, r := range st.Relays {
			fmt.Fprintf(w, "relay:\t%s\n", r)
		}
		fmt.Fprintf(w, "\nPEER\tNAME\tCONNECTION\n")
		for _, p := range st.Peers {
			how := "direct"
			if p.Relayed {
				how = "relayed"
			}
			name := p.Name
			if name == "" && p.Relay {
				name = strings.TrimSpace("relay " + strings.Join(p.Addrs[:min(1, len(p.Addrs))], ""))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", p.PeerID, name, how)
		}
		fmt.Fprintf(w, "\nCOMMUNITY\tNAME\tSTATE\tMEMBERS ONLINE\tLAST SYNC\n")
		for _, c := range st.Communities {
			last := "no pull yet" // gossip or pushes may have brought everything
			if c.LastSync != nil {
				last = c.LastSync.At.Format(time.DateTime)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", c.ID, c.Name, c.State, c.Members, last)
			printRelayStates(w, c.Relays)
		}
	})
}

func cmdRelay(ctx context.Context, o *opts) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("--log-level: %v", err)
	}
	listen := []string(o.listen)
	if len(listen) == 0 {
		listen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1", "/ip6/::/tcp/4001", "/ip6/::/udp/4001/quic-v1"}
	}
	quota, share, err := relaySizes(o.quota, o.share)
	if err != nil {
		return err
	}
	retention, err := parseRetention(o.retention)
	if err != nil {
		return usagef("--retention: %v", err)
	}
	allow, err := parseAllow(o.allow)
	if err != nil {
		return err
	}
	if o.metrics != "" {
		// Checked before the relay starts and prints its address, so a
		// mistyped --metrics is not announced as a running relay first.
		if _, err := net.ResolveTCPAddr("tcp", o.metrics); err != nil {
			return usagef("--metrics %q: not a host:port to listen on (e.g. 127.0.0.1:9464): %v", o.metrics, err)
		}
	}
	tc, err := parseTURN(o)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: level}))
	rcfg := relaynode.Config{Home: o.home, Listen: listen, Quota: quota, Share: share, Retention: retention, Allow: allow, Logger: log, TURN: tc}
	if o.calls.sfu {
		if rcfg.CallHost, err = callHost(listen, log); err != nil {
			return err
		}
	}
	r, err := relaynode.Open(rcfg)
	if err != nil {
		if errors.Is(err, node.ErrHomeInUse) {
			return fmt.Errorf("home %s is already in use by another umbrellad", o.home)
		}
		if errors.Is(err, node.ErrPortInUse) {
			return fmt.Errorf("%w; choose another port with --listen, or stop that program", err)
		}
		return err
	}
	defer r.Close()
	if err := output(o, map[string]any{"peer_id": r.PeerID(), "addrs": r.Addrs()}, func(w io.Writer) {
		fmt.Fprintf(w, "umbrellad relay running as %s\n", r.PeerID())
		for _, a := range r.Addrs() {
			fmt.Fprintf(w, "  give members: --relay %s\n", a)
		}
	}); err != nil {
		return err
	}
	if err := serveRelay(ctx, o, r, log); err != nil {
		return err
	}
	return r.Close()
}
