package reach

import (
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Book remembers, across restarts, the addresses this node listened on
// and the addresses of peers it shares a community with, so a restarted node
// finds its community again without a new invite.
type Book struct {
	path string
	log  *slog.Logger

	mu   sync.Mutex
	data bookData // guarded by mu
}

type bookData struct {
	Listen []string            `json:"listen"`
	Peers  map[string][]string `json:"peers"` // peer id → multiaddrs
	// Pending lists the communities this node asked to join and waits to
	// be approved in, by id.
	Pending []crdt.ID `json:"pending,omitempty"`
	// Joining lists the communities this node sent a join to and does not
	// hold yet: a member may have admitted it before the join was cut
	// short (a crash, a lost connection), so it keeps pulling them from
	// peers it meets until it holds them, a member refuses, or
	// maxJoiningAge passes.
	Joining []joining `json:"joining,omitempty"`
	// Relays lists relays named in invites this node joined by.
	Relays []string `json:"relays,omitempty"`
	// Requests holds, by community, what package sync/join keeps of a
	// request to join it made (opaque here), until it forgets it.
	Requests []savedRequest `json:"requests,omitempty"`
}

// savedRequest is sync/join's record of one request to join.
type savedRequest struct {
	ID   crdt.ID `json:"id"`
	Data []byte  `json:"data"`
}

// SetRequest keeps data, sync/join's record of its request to join cid,
// across restarts; nil data forgets it.
func (b *Book) SetRequest(cid crdt.ID, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data.Requests = slices.DeleteFunc(b.data.Requests, func(r savedRequest) bool { return r.ID == cid })
	if data != nil {
		if len(b.data.Requests) >= maxBookRequests {
			b.data.Requests = b.data.Requests[1:]
		}
		b.data.Requests = append(b.data.Requests, savedRequest{ID: cid, Data: slices.Clone(data)})
	}
	b.saveLocked()
}

// Requests returns the records SetRequest keeps, by community.
func (b *Book) Requests() map[crdt.ID][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[crdt.ID][]byte, len(b.data.Requests))
	for _, r := range b.data.Requests {
		out[r.ID] = slices.Clone(r.Data)
	}
	return out
}

// LoadBook reads the book at path; a missing or unreadable file gives an
// empty book (an unreadable one is logged).
func LoadBook(path string, log *slog.Logger) *Book {
	b := &Book{path: path, log: log, data: bookData{Peers: map[string][]string{}}}
	raw, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(raw, &b.data); err != nil {
			log.Warn("ignoring unreadable peer book", "path", path, "err", err)
			b.data = bookData{Peers: map[string][]string{}}
		}
	}
	if b.data.Peers == nil {
		b.data.Peers = map[string][]string{}
	}
	return b
}

// Listen returns the listen addresses bound on the last run.
func (b *Book) Listen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.data.Listen...)
}

// SetListen records the listen addresses bound now.
func (b *Book) SetListen(addrs []ma.Multiaddr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data.Listen = b.data.Listen[:0]
	for _, a := range addrs {
		b.data.Listen = append(b.data.Listen, a.String())
	}
	b.saveLocked()
}

// Remember records the addresses of a peer this node shares a community
// with (up to maxBookPeers peers).
func (b *Book) Remember(ai peer.AddrInfo) {
	if len(ai.Addrs) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.data.Peers[ai.ID.String()]; !ok && len(b.data.Peers) >= maxBookPeers {
		return
	}
	var s []string
	for _, a := range ai.Addrs {
		s = append(s, a.String())
	}
	if slices.Equal(b.data.Peers[ai.ID.String()], s) {
		return // nothing new to write
	}
	b.data.Peers[ai.ID.String()] = s
	b.saveLocked()
}

// Pending returns the communities waiting for this node's approval.
func (b *Book) Pending() []crdt.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.data.Pending)
}

// SetPending records (or forgets) a join waiting for approval.
func (b *Book) SetPending(cid crdt.ID, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.Index(b.data.Pending, cid)
	switch {
	case on && i < 0:
		b.data.Pending = append(b.data.Pending, cid)
	case !on && i >= 0:
		b.data.Pending = slices.Delete(b.data.Pending, i, i+1)
	default:
		return
	}
	b.saveLocked()
}

