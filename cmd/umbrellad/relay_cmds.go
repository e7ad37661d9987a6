package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/relaynode"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// relayCommands register relays with a community and show what a relay
// holds.
var relayCommands = []command{
	{"community relay add", "register a relay that keeps the community for members who are offline (admins)", relayFlags, cmdRelayAdd},
	{"community relay remove", "take a relay off the community (admins)", relayFlags, cmdRelayRemove},
	{"community relays", "list a community's relays and this node's sync with each", communityFlag, cmdRelays},
	{"relay dump", "print every op a stopped relay holds of a community (ciphertext only)", communityFlag, cmdRelayDump},
	{"relay stats", "show what a running relay holds: ops, bytes, members served and the last push per community, its disk use and quota", nil, cmdRelayStats},
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
		printRelayStates(w, rs)
	})
}

// printRelayStates prints a community's relays as `community relays` and
// `status` show them: reached or not, the last pull, and whether the
// relay holds what this node wrote (or why not).
func printRelayStates(w io.Writer, rs []api.RelayState) {
	for _, r := range rs {
		// A relay this node pushed everything to but never pulled from
		// (nothing new there) is up to date, not "last sync never".
		state, last, push := "offline", "not pulled from yet", "pushes pending"
		if r.Online {
			state = "online"
		}
		if r.LastSync != nil {
			last = "last sync " + r.LastSync.Format(time.DateTime)
		}
		switch {
		case r.Refused != "":
			push = "refuses: " + r.Refused
		case r.UpToDate:
			push = "pushes up to date"
		}
		fmt.Fprintf(w, "  relay %s\t%s\t%s\t%s\t%s\n", r.PeerID, state, last, push, strings.Join(r.Addrs, " "))
		if f := r.Files; f != nil {
			fmt.Fprintf(w, "    files: %d pushed, %d pending", f.Pushed, f.Pending)
			if f.GaveUp > 0 {
				fmt.Fprintf(w, ", %d given up", f.GaveUp)
			}
			if f.LastError != "" {
				fmt.Fprintf(w, "; last error: %s", f.LastError)
			}
			fmt.Fprintln(w)
			for _, x := range f.Refused {
				fmt.Fprintf(w, "    file %s refused: %s\n", x.Root[:min(12, len(x.Root))], x.Reason)
			}
		}
	}
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
	dir := filepath.Join(o.home, relaynode.StoreDir)
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

// parseSize reads a size such as 500MB, 20GiB or 1TB (see parseBytes).
func parseSize(v string) (int64, error) { return parseBytes(v, math.MaxInt64) }

// parseRetention reads a retention such as 180d, 12h or 90m (Go
// durations, and d for days); "" or 0 keeps everything.
func parseRetention(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("%q is not a duration (e.g. 180d, 12h)", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration (e.g. 180d, 12h)", v)
	}
	return d, nil
}

// relayStats is what `relay stats` prints.
type relayStats struct {
	Communities []relayCommunityStats `json:"communities"`
	DiskBytes   int64                 `json:"disk_bytes"`
	QuotaBytes  int64                 `json:"quota_bytes"`
	// ShareBytes bounds what one community may store (--share).
	ShareBytes int64 `json:"share_bytes"`
	// Beyond the contract: the bytes of ops held, the retention, and the
	// relay's totals since it started.
	StoredBytes  int64             `json:"stored_bytes"`
	Retention    string            `json:"retention,omitempty"`
	Pushes       uint64            `json:"pushes"`
	Pulls        uint64            `json:"pulls"`
	Refused      map[string]uint64 `json:"refused"`
	Reservations int               `json:"reservations"`
	Circuits     int               `json:"circuits"`
}

type relayCommunityStats struct {
	ID            crdt.ID    `json:"id"`
	Ops           int        `json:"ops"`
	Bytes         int64      `json:"bytes"`
	MembersServed int        `json:"members_served"`
	LastPush      *time.Time `json:"last_push"`
	Dropped       int        `json:"dropped,omitempty"`
	Registered    bool       `json:"registered"`
}

// relayStatsOf reads src into what `relay stats` prints.
func relayStatsOf(src relaySource) (relayStats, error) {
	st := src.Stats()
	disk, err := src.DiskBytes()
	if err != nil {
		return relayStats{}, fmt.Errorf("size of the relay's store: %w", err)
	}
	rc := src.Counts()
	out := relayStats{Communities: []relayCommunityStats{}, DiskBytes: disk, QuotaBytes: st.Quota, ShareBytes: st.Share, StoredBytes: st.Bytes,
		Pushes: st.Pushes, Pulls: st.Pulls, Refused: st.Refused, Reservations: rc.Reservations, Circuits: rc.Circuits}
	if st.Retention > 0 {
		out.Retention = st.Retention.String()
	}
	for _, c := range st.Communities {
		cs := relayCommunityStats{ID: c.ID, Ops: c.Ops, Bytes: c.Bytes, MembersServed: c.MembersServed, Dropped: c.Dropped, Registered: c.Registered}
		if !c.LastPush.IsZero() {
			t := c.LastPush.UTC()
			cs.LastPush = &t
		}
		out.Communities = append(out.Communities, cs)
	}
	return out, nil
}

// relayControlHandler serves a running relay's control API: the same
// JSON over HTTP on the home's unix socket as the member daemon's
// (control.go), with the one method "relay.stats".
func relayControlHandler(src relaySource) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/{method}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("method") != "relay.stats" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("a relay does not answer %q", r.PathValue("method"))})
			return
		}
		st, err := relayStatsOf(src)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	return mux
}

