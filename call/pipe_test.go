package call

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

type echoResponder struct{ from crdt.PublicKey }

func (e *echoResponder) Answer(_ context.Context, from crdt.PublicKey, m *Message) *Reply {
	e.from = from
	if m.Type == TypeJoin {
		return &Reply{Error: string(bytes.Repeat([]byte("x"), MaxErrorLen+10))}
	}
	return &Reply{Roster: [][]byte{m.Call}}
}

// TestExchangeOverPipe: a message goes over one stream and its reply
// comes back; an over-long refusal is cut to MaxErrorLen; a malformed
// message gets no reply and fails the handler.
func TestExchangeOverPipe(t *testing.T) {
	id := bytes.Repeat([]byte{7}, 32)
	from := crdt.PublicKey{9}
	run := func(send func(net.Conn) error) (*echoResponder, error) {
		a, b := net.Pipe()
		defer a.Close()
		r := &echoResponder{}
		done := make(chan error, 1)
		go func() {
			done <- Handle(context.Background(), r, b, from)
			b.Close()
		}()
		err := send(a)
		if herr := <-done; herr != nil {
			return r, herr
		}
		return r, err
	}
	var reply *Reply
	r, err := run(func(c net.Conn) (err error) {
		reply, err = Exchange(c, &Message{Type: TypeLeave, Community: id, Call: id})
		return err
	})
	if err != nil || len(reply.Roster) != 1 || !bytes.Equal(reply.Roster[0], id) || r.from != from {
		t.Fatalf("exchange: %+v, %v", reply, err)
	}
	_, err = run(func(c net.Conn) (err error) {
		reply, err = Exchange(c, &Message{Type: TypeJoin, Community: id, Call: id, Group: id, Caller: id})
		return err
	})
	if err != nil || len(reply.Error) != MaxErrorLen {
		t.Fatalf("refusal: %d bytes, %v", len(reply.Error), err)
	}
	r, err = run(func(c net.Conn) error {
		return wire.Write(c, &Message{Type: TypeKey, Community: id, Call: id, KID: 1, Key: id[:5]})
	})
	if !errors.Is(err, ErrMalformed) || r.from != (crdt.PublicKey{}) {
		t.Fatalf("malformed message: %v, answered: %v", err, r.from != crdt.PublicKey{})
	}
	if _, err := Exchange(nil, &Message{Type: 42}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("sending a malformed message: %v", err)
	}
}
