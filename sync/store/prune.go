package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	datastore "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Retention (a relay's store only; members never prune).
//
// A relay keeps ops for a while and then drops them to bound its disk
// (sync/relay's Config.Retention). Ops it may drop are stamped with the
// time they were stored:
//
//	/t/<community>/<stored at, Unix ms:016x>/<id>   empty; the op may be pruned after its time
//
// Pruning an op empties the value under its /l/ key and deletes its stamp:
// the op keeps its /o/ and /l/ keys, so Has still reports it (a child of a
// pruned op can still be stored, its parents being "held"), Pruned lists
// it with its height (the relay keeps checking hash links through it), and
// Get answers ErrPruned. Ops skips pruned ops. A pruned op costs its keys,
// about 200 bytes, instead of its encoding.

// ErrPruned: the op was stored and then pruned; its bytes are gone. It
// wraps ErrNotFound.
var ErrPruned = fmt.Errorf("op pruned by retention: %w", ErrNotFound)

func stampPrefix(c crdt.ID) string { return "/t/" + hx(c) + "/" }

// Stamp records that ops ids of community cid were stored at at, so that
// PruneBefore may drop them once at is old enough. Stamping an op that is
// not (or not yet) stored is harmless: PruneBefore skips it.
func (s *DS) Stamp(ctx context.Context, cid crdt.ID, at time.Time, ids []crdt.ID) error {
	if len(ids) == 0 {
		return nil
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("stamp %d ops: %w", len(ids), err)
	}
	p := stampPrefix(cid) + fmt.Sprintf("%016x/", max(at.UnixMilli(), 0))
	for _, id := range ids {
		if err := b.Put(ctx, datastore.RawKey(p+hx(id)), nil); err != nil {
			return fmt.Errorf("stamp op %s: %w", id.Short(), err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("stamp %d ops: %w", len(ids), err)
	}
	return nil
}

// PruneBefore prunes up to max ops of community cid stamped before before,
// the oldest first, in one batch, and returns their ids (without those
// already pruned or never stored) and the bytes of their encodings. Call
// it again while it returns max ops.
func (s *DS) PruneBefore(ctx context.Context, cid crdt.ID, before time.Time, max int) ([]crdt.ID, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := stampPrefix(cid)
	cut := before.UnixMilli()
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: prefix, KeysOnly: true, Orders: []dsq.Order{dsq.OrderByKey{}}})
	if err != nil {
		return nil, 0, fmt.Errorf("prune %s: %w", cid.Short(), err)
	}
	type stamped struct {
		key string
		id  crdt.ID
	}
	var due []stamped
	for r := range res.Next() {
		if r.Error != nil {
			res.Close()
			return nil, 0, fmt.Errorf("prune %s: %w", cid.Short(), r.Error)
		}
		at, idHex, ok := strings.Cut(strings.TrimPrefix(r.Key, prefix), "/")
		ms, err := strconv.ParseInt(at, 16, 64)
		if !ok || err != nil {
			res.Close()
			return nil, 0, fmt.Errorf("prune %s: malformed stamp %q", cid.Short(), r.Key)
		}
		if ms >= cut || len(due) >= max {
			break
		}
		id, err := parseID(idHex)
		if err != nil {
			res.Close()
			return nil, 0, fmt.Errorf("prune %s: malformed stamp %q", cid.Short(), r.Key)
		}
		due = append(due, stamped{r.Key, id})
	}
	res.Close()
	if len(due) == 0 {
		return nil, 0, nil
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("prune %s: %w", cid.Short(), err)
	}
	var out []crdt.ID
	var size int64
	for _, d := range due {
		if err := b.Delete(ctx, datastore.RawKey(d.key)); err != nil {
			return nil, 0, fmt.Errorf("prune op %s: %w", d.id.Short(), err)
		}
		lk, err := s.ds.Get(ctx, opKey(d.id))
		if errors.Is(err, datastore.ErrNotFound) {
			continue // stamped, never stored
		}
		if err != nil {
			return nil, 0, fmt.Errorf("prune op %s: %w", d.id.Short(), err)
		}
		v, err := s.ds.Get(ctx, datastore.RawKey(string(lk)))
		if err != nil {
			return nil, 0, fmt.Errorf("prune op %s: %w", d.id.Short(), err)
		}
		if len(v) == 0 {
			continue // pruned already
		}
		raw, _, err := splitStored(v)
		if err != nil {
			return nil, 0, fmt.Errorf("stored op %s is corrupt: %w", d.id.Short(), err)
		}
		size += int64(len(raw))
		if err := b.Put(ctx, datastore.RawKey(string(lk)), []byte{}); err != nil {
			return nil, 0, fmt.Errorf("prune op %s: %w", d.id.Short(), err)
		}
		out = append(out, d.id)
	}
	if err := b.Commit(ctx); err != nil {
		return nil, 0, fmt.Errorf("prune %s: %w", cid.Short(), err)
	}
	return out, size, nil
}

// Pruned calls fn with the id and height of every pruned op of the log,
// in log order.
func (s *DS) Pruned(ctx context.Context, community, log crdt.ID, fn func(id crdt.ID, height uint64) error) error {
	prefix := logPrefix(community, log)
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: prefix, Orders: []dsq.Order{dsq.OrderByKey{}}})
	if err != nil {
		return err
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			return r.Error
		}
		if len(r.Value) != 0 {
			continue
		}
		h, idHex, ok := strings.Cut(strings.TrimPrefix(r.Key, prefix), "/")
		height, err := strconv.ParseUint(h, 16, 64)
		if !ok || err != nil {
			return fmt.Errorf("malformed log index key %q", r.Key)
		}
		id, err := parseID(idHex)
		if err != nil {
			return err
		}
		if err := fn(id, height); err != nil {
			return err
		}
	}
	return nil
}