// serveRelay runs a relay node's control socket and, with --metrics, its
// Prometheus endpoint, until ctx ends.
func serveRelay(ctx context.Context, o *opts, src relaySource, log *slog.Logger) error {
	l, err := listenControl(o.home)
	if err != nil {
		return err
	}
	defer os.Remove(socketPath(o.home))
	var ml net.Listener
	if o.metrics != "" {
		if ml, err = net.Listen("tcp", o.metrics); err != nil {
			l.Close()
			return fmt.Errorf("--metrics: %w", err)
		}
		log.Info("serving metrics", "addr", "http://"+ml.Addr().String()+"/metrics")
	}
	return runRelayServers(ctx, l, ml, src, log)
}

// runRelayServers serves the relay's control API on l and its metrics on
// ml (if not nil) until ctx ends or one fails.
func runRelayServers(ctx context.Context, l, ml net.Listener, src relaySource, log *slog.Logger) error {
	errc := make(chan error, 2)
	servers := []*http.Server{{Handler: relayControlHandler(src), ReadHeaderTimeout: 10 * time.Second}}
	if ml != nil {
		servers = append(servers, &http.Server{Handler: relayMetricsHandler(src), ReadHeaderTimeout: 10 * time.Second})
		go func() { errc <- servers[1].Serve(ml) }()
	}
	go func() { errc <- servers[0].Serve(l) }()
	var serr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serr = <-errc:
		serr = fmt.Errorf("relay control: %w", serr)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(shutCtx)
	}
	return serr
}

// relayMetricsHandler serves the relay's Prometheus metrics on GET /metrics.
func relayMetricsHandler(src relaySource) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(relayRegistry(src), promhttp.HandlerOpts{}))
	return mux
}

func cmdRelayStats(ctx context.Context, o *opts) error {
	var st relayStats
	if err := call(ctx, o, "relay.stats", args{}, &st, callTimeout); err != nil {
		if errors.Is(err, errNoDaemon) {
			return fmt.Errorf("no relay is running for home %s; `relay stats` asks a running `umbrellad relay` (`relay dump` reads a stopped one)", o.home)
		}
		return err
	}
	return output(o, st, func(w io.Writer) {
		fmt.Fprintf(w, "disk %s, ops %s of a quota of %s\n", crdt.SizeText(st.DiskBytes), crdt.SizeText(st.StoredBytes), crdt.SizeText(st.QuotaBytes))
		if st.Retention != "" {
			ret := st.Retention
			if d, err := time.ParseDuration(ret); err == nil {
				ret = durationText(d) // "180 days", not "4320h0m0s"
			}
			fmt.Fprintf(w, "retention %s\n", ret)
		}
		fmt.Fprintf(w, "pushes %d, pulls %d, reservations %d, circuits %d\n", st.Pushes, st.Pulls, st.Reservations, st.Circuits)
		for reason, n := range st.Refused {
			fmt.Fprintf(w, "refused (%s): %d\n", reason, n)
		}
		fmt.Fprintf(w, "\nCOMMUNITY\tOPS\tBYTES\tMEMBERS SERVED\tLAST PUSH\n")
		for _, c := range st.Communities {
			last := "never"
			if c.LastPush != nil {
				last = c.LastPush.Format(time.DateTime)
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\n", c.ID, c.Ops, c.Bytes, c.MembersServed, last)
		}
	})
}

// relaySizes reads the relay's --quota and --share: share defaults to a
// quarter of quota and may not exceed it.
func relaySizes(quota, share string) (q, s int64, err error) {
	if q, err = parseSize(quota); err != nil {
		return 0, 0, usagef("--quota: %v", err)
	}
	if share == "" {
		return q, 0, nil
	}
	if s, err = parseSize(share); err != nil {
		return 0, 0, usagef("--share: %v", err)
	}
	if s > q {
		return 0, 0, usagef("--share %s is more than --quota %s: one community cannot store more than the relay does", share, quota)
	}
	return q, s, nil
}

// relayOpsFlags are the relay's flags beyond its address and quota.
func relayOpsFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.retention, "retention", "", "how long the relay keeps content ops it stored, e.g. 180d or 720h (default: forever); the control log is always kept")
	fs.StringVar(&o.share, "share", "", "the most one community may store, e.g. 2GB (default: a quarter of --quota)")
	fs.Var(&o.allow, "allow", "the peer id of an admin whose communities the relay keeps (repeatable); without it the relay is open and any stranger can fill it, so a team's relay should list its admins")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on this address, e.g. 127.0.0.1:9464 (GET /metrics)")
	fs.BoolVar(&o.calls.sfu, "sfu", false, "host the SFUs of calls for the communities that registered the relay (it forwards their encrypted media and never holds a key)")
}

// parseAllow reads the relay's --allow peer ids as member keys.
func parseAllow(ids []string) ([]crdt.PublicKey, error) {
	var out []crdt.PublicKey
	for _, s := range ids {
		p, err := peer.Decode(strings.TrimSpace(s))
		if err != nil {
			return nil, usagef("--allow %q: not a peer id (an admin's, as `umbrellad id` prints it): %v", s, err)
		}
		pub, err := peerkey.PublicKey(p)
		if err != nil {
			return nil, usagef("--allow %q: not a member's peer id: %v", s, err)
		}
		var k crdt.PublicKey
		copy(k[:], pub)
		out = append(out, k)
	}
	return out, nil
}
