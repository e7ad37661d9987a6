package relaynode

import (
	"context"
	"io"
	"log/slog"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/relay"
)

// filePushID is the stream protocol by which members push files to
// relays (see relay.PushProtocol).
const filePushID = protocol.ID(relay.PushProtocol)

// FilesDir is the relay's file store in its home.
const FilesDir = "relayfiles"

// ServeFiles opens a relay's file store in dir, charged to rl's
// quota, and serves it on h: members' pushes, and downloads by anyone who
// names a root (see relay.PushProtocol).
func ServeFiles(h host.Host, rl *relay.Relay, dir string, log *slog.Logger) (*relay.Blobs, error) {
	b, err := relay.OpenBlobs(rl, dir)
	if err != nil {
		return nil, err
	}
	svc := p2p.NewService(context.Background(), h, log, nil)
	svc.Handle(p2p.FileID, p2p.FileHandler(b.Store(), func(crdt.PublicKey, blob.Root) error { return nil }, nil))
	svc.Handle(filePushID, func(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		return b.Accept(ctx, rw, from)
	})
	return b, nil
}
