package keys

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// inviteWorld is a community's invites as act lists them, and the keeper.
type inviteWorld struct {
	invs []api.InviteInfo
	meta *store.DS
	s    *InviteSecrets
}

func newInviteWorld(t *testing.T, persist bool) *inviteWorld {
	t.Helper()
	w := &inviteWorld{meta: store.NewMemory()}
	var err error
	w.s, err = NewInviteSecrets(InviteSecretsConfig{Meta: w.meta, Persist: persist,
		Invites: func(crdt.ID) ([]api.InviteInfo, error) { return w.invs, nil },
		Link:    func(_ crdt.ID, seed []byte) (string, error) { return "link:" + hex.EncodeToString(seed), nil }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func seedOf(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// TestInviteSecretsLinks: a kept secret gives its invite's link while the
// invite is live; revoked, expired, used up or lapsed, it gives none and
// the secret is dropped; invites this node did not make have none.
func TestInviteSecretsLinks(t *testing.T) {
	for _, persist := range []bool{true, false} {
		w := newInviteWorld(t, persist)
		cid := crdt.ID{9}
		w.invs = []api.InviteInfo{{ID: crdt.ID{1}}, {ID: crdt.ID{2}, MaxUses: 2, Uses: 1}, {ID: crdt.ID{3}}}
		for i := byte(1); i <= 2; i++ {
			if err := w.s.Keep(t.Context(), cid, crdt.ID{i}, seedOf(i)); err != nil {
				t.Fatal(err)
			}
		}
		ls, err := w.s.Links(cid)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"link:" + hex.EncodeToString(seedOf(1)), "link:" + hex.EncodeToString(seedOf(2)), ""}
		for i, l := range ls {
			if l.Link != want[i] {
				t.Fatalf("persist %v: invite %d link %q, want %q", persist, i+1, l.Link, want[i])
			}
		}
		for _, dead := range []func(*api.InviteInfo){
			func(i *api.InviteInfo) { i.Revoked = true },
			func(i *api.InviteInfo) { i.Uses = i.MaxUses },
		} {
			w.invs = []api.InviteInfo{{ID: crdt.ID{1}}, {ID: crdt.ID{2}, MaxUses: 2, Uses: 1}}
			dead(&w.invs[1])
			if ls, err = w.s.Links(cid); err != nil || ls[1].Link != "" || ls[0].Link == "" {
				t.Fatalf("persist %v: a dead invite's links %+v, %v", persist, ls, err)
			}
			w.invs[1] = api.InviteInfo{ID: crdt.ID{2}, MaxUses: 2} // even were it live again, the secret is gone
			if ls, _ = w.s.Links(cid); ls[1].Link != "" {
				t.Fatalf("persist %v: a dropped secret still gives a link", persist)
			}
			if err := w.s.Keep(t.Context(), cid, crdt.ID{2}, seedOf(2)); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := w.meta.GetMeta(t.Context(), inviteSecretsKey(cid))
		if persist != (err == nil) {
			t.Fatalf("persist %v: stored record %x, %v", persist, raw, err)
		}
	}
}

// TestInviteSecretsBounded: past MaxInviteSecrets the oldest secret goes,
// and a damaged record is an error, not a panic or a silent loss.
func TestInviteSecretsBounded(t *testing.T) {
	w := newInviteWorld(t, true)
	cid := crdt.ID{9}
	for i := range MaxInviteSecrets + 1 {
		id := crdt.ID{byte(i), byte(i >> 8), 1}
		w.invs = append(w.invs, api.InviteInfo{ID: id})
		if err := w.s.Keep(t.Context(), cid, id, seedOf(byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := w.s.Links(cid)
	if err != nil {
		t.Fatal(err)
	}
	if ls[0].Link != "" || ls[1].Link == "" || ls[MaxInviteSecrets].Link == "" {
		t.Fatalf("the oldest secret was kept or a newer one lost")
	}
	if err := w.s.Keep(t.Context(), cid, crdt.ID{}, []byte("short")); err == nil {
		t.Fatal("kept a seed of the wrong size")
	}
	if err := w.meta.PutMeta(context.Background(), inviteSecretsKey(cid), []byte("damaged")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Links(cid); err == nil || !strings.Contains(err.Error(), "invite secrets") {
		t.Fatalf("a damaged record: %v", err)
	}
	if err := w.s.Keep(t.Context(), cid, crdt.ID{1}, seedOf(1)); err == nil {
		t.Fatal("a new secret overwrote a damaged record")
	}
	if _, err := NewInviteSecrets(InviteSecretsConfig{}); err == nil {
		t.Fatal("no error without Meta, Invites and Link")
	}
	errList := errors.New("no such community")
	w.s.cfg.Invites = func(crdt.ID) ([]api.InviteInfo, error) { return nil, errList }
	if _, err := w.s.Links(cid); !errors.Is(err, errList) {
		t.Fatalf("listing error: %v", err)
	}
}

// FuzzDecodeInviteSecrets: any stored record decodes or fails cleanly,
// within the limit, and what decodes encodes back to itself.
func FuzzDecodeInviteSecrets(f *testing.F) {
	f.Add(encodeInviteSecrets([]inviteSecret{{invite: crdt.ID{1}, seed: seedOf(1)}}))
	f.Add([]byte("damaged"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := decodeInviteSecrets(b)
		if err != nil {
			return
		}
		if len(ss) > MaxInviteSecrets {
			t.Fatalf("%d secrets decoded", len(ss))
		}
		if !bytes.Equal(encodeInviteSecrets(ss), b) {
			t.Fatal("decoded record does not encode back")
		}
	})
}
