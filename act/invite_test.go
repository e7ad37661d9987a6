package act

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// inviteWorld is what an Inviter works with: its reach, keys and secrets
// journal what they are asked into the world's journal, and the link is
// the seed itself, so the test can open the invite's details.
type inviteWorld struct {
	*world
	desc   string
	addrs  []string
	relays []string
	seeds  [][]byte
}

func (w *inviteWorld) Community(cid crdt.ID) (api.Community, error) {
	if cid != w.cid {
		return api.Community{}, replica.ErrUnknownCommunity
	}
	return api.Community{ID: cid, Name: "Club", Description: w.desc}, nil
}

func (w *inviteWorld) Addrs() []string         { return w.addrs }
func (w *inviteWorld) Relays(crdt.ID) []string { return w.relays }
func (w *inviteWorld) ShortLink(_ crdt.ID, seed []byte) (string, error) {
	w.seeds = append(w.seeds, seed)
	return fmt.Sprintf("link-%x", seed), nil
}

func (w *inviteWorld) KeyInvite(_ context.Context, _, inv crdt.ID, seed []byte) error {
	w.journal = append(w.journal, fmt.Sprintf("key invite %s", inv.Short()))
	return nil
}

func (w *inviteWorld) Keep(_ context.Context, _, inv crdt.ID, seed []byte) error {
	w.journal = append(w.journal, fmt.Sprintf("keep %s", inv.Short()))
	return nil
}

func (w *inviteWorld) Links(crdt.ID) ([]api.InviteLink, error) { return nil, nil }

var (
	_ Summary       = (*inviteWorld)(nil)
	_ InviteReach   = (*inviteWorld)(nil)
	_ InviteKeys    = (*inviteWorld)(nil)
	_ InviteSecrets = (*inviteWorld)(nil)
)

func newInviter(t *testing.T, w *inviteWorld) *Inviter {
	t.Helper()
	iv, err := NewInviter(InviterConfig{Author: fakeAuthor{w.rep, w.c.Owner, &w.journal}, Summary: w, Reach: w, Keys: w,
		Secrets: w, Name: func() string { return "Ana" }, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

// invite returns the body of invite id and its details opened with seed.
func (w *inviteWorld) invite(t *testing.T, id crdt.ID, seed []byte) (*crdt.InviteBody, crdt.InviteDetails) {
	t.Helper()
	var b *crdt.InviteBody
	if err := w.rep.View(w.cid, func(c *crdt.Community) error { b, _ = c.Body(id).(*crdt.InviteBody); return nil }); err != nil || b == nil {
		t.Fatalf("invite %s: %v, body %v", id.Short(), err, b)
	}
	plain, err := e2ee.OpenInvite(seed, b.Details)
	if err != nil {
		t.Fatal(err)
	}
	var d crdt.InviteDetails
	if err := crdt.Unmarshal(plain, &d); err != nil {
		t.Fatal(err)
	}
	return b, d
}

// TestCreateInvite: an invite carries, sealed to the seed its link holds,
// the community's name and description, the inviter's name and where to
// find the community; it expires after the default lifetime, admits as
// many as asked, and its keys and seed are kept after it is written.
func TestCreateInvite(t *testing.T) {
	w := &inviteWorld{world: newWorld(t), desc: "Tips for new sellers", addrs: []string{"/ip4/192.0.2.1/tcp/4001/p2p/a"},
		relays: []string{"/ip4/192.0.2.9/tcp/4001/p2p/r"}}
	iv := newInviter(t, w)
	link, err := iv.CreateInvite(t.Context(), w.cid, api.InviteOptions{MaxUses: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.seeds) != 1 || link != fmt.Sprintf("link-%x", w.seeds[0]) {
		t.Fatalf("link %q from seeds %x", link, w.seeds)
	}
	var id crdt.ID
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		for iid := range c.State().Invites {
			if b, _ := c.Body(iid).(*crdt.InviteBody); b != nil && b.MaxUses == 3 {
				id = iid
			}
		}
		return nil
	})
	b, d := w.invite(t, id, w.seeds[0])
	if b.Expires != w.now.Add(api.DefaultInviteLifetime).Unix() || b.Role != crdt.RoleMember || b.Name != "" {
		t.Errorf("invite body %+v", b)
	}
	want := crdt.InviteDetails{Name: "Club", Addrs: w.addrs, Relays: w.relays, Inviter: "Ana", Description: w.desc}
	if d.Name != want.Name || !slices.Equal(d.Addrs, want.Addrs) || !slices.Equal(d.Relays, want.Relays) || d.Inviter != want.Inviter || d.Description != want.Description {
		t.Errorf("details %+v, want %+v", d, want)
	}
	if got := strings.Join(w.journal, ", "); got != fmt.Sprintf("invite, key invite %s, keep %s", id.Short(), id.Short()) {
		t.Errorf("journal %s", got)
	}
}

// TestCreateInviteLongDescription: a description that would make the
// sealed details too large is left out, not the invite.
func TestCreateInviteLongDescription(t *testing.T) {
	w := &inviteWorld{world: newWorld(t), desc: strings.Repeat("d", crdt.MaxDescLen)}
	for i := range crdt.MaxAddrs {
		w.addrs = append(w.addrs, fmt.Sprintf("/dns4/%s.example/tcp/%d", strings.Repeat("a", 216), 4000+i))
		w.relays = append(w.relays, fmt.Sprintf("/dns4/%s.example/tcp/%d", strings.Repeat("r", 216), 4000+i))
	}
	if _, err := newInviter(t, w).CreateInvite(t.Context(), w.cid, api.InviteOptions{}); err != nil {
		t.Fatal(err)
	}
	var id crdt.ID
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		for iid := range c.State().Invites {
			if b, _ := c.Body(iid).(*crdt.InviteBody); b != nil && b.Details != nil {
				id = iid
			}
		}
		return nil
	})
	_, d := w.invite(t, id, w.seeds[0])
	if d.Description != "" || len(d.Addrs) != crdt.MaxAddrs || d.Inviter != "Ana" {
		t.Errorf("details kept description %d bytes, %d addrs, inviter %q", len(d.Description), len(d.Addrs), d.Inviter)
	}
}

// TestCreateInviteRefused: a bad use count and an unknown community are
// refused before anything is written.
func TestCreateInviteRefused(t *testing.T) {
	w := &inviteWorld{world: newWorld(t)}
	iv := newInviter(t, w)
	if _, err := iv.CreateInvite(t.Context(), w.cid, api.InviteOptions{MaxUses: -1}); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("max uses -1: %v", err)
	}
	if _, err := iv.CreateInvite(t.Context(), crdt.ID{9}, api.InviteOptions{}); !errors.Is(err, replica.ErrUnknownCommunity) {
		t.Errorf("unknown community: %v", err)
	}
	if len(w.journal) != 0 || len(w.seeds) != 0 {
		t.Errorf("wrote %v, linked %d", w.journal, len(w.seeds))
	}
}
