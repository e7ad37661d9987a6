package p2p

import (
	"context"
	"io"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// FileID is the file transfer protocol (package sync/blob).
const FileID = protocol.ID(blob.Protocol)

// FileHandler serves the files of store. allow decides, for every root a
// peer asks for, whether it may have it: a member's node lets through
// only peers who may read a group where a message shares that root, a
// relay anyone (see blob.Protocol). lim bounds the node's upload rate
// (nil: no bound).
func FileHandler(store *blob.Store, allow func(from crdt.PublicKey, root blob.Root) error, lim *blob.Limiter) Handler {
	return func(_ context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		return blob.Serve(rw, store, func(r blob.Root) error { return allow(from, r) }, lim)
	}
}

// FileSource is a peer to fetch files from, a blob.Source.
type FileSource struct {
	S    *Service
	Peer peer.ID
}

// Name is the peer's short id.
func (f FileSource) Name() string { return f.Peer.ShortString() }

// Open opens a file transfer stream to the peer.
func (f FileSource) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	return f.S.Open(ctx, f.Peer, FileID)
}
