package turn

import (
	"encoding/binary"
	"errors"
	"math"
	"net"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/wiretest"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestLargestMessagesRoundTrip: the largest request, credential and
// refusal pass Check, fit MaxFrame and decode back unchanged.
func TestLargestMessagesRoundTrip(t *testing.T) {
	url := "turns:" + strings.Repeat("r", MaxURLLen-len("turns:"))
	cred := &Response{URLs: []string{url, url, url, url}, Username: strings.Repeat("u", MaxUsernameLen),
		Password: strings.Repeat("p", MaxPasswordLen), Expires: math.MaxInt64}
	refusal := &Response{Error: strings.Repeat("é", MaxErrorLen/2), Expires: math.MaxInt64}
	if len(cred.URLs) != MaxURLs {
		t.Fatalf("%d URLs, MaxURLs is %d", len(cred.URLs), MaxURLs)
	}
	for name, c := range map[string]struct{ v, back any }{
		"request":    {&Request{Version: math.MaxUint8}, &Request{}},
		"credential": {cred, &Response{}},
		"refusal":    {refusal, &Response{}},
	} {
		if r, ok := c.v.(*Response); ok {
			if err := r.Check(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		wiretest.RoundTrip(t, name, c.v, c.back, MaxFrame)
	}
}

// TestHandleReadsAtMostMaxFrame: a stranger who announces a request over
// MaxFrame is refused from its length, before its bytes are read and
// before the issuer is asked whether it may have a credential.
func TestHandleReadsAtMostMaxFrame(t *testing.T) {
	asked := false
	iss, err := NewIssuer(IssuerConfig{URLs: []string{"turn:10.0.0.1:3478"}, PeerID: peerID, Member: memberOf,
		Allowed: func(crdt.PublicKey) bool { asked = true; return true }})
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go a.Write(binary.AppendUvarint(nil, MaxFrame+1))
	if err := Handle(b, iss, crdt.PublicKey{3}); !errors.Is(err, wire.ErrFrameTooLarge) || asked {
		t.Fatalf("got %v (issuer asked: %v), want ErrFrameTooLarge before asking", err, asked)
	}
}
