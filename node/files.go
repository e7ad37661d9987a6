package node

import (
	"errors"
	"fmt"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// errMayNotFetch refuses a file to a peer who may read no message that
// shares it.
var errMayNotFetch = errors.New("may not fetch this file")

// mayFetch lets peer from fetch the file at root when, in a community this
// node holds, crdt finds a message sharing it that from may read.
func (h protoHooks) mayFetch(from crdt.PublicKey, root blob.Root) error {
	ok := false
	for _, cid := range h.n.rep.Communities() {
		h.n.rep.View(cid, func(c *crdt.Community) error {
			ok = ok || c.MayFetch(from, root[:])
			return nil
		})
		if ok {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", root.String()[:12], errMayNotFetch)
}
