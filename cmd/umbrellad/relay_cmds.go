package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// relayCommands register relays with a community and show what a relay
// holds.
var relayCommands = []command{
	{"community relay add", "register a relay that keeps the community for members who are offline (admins)", relayFlags, cmdRelayAdd},
	{"community relay remove", "take a relay off the community (admins)", relayFlags, cmdRelayRemove},
	{"community relays", "list a community's relays and this node's sync with each", communityFlag, cmdRelays},
	{"relay dump", "print every op a stopped relay holds of a community (ciphertext only)", communityFlag, cmdRelayDump},
}

func init() { commands = append(commands, relayCommands...) }

func relayFlags(fs *flag.FlagSet, o *opts) {
	communityFlag(fs, o)
	fs.Var(&o.relays, "relay", "the relay's multiaddr ending in /p2p/ID, as `umbrellad relay` prints it (required)")
}

// relayActions is what the relay methods need of the node.
type relayActions interface {
	AddRelay(ctx context.Context, cid crdt.ID, k crdt.PublicKey, addrs []string) error
	RemoveRelay(ctx context.Context, cid crdt.ID, k crdt.PublicKey) error
	Relays(cid crdt.ID) ([]api.RelayState, error)
}

var _ relayActions = (*node.Node)(nil)

// parseRelay splits a relay multiaddr ending in /p2p/ID into its key and
// its addresses without /p2p/.
func parseRelay(s string) (crdt.PublicKey, []string, error) {
	ai, err := peer.AddrInfoFromString(s)
	if err != nil {
		return crdt.PublicKey{}, nil, fmt.Errorf("relay address %q: %w (want a multiaddr ending in /p2p/ID)", s, err)
	}
	pub, err := peerkey.PublicKey(ai.ID)
	if err != nil {
		return crdt.PublicKey{}, nil, fmt.Errorf("relay address %q: %w", s, err)
	}
	var addrs []string
	for _, a := range ai.Addrs {
		addrs = append(addrs, a.String())
	}
	return crdt.PublicKey(pub), addrs, nil
}

// relayMethods are the control API methods behind relayCommands.
func relayMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	ra, ok := n.(relayActions)
	if !ok {
		return nil
	}
	relayOf := func(a args) (crdt.PublicKey, []string, error) {
		if err := needCommunity(a); err != nil {
			return crdt.PublicKey{}, nil, err
		}
		k, addrs, err := parseRelay(a.Relay)
		if err != nil {
			return crdt.PublicKey{}, nil, badRequest{err}
		}
		return k, addrs, nil
	}
	return map[string]func(context.Context, args) (any, error){
		"relay.add": func(ctx context.Context, a args) (any, error) {
			k, addrs, err := relayOf(a)
			if err != nil {
				return nil, err
			}
			if len(addrs) == 0 {
				return nil, badRequest{errors.New("the relay address must say where to dial it, before /p2p/")}
			}
			return done(ra.AddRelay(ctx, a.Community, k, addrs))
		},
		"relay.remove": func(ctx context.Context, a args) (any, error) {
			k, _, err := relayOf(a)
			if err != nil {
				return nil, err
			}
			return done(ra.RemoveRelay(ctx, a.Community, k))
		},
		"relays": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return ra.Relays(a.Community)
		},
	}
}

func relayArgs(o *opts) (args, error) {
	cid, err := parseID("community", o.community)
	if err != nil {
		return args{}, err
	}
	if len(o.relays) != 1 {
		return args{}, usagef("--relay: give exactly one relay address")
	}
	if _, _, err := parseRelay(o.relays[0]); err != nil {
		return args{}, usagef("--relay: %v", err)
	}
	return args{Community: cid, Relay: o.relays[0]}, nil
}

func cmdRelayAdd(ctx context.Context, o *opts) error {
	a, err := relayArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "relay.add", a, "Relay added; members push to it and pull from it from now on")
}

func cmdRelayRemove(ctx context.Context, o *opts) error {
	a, err := relayArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "relay.remove", a, "Relay removed")
}

func cmdRelays(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var rs []api.RelayState
	if err := call(ctx, o, "relays", args{Community: cid}, &rs, callTimeout); err != nil {
		return err
	}
	return output(o, rs, func(w io.Writer) {
		if len(rs) == 0 {
			fmt.Fprintln(w, "No relays; an admin adds one with `umbrellad community relay add`.")
			return
		}
		for _, r := range rs {
			state, last := "offline", "never"
			if r.Online {
				state = "online"
			}
			if r.LastSync != nil {
				last = r.LastSync.Format(time.DateTime)
			}
			fmt.Fprintf(w, "%s\t%s\tlast sync %s\t%v\n", r.PeerID, state, last, r.Addrs)
			if r.Refused != "" {
				fmt.Fprintf(w, "\trefuses: %s\n", r.Refused)
			}
		}
	})
}

// dumpedOp is one op a relay holds, as `relay dump` prints it.
type dumpedOp struct {
	ID     crdt.ID `json:"id"`
	Author string  `json:"author"`
	Log    string  `json:"log"` // "control" or the group id
	Kind   string  `json:"kind"`
	Body   string  `json:"body_b64"`
}

func cmdRelayDump(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	dir := filepath.Join(o.home, node.RelayStoreDir)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no relay store in %s: %w", o.home, err)
	}
	ds, err := store.OpenBadger(dir, store.BadgerOptions{})
	if err != nil {
		return fmt.Errorf("open the relay's store in %s (stop the relay first): %w", o.home, err)
	}
	defer ds.Close()
	logs, err := ds.Logs(ctx, cid)
	if err != nil {
		return err
	}
	out := []dumpedOp{}
	for _, l := range logs {
		err := ds.Ops(ctx, cid, l, func(x crdt.Opened) error {
			op := x.Op
			d := dumpedOp{ID: op.ID(), Author: op.Author.String(), Log: "control", Kind: op.Kind.String(), Body: base64.StdEncoding.EncodeToString(op.Body)}
			if p, err := peerkey.FromPublicKey(op.Author[:]); err == nil {
				d.Author = p.String()
			}
			if !l.IsZero() {
				d.Log = l.String()
			}
			out = append(out, d)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return output(o, out, func(w io.Writer) {
		for _, d := range out {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d bytes\n", d.ID.Short(), d.Kind, d.Log, d.Author, base64.StdEncoding.DecodedLen(len(d.Body)))
		}
	})
}

// parseSize reads a size such as 500MB, 20GB or 1TB (decimal units; a
// bare number is bytes).
func parseSize(v string) (int64, error) {
	units := []struct {
		suffix string
		n      int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size (e.g. 500MB, 20GB)", v)
	}
	return n * mult, nil
}
