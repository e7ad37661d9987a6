package keys

import (
	"bytes"
	"context"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// mangler is a member's Peers whose answers to Keys requests a fuzz input
// changes (once mangle is set).
type mangler struct {
	Peers
	mangle func(*wire.Response) *wire.Response
}

func (m *mangler) Request(ctx context.Context, p peer.ID, req *wire.Request) (*wire.Response, error) {
	resp, err := m.Peers.Request(ctx, p, req)
	if err == nil && m.mangle != nil && req.Kind == wire.KindKeys {
		resp = m.mangle(resp)
	}
	return resp, err
}

// FuzzFetchKeys: whatever a member answers to a Keys request (any frame,
// or the true answer with one key's log, epoch or wrap changed, or a key
// added), FetchKeys never fails the node, and every secret it keeps is
// the true one. mode picks the change, which the key it changes, raw what
// it puts there.
func FuzzFetchKeys(f *testing.F) {
	for mode := range uint8(6) {
		f.Add(mode, uint8(0), []byte{0x01, 0x02})
	}
	f.Add(uint8(0), uint8(0), []byte{0xa1, 0x06, 0x81, 0xa2, 0x02, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x03, 0x41, 0x00})
	f.Fuzz(func(t *testing.T, mode, which uint8, raw []byte) {
		w := newWorld(t)
		var m *mangler
		olivia := w.add("olivia", 1, nil)
		ben := w.add("ben", 2, func(c *Config) { m = &mangler{Peers: c.Peers}; c.Peers = m })
		cid := olivia.found("Glow")
		gid := olivia.general(cid)
		olivia.admit(cid, ben)
		for _, log := range []crdt.ID{crdt.ZeroID, cid, gid} {
			for _, e := range ben.m.ring.Epochs(cid, log) {
				ben.m.ring.Forget(e.ID)
			}
		}
		m.mangle = func(resp *wire.Response) *wire.Response {
			n := len(resp.Keys)
			if n == 0 {
				return resp
			}
			k := &resp.Keys[int(which)%n]
			switch mode % 6 {
			case 0:
				var other wire.Response
				if err := wire.Decode(raw, &other); err != nil {
					return &wire.Response{Error: "undecodable"}
				}
				return &other
			case 2:
				k.Wrapped = raw
			case 3:
				k.Epoch = raw
			case 4:
				k.Log = raw
			case 5:
				resp.Keys = append(resp.Keys, wire.EpochKey{Log: k.Log, Epoch: k.Epoch, Wrapped: raw})
			}
			return resp
		}
		_, _ = ben.m.FetchKeys(t.Context(), olivia.id, cid)
		for _, log := range []crdt.ID{crdt.ZeroID, cid, gid} {
			for _, e := range ben.m.ring.Epochs(cid, log) {
				if want, ok := olivia.m.ring.Epoch(e.ID); !ok || !bytes.Equal(want.Secret, e.Secret) {
					t.Fatalf("Ben keeps a secret for epoch %s of log %s that is not Olivia's", e.ID, log.Short())
				}
			}
		}
	})
}
