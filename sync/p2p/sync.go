package p2p

import (
	"context"
	"io"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// SyncResponder answers pull requests (package sync/exchange's Server).
type SyncResponder interface {
	AnswerSync(from crdt.PublicKey, req *wire.Request) *wire.Response
}

// HandleSync answers one pull request from peer from on rw: it reads a
// Request (at most MaxSyncRequest bytes, within Idle) and writes r's
// Response.
func HandleSync(rw io.ReadWriteCloser, from crdt.PublicKey, r SyncResponder) error {
	setDeadline(rw, time.Now().Add(Idle))
	var req wire.Request
	if err := readFrame(rw, &req, MaxSyncRequest); err != nil {
		return err
	}
	setDeadline(rw, time.Now().Add(StreamTimeout))
	// A write error is the requester's loss: it went away.
	_ = wire.Write(rw, r.AnswerSync(from, &req))
	return nil
}

// SyncHandler is HandleSync as a Handler, for Service.Handle.
func SyncHandler(r SyncResponder) Handler {
	return func(_ context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		return HandleSync(rw, from, r)
	}
}
