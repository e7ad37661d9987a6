package store

// The pending buffer: ops parked until the parents and deps they cite are
// stored. /p/<id> holds an op and what it still waits for; /w/<missing>/<id>
// indexes who waits for what.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fxamacker/cbor/v2"
	"github.com/ipfs/go-datastore"

	"github.com/umbrella-p2p/umbrella/crdt"
)

type pendingRecord struct {
	Op      []byte   `cbor:"1,keyasint"`
	Missing [][]byte `cbor:"2,keyasint"`
}

var pendDec, _ = cbor.DecOptions{MaxArrayElements: 64, MaxNestedLevels: 4}.DecMode()

func (s *DS) getPending(ctx context.Context, id crdt.ID) (*crdt.Op, []crdt.ID, int, error) {
	raw, err := s.ds.Get(ctx, pendKey(id))
	if err != nil {
		return nil, nil, 0, err
	}
	var rec pendingRecord
	if err := pendDec.Unmarshal(raw, &rec); err != nil {
		return nil, nil, 0, fmt.Errorf("parked op %s is corrupt: %w", id.Short(), err)
	}
	op, err := crdt.DecodeOp(rec.Op)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("parked op %s is corrupt: %w", id.Short(), err)
	}
	missing := make([]crdt.ID, 0, len(rec.Missing))
	for _, m := range rec.Missing {
		if len(m) != len(crdt.ID{}) {
			return nil, nil, 0, fmt.Errorf("parked op %s is corrupt: bad missing id", id.Short())
		}
		missing = append(missing, crdt.ID(m))
	}
	return op, missing, len(raw), nil
}

func encodePending(op *crdt.Op, missing []crdt.ID) []byte {
	rec := pendingRecord{Op: op.Bytes()}
	for _, m := range missing {
		rec.Missing = append(rec.Missing, m[:])
	}
	raw, err := crdt.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("store: encode pending record: %v", err)) // byte strings always encode
	}
	return raw
}

// AddPending implements OpStore.
func (s *DS) AddPending(ctx context.Context, op *crdt.Op, missing []crdt.ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := op.ID()
	if ok, err := s.ds.Has(ctx, pendKey(id)); err != nil {
		return fmt.Errorf("park op %s: %w", id.Short(), err)
	} else if ok {
		return nil
	}
	missing = crdt.SortIDs(missing)
	raw := encodePending(op, missing)
	if s.pendingN+1 > s.lim.PendingOps || s.pendingB+len(raw) > s.lim.PendingBytes {
		return fmt.Errorf("park op %s: %w (%d ops, %d bytes)", id.Short(), ErrPendingFull, s.pendingN, s.pendingB)
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("park op %s: %w", id.Short(), err)
	}
	if err := b.Put(ctx, pendKey(id), raw); err != nil {
		return fmt.Errorf("park op %s: %w", id.Short(), err)
	}
	for _, m := range missing {
		if err := b.Put(ctx, waitKey(m, id), nil); err != nil {
			return fmt.Errorf("park op %s: %w", id.Short(), err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("park op %s: %w", id.Short(), err)
	}
	s.pendingN++
	s.pendingB += len(raw)
	for _, m := range missing {
		s.waiting[m]++
	}
	return nil
}

// TakeReady implements OpStore.
func (s *DS) TakeReady(ctx context.Context, id crdt.ID) ([]*crdt.Op, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting[id] == 0 {
		return nil, nil
	}
	waiters, err := s.idsUnder(ctx, "/w/"+hx(id)+"/")
	if err != nil {
		return nil, fmt.Errorf("take ready on %s: %w", id.Short(), err)
	}
	var ready []*crdt.Op
	for _, w := range waiters {
		b, err := s.ds.Batch(ctx)
		if err != nil {
			return ready, err
		}
		b.Delete(ctx, waitKey(id, w))
		op, missing, size, err := s.getPending(ctx, w)
		switch {
		case errors.Is(err, datastore.ErrNotFound):
		case err != nil:
			// A corrupt record is dropped: sync fetches the op again.
			b.Delete(ctx, pendKey(w))
		default:
			rest := slices.DeleteFunc(missing, func(m crdt.ID) bool { return m == id })
			if len(rest) == 0 {
				b.Delete(ctx, pendKey(w))
				s.pendingN--
				s.pendingB -= size
				ready = append(ready, op)
			} else {
				raw := encodePending(op, rest)
				b.Put(ctx, pendKey(w), raw)
				s.pendingB += len(raw) - size
			}
		}
		if err := b.Commit(ctx); err != nil {
			return ready, fmt.Errorf("take ready on %s: %w", id.Short(), err)
		}
	}
	delete(s.waiting, id)
	return ready, nil
}

// Missing implements OpStore.
func (s *DS) Missing(ctx context.Context, max int) ([]crdt.ID, error) {
	var out []crdt.ID
	var last crdt.ID
	err := s.keys(ctx, "/w/", func(rest string) error {
		if len(out) >= max {
			return errStop
		}
		m, _, _ := strings.Cut(rest, "/")
		id, err := parseID(m)
		if err != nil || id == last {
			return err
		}
		last = id
		stored, err := s.ds.Has(ctx, opKey(id))
		if err != nil {
			return err
		}
		parked, err := s.ds.Has(ctx, pendKey(id))
		if err != nil {
			return err
		}
		if !stored && !parked {
			out = append(out, id)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("list missing: %w", err)
	}
	return out, nil
}

// PendingLen implements OpStore.
func (s *DS) PendingLen(context.Context) (int, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingN, s.pendingB, nil
}
