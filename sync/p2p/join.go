package p2p

import (
	"context"
	"io"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// JoinResponder admits joiners (package sync/exchange's Server).
type JoinResponder interface {
	AnswerJoin(ctx context.Context, from crdt.PublicKey, req *wire.JoinRequest) *wire.JoinResponse
}

// HandleJoin answers one join request from peer from on rw: it reads a
// JoinRequest (at most MaxJoinRequest bytes, within Idle) and writes r's
// JoinResponse.
func HandleJoin(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey, r JoinResponder) error {
	setDeadline(rw, time.Now().Add(Idle))
	var req wire.JoinRequest
	if err := readFrame(rw, &req, MaxJoinRequest); err != nil {
		return err
	}
	setDeadline(rw, time.Now().Add(StreamTimeout))
	_ = wire.Write(rw, r.AnswerJoin(ctx, from, &req))
	return nil
}

// JoinHandler is HandleJoin as a Handler, for Service.Handle.
func JoinHandler(r JoinResponder) Handler {
	return func(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		return HandleJoin(ctx, rw, from, r)
	}
}