// joining is a join in flight, by community id, since when.
type joining struct {
	ID    crdt.ID   `json:"id"`
	Since time.Time `json:"since"`
}

// SetJoining records (or forgets) a join in flight.
func (b *Book) SetJoining(cid crdt.ID, on bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.data.Joining, func(j joining) bool { return j.ID == cid })
	switch {
	case on && i < 0:
		b.data.Joining = append(b.data.Joining, joining{ID: cid, Since: now})
	case !on && i >= 0:
		b.data.Joining = slices.Delete(b.data.Joining, i, i+1)
	default:
		return
	}
	b.saveLocked()
}

// Awaited returns the communities this node waits to hold: joins waiting
// for approval, and joins in flight younger than maxJoiningAge (older ones
// are forgotten).
func (b *Book) Awaited(now time.Time) []crdt.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.data.Pending)
	n := len(b.data.Joining)
	b.data.Joining = slices.DeleteFunc(b.data.Joining, func(j joining) bool { return now.Sub(j.Since) > maxJoiningAge })
	if len(b.data.Joining) != n {
		b.saveLocked()
	}
	for _, j := range b.data.Joining {
		if !slices.Contains(out, j.ID) {
			out = append(out, j.ID)
		}
	}
	return out
}

// Relays returns the relays remembered from invites, newest first.
func (b *Book) Relays() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.data.Relays)
}

// AddRelays remembers relays named in an invite, newest first.
func (b *Book) AddRelays(rs []peer.AddrInfo) {
	if len(rs) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range rs {
		for _, a := range r.Addrs {
			s := a.String() + "/p2p/" + r.ID.String()
			b.data.Relays = slices.DeleteFunc(b.data.Relays, func(x string) bool { return x == s })
			b.data.Relays = append([]string{s}, b.data.Relays...)
		}
	}
	b.data.Relays = b.data.Relays[:min(len(b.data.Relays), maxBookRelays)]
	b.saveLocked()
}

// Known returns the peers remembered, with their addresses.
func (b *Book) Known() []peer.AddrInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []peer.AddrInfo
	for id, addrs := range b.data.Peers {
		p, err := peer.Decode(id)
		if err != nil {
			continue
		}
		ai := peer.AddrInfo{ID: p}
		for _, s := range addrs {
			if a, err := ma.NewMultiaddr(s); err == nil {
				ai.Addrs = append(ai.Addrs, a)
			}
		}
		out = append(out, ai)
	}
	return out
}

// Save writes the book to its file.
func (b *Book) Save() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.saveLocked()
}

func (b *Book) saveLocked() {
	raw, _ := json.Marshal(b.data)
	tmp := b.path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		b.log.Debug("save peer book", "err", err)
		return
	}
	if err := os.Rename(tmp, b.path); err != nil {
		b.log.Debug("save peer book", "err", err)
	}
}

// ReusePorts returns listen with each "any port" address replaced by the
// address this node was bound to for it last time, or nil if there is none.
// previous holds the bound listen addresses (e.g. /ip4/0.0.0.0/tcp/40123).
func ReusePorts(listen, previous []string) []string {
	out := make([]string, 0, len(listen))
	changed := false
	for _, l := range listen {
		rep := l
		if ip, proto, port, rest, ok := splitAddr(l); ok && port == "0" {
			for _, p := range previous {
				if pip, pproto, pport, prest, ok := splitAddr(p); ok && pip == ip && pproto == proto && prest == rest && pport != "0" {
					rep, changed = p, true
					break
				}
			}
		}
		out = append(out, rep)
	}
	if !changed {
		return nil
	}
	return out
}

// splitAddr splits "/ip4/A/tcp/P/rest..." into its parts.
func splitAddr(s string) (ip, proto, port, rest string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(s, "/"), "/", 5)
	if len(parts) < 4 || (parts[2] != "tcp" && parts[2] != "udp") {
		return "", "", "", "", false
	}
	if len(parts) == 5 {
		rest = parts[4]
	}
	return parts[0] + "/" + parts[1], parts[2], parts[3], rest, true
}
