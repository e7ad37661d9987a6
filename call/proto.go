package call

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Responder answers the messages of the signalling protocol (Manager is
// one). It gets only messages that passed Check, from the peer the
// authenticated stream came from.
type Responder interface {
	Answer(ctx context.Context, from crdt.PublicKey, m *Message) *Reply
}

// deadliner is a stream with deadlines (a libp2p stream, net.Pipe).
type deadliner interface{ SetDeadline(time.Time) error }

// closeWriter is a stream that can close its writing half.
type closeWriter interface{ CloseWrite() error }

// Handle answers one stream of the signalling protocol from peer from:
// it reads one Message of at most MaxFrame bytes within Idle, has r
// answer it and writes the Reply. A malformed message gets no reply: the
// error says so and the caller resets the stream. Handle never closes rw.
func Handle(ctx context.Context, r Responder, rw io.ReadWriteCloser, from crdt.PublicKey) error {
	if d, ok := rw.(deadliner); ok {
		d.SetDeadline(time.Now().Add(Idle))
	}
	var m Message
	if err := wire.Read(rw, &m, MaxFrame); err != nil {
		return fmt.Errorf("read call message: %w", err)
	}
	if err := m.Check(); err != nil {
		return err
	}
	reply := r.Answer(ctx, from, &m)
	if len(reply.Error) > MaxErrorLen {
		// Whole characters only: a text cut inside one does not decode.
		reply.Error = strings.ToValidUTF8(reply.Error[:MaxErrorLen], "")
	}
	if err := wire.Write(rw, reply); err != nil {
		return fmt.Errorf("write call reply: %w", err)
	}
	return nil
}

// Exchange sends m on rw, closes rw's writing half when it can, and
// reads the Reply: the requester's side of one stream.
func Exchange(rw io.ReadWriteCloser, m *Message) (*Reply, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	if err := wire.Write(rw, m); err != nil {
		return nil, err
	}
	if cw, ok := rw.(closeWriter); ok {
		if err := cw.CloseWrite(); err != nil {
			return nil, fmt.Errorf("close write: %w", err)
		}
	}
	var r Reply
	if err := wire.Read(rw, &r, MaxFrame); err != nil {
		return nil, fmt.Errorf("read call reply: %w", err)
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	return &r, nil
}
