package join

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// FuzzLoadRequest: a request record read back from the peer book, however
// damaged, is loaded whole or refused, never a crash.
func FuzzLoadRequest(f *testing.F) {
	f.Add([]byte(`{"name":"Glow Team","invite":"AA==","join":"AA==","addrs":[]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := loadRequest(crdt.ID{1}, data)
		if err == nil && (r.inv == nil || r.join == nil || r.inv.Op == nil) {
			t.Fatalf("loaded an incomplete request %+v", r)
		}
	})
}
