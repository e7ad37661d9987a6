package node

import (
	"context"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// CreatePromo posts a promotion (act.CreatePromo). A file it shows
// (d.File, a path on this device) is stored first by the file library,
// with d.Progress told how far, and the card is the one post that shares
// it: no message in the announcements carries it. The app and
// `umbrellad promo create --file` both come this way.
func (n *Node) CreatePromo(ctx context.Context, cid crdt.ID, d api.PromoDraft) (id crdt.ID, err error) {
	err = n.promoFile(ctx, cid, d, func(ctx context.Context, ref *crdt.FileRef) (err error) {
		id, err = n.Actions.CreatePromo(ctx, cid, d, ref)
		return err
	})
	return id, err
}

// EditPromo edits a promotion (act.EditPromo); a new file (d.File) is
// stored as for CreatePromo.
func (n *Node) EditPromo(ctx context.Context, cid, promo crdt.ID, d api.PromoDraft) error {
	return n.promoFile(ctx, cid, d, func(ctx context.Context, ref *crdt.FileRef) error {
		return n.Actions.EditPromo(ctx, cid, promo, d, ref)
	})
}

// promoFile calls post with the file d.File once the library stored it
// for the announcements of community cid, or with nil when d names none.
// When post fails, or ctx ends first, nothing of the file stays.
func (n *Node) promoFile(ctx context.Context, cid crdt.ID, d api.PromoDraft, post func(context.Context, *crdt.FileRef) error) error {
	if d.File == "" {
		return post(ctx, nil)
	}
	_, err := n.library.Keep(ctx, cid, cid, d.File, d.Progress, func(ctx context.Context, ref crdt.FileRef) error { return post(ctx, &ref) })
	return err
}
