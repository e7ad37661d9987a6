package reach

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// FuzzPeerBook loads any peer book file: it never panics, whatever it
// reads gives addresses that parse, and once saved, the book loads and
// saves back to the same bytes.
func FuzzPeerBook(f *testing.F) {
	p, _ := peer.Decode("12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5nDyjTvkCNh9v4mHTNT")
	a, _ := ma.NewMultiaddr("/ip4/192.0.2.1/tcp/4001")
	good, _ := json.Marshal(bookData{
		Listen:   []string{"/ip4/0.0.0.0/tcp/40123"},
		Peers:    map[string][]string{p.String(): {a.String()}},
		Pending:  []crdt.ID{{1}},
		Joining:  []joining{{ID: crdt.ID{2}, Since: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}},
		Relays:   []string{"/dns4/relay.example/udp/4001/quic-v1/p2p/" + p.String()},
		Requests: []savedRequest{{ID: crdt.ID{3}, Data: []byte(`{"name":"Glow Team"}`)}},
	})
	f.Add(good)
	f.Add([]byte(`{"peers":null}`))
	f.Add([]byte(`{"peers":{"x":["/not/an/addr"]},"pending":["zz"]}`))
	f.Add([]byte(`{"joining":[{"id":"` + crdt.ID{3}.String() + `","since":"0001-01-01T00:00:00Z"}]}`))
	now := time.Date(2030, 1, 3, 0, 0, 0, 0, time.UTC)
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(f.TempDir(), "peers.json") // inputs run one at a time in a process
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		b := LoadBook(path, log)
		for _, ai := range b.Known() {
			if ai.ID.Validate() != nil {
				t.Fatalf("known peer with an invalid id %q", ai.ID)
			}
		}
		b.Listen()
		b.Relays()
		b.Pending()
		b.Awaited(now)
		b.Save()
		saved, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		again := LoadBook(path, log)
		again.Save()
		if resaved, _ := os.ReadFile(path); !bytes.Equal(resaved, saved) {
			t.Fatalf("a saved peer book changes when loaded and saved:\n%s\n%s", saved, resaved)
		}
	})
}
