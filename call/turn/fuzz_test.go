package turn

import (
	"bytes"
	"net"
	"testing"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// FuzzAsk feeds Ask arbitrary responses: it returns a credential that
// passes Check or an error, and never panics.
func FuzzAsk(f *testing.F) {
	for _, r := range []*Response{
		{URLs: []string{"turn:10.0.0.1:3478?transport=udp"}, Username: "1700000000:12D3KooW", Password: "cGFzcw==", Expires: 1700000000},
		{Error: "not a member"},
		{URLs: []string{"http://x"}, Username: "u", Password: "p", Expires: 1},
	} {
		var b bytes.Buffer
		if err := wire.Write(&b, r); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := net.Pipe()
		defer a.Close()
		go func() {
			defer b.Close()
			var req Request
			if wire.Read(b, &req, MaxFrame) == nil {
				b.Write(data)
			}
		}()
		c, err := Ask(a)
		if err != nil {
			return
		}
		r := Response{URLs: c.URLs, Username: c.Username, Password: c.Password, Expires: c.Expires.Unix()}
		if err := r.Check(); err != nil {
			t.Fatalf("Ask returned a credential that fails Check: %v", err)
		}
	})
}
