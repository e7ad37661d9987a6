package node

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/files"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
)

// errMayNotFetch refuses a file to a peer who may read no message that
// shares it.
var errMayNotFetch = errors.New("may not fetch this file")

// mayFetch lets peer from fetch the file at root when, in a community this
// node holds, crdt finds a message or a running promotion sharing it that
// from may read.
func (h protoHooks) mayFetch(from crdt.PublicKey, root blob.Root) error {
	if h.n.rep.MayFetch(from, root[:], h.n.now().UnixMilli()) {
		return nil
	}
	return fmt.Errorf("%s: %w", root.String()[:12], errMayNotFetch)
}

// newLibrary builds the node's file library (package sync/files) over its
// file store, views, replica, connections and actions.
func newLibrary(n *Node) *files.Library {
	return files.New(files.Config{Store: n.proto.files, Views: n.views, Replica: n.rep, Peers: filePeers{n}, Self: n.selfKey(), Now: n.now,
		Relays: fileRelays{n}, Forward: n.filePush, Pushes: n.filePush, Log: n.log,
		Keep: func(ctx context.Context, cid, gid crdt.ID, name string, r io.Reader, size int64) (crdt.FileRef, error) {
			return n.Actions.StoreFile(ctx, cid, gid, n.proto.files, name, r, size)
		},
		Post: n.Actions.PostFile})
}

// filePeers are the peers the node is connected to, as file sources.
type filePeers struct{ n *Node }

func (f filePeers) FilePeers() []files.Peer {
	var out []files.Peer
	for _, p := range f.n.host.Network().Peers() {
		if k, ok := peerkey.Key(p); ok {
			out = append(out, files.Peer{ID: p.String(), Key: k, Source: p2p.FileSource{S: f.n.proto.svc, Peer: p}})
		}
	}
	return out
}

// SendFile shares the file at path in a group (see files.Library.Send).
func (n *Node) SendFile(ctx context.Context, cid, gid crdt.ID, path, caption string) (api.SentFile, error) {
	return n.library.Send(ctx, cid, gid, path, caption, nil)
}

// SendFileWithProgress is SendFile, telling progress how much of the file
// is stored (see files.Library.Send).
func (n *Node) SendFileWithProgress(ctx context.Context, cid, gid crdt.ID, path, caption string, progress func(api.FileProgress)) (api.SentFile, error) {
	return n.library.Send(ctx, cid, gid, path, caption, progress)
}

// GetFile downloads the file a message shares (see files.Library.Get).
// A member who went from the community is told so, not that the message
// shares no file (what it still reads may show one).
func (n *Node) GetFile(ctx context.Context, cid, gid, msg crdt.ID, out string, progress func(api.FileProgress)) (api.GotFile, error) {
	got, err := n.library.Get(ctx, cid, gid, msg, out, progress)
	return got, n.ifDeparted(cid, msg, err)
}

// ifDeparted is err, or, when it is api.ErrNotFile and the local member
// went from community cid, that it went.
func (n *Node) ifDeparted(cid, msg crdt.ID, err error) error {
	if errors.Is(err, api.ErrNotFile) {
		if gone := n.Directory.StillMember(cid); gone != nil {
			return fmt.Errorf("message %s: only members download its file: %w", msg.Short(), gone)
		}
	}
	return err
}

// Files lists the files shared in a community (see files.Library.Files).
func (n *Node) Files(cid, gid crdt.ID) ([]api.FileEntry, error) { return n.library.Files(cid, gid) }

// FileStatus is the entry of Files for one file message; a member who
// went from the community is told so, as by GetFile.
func (n *Node) FileStatus(cid, msg crdt.ID) (api.FileEntry, error) {
	e, err := n.library.Status(cid, msg)
	return e, n.ifDeparted(cid, msg, err)
}

// DeleteLocalFile frees the local copy of the file a message shares.
func (n *Node) DeleteLocalFile(_ context.Context, cid, msg crdt.ID) error {
	return n.library.Delete(cid, msg)
}
