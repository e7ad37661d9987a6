package pull

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// FuzzPeerExchange: whatever peers and addresses a member's KindPeers
// answer holds, reading it neither panics nor dials more than wantPeers
// peers, and never this node.
func FuzzPeerExchange(f *testing.F) {
	f.Add([]byte("not a peer id"), []byte{0x04, 10, 0, 0, 1, 0x06, 0x0f, 0xa1}, uint8(3))
	f.Add([]byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, id, addr []byte, copies uint8) {
		w := newWorld(t)
		a := newMember(t, 1)
		cid := w.community(1, a)
		for i := range int(copies) {
			pa := wire.PeerAddrs{ID: id, Addrs: [][]byte{addr, addr}}
			if i%2 == 1 {
				m := newMember(t, byte(i))
				pa.ID = []byte(m.p)
				w.roles[cid][m.k] = 1 + w.roles[cid][m.k]%2 // a member now and then
			}
			w.shared = append(w.shared, pa)
		}
		w.s.exchangePeers(a.p, cid)
		w.s.Close()
		if len(w.dialled) > wantPeers {
			t.Fatalf("dialled %d peers, want at most %d", len(w.dialled), wantPeers)
		}
		for _, p := range w.dialled {
			if p == w.self.p {
				t.Fatal("dialled itself")
			}
		}
	})
}
