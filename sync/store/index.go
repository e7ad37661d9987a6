package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	datastore "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Where ops are, without reading them (a relay's store: sync/relay keeps
// no per-op index in memory and asks the store instead). Both read only
// keys: the /o/ key names the op's /l/ key, which spells its community,
// log and height, and the /l/ keys of a community, in order, are its ops
// by log and height.

// Place is where a stored op sits in its community's logs.
type Place struct {
	Community, Log crdt.ID
	Height         uint64
	// Size is the bytes stored under the op's /l/ key (its encoding, with
	// the clear body beside it for a sealed op a member opened); 0 once it
	// was pruned (prune.go). Locate leaves it -1: it does not read it.
	Size int
}

// Locate returns where stored op id sits, with one read (Size -1), or an
// error wrapping ErrNotFound. A pruned op is found: it keeps its place.
func (s *DS) Locate(ctx context.Context, id crdt.ID) (Place, error) {
	lk, err := s.ds.Get(ctx, opKey(id))
	if errors.Is(err, datastore.ErrNotFound) {
		return Place{}, fmt.Errorf("locate op %s: %w", id.Short(), ErrNotFound)
	}
	if err != nil {
		return Place{}, fmt.Errorf("locate op %s: %w", id.Short(), err)
	}
	p, got, err := parseLogKey(string(lk))
	if err != nil || got != id {
		return Place{}, fmt.Errorf("stored op %s is corrupt: bad index key %q", id.Short(), lk)
	}
	p.Size = -1
	return p, nil
}

// Index calls fn with the id and place of every op of community stored,
// pruned ones included (Size 0), in key order: by log (the control log
// first), then height, then id. It reads keys and value sizes only,
// streaming; fn's error stops the walk and is returned.
func (s *DS) Index(ctx context.Context, community crdt.ID, fn func(id crdt.ID, p Place) error) error {
	prefix := "/l/" + hx(community) + "/"
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: prefix, KeysOnly: true, ReturnsSizes: true, Orders: []dsq.Order{dsq.OrderByKey{}}})
	if err != nil {
		return fmt.Errorf("index of %s: %w", community.Short(), err)
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			return fmt.Errorf("index of %s: %w", community.Short(), r.Error)
		}
		p, id, err := parseLogKey(r.Key)
		if err != nil || p.Community != community {
			return fmt.Errorf("index of %s: malformed log key %q", community.Short(), r.Key)
		}
		p.Size = r.Size
		if err := fn(id, p); err != nil {
			return err
		}
	}
	return nil
}

// parseLogKey reads an /l/ key: /l/<community>/<log>/<height:016x>/<id>.
func parseLogKey(k string) (Place, crdt.ID, error) {
	var p Place
	parts := strings.Split(k, "/")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "l" || len(parts[4]) != 16 {
		return p, crdt.ID{}, fmt.Errorf("malformed log key %q", k)
	}
	var err error
	if p.Community, err = parseID(parts[2]); err != nil {
		return p, crdt.ID{}, err
	}
	if p.Log, err = parseID(parts[3]); err != nil {
		return p, crdt.ID{}, err
	}
	if p.Height, err = strconv.ParseUint(parts[4], 16, 64); err != nil {
		return p, crdt.ID{}, fmt.Errorf("malformed log key %q: %w", k, err)
	}
	id, err := parseID(parts[5])
	return p, id, err
}
