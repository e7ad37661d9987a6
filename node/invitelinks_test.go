package node

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// linkSeed is the secret a short link carries.
func linkSeed(t *testing.T, link string) []byte {
	t.Helper()
	l, err := join.ParseShortLink(link)
	if err != nil {
		t.Fatal(err)
	}
	return l.Secret
}

// shownLink is the link InviteLinks gives invite inv ("" if none).
func shownLink(t *testing.T, n *Node, cid, inv crdt.ID) string {
	t.Helper()
	ls, err := n.InviteLinks(cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ID == inv {
			return l.Link
		}
	}
	t.Fatalf("invite %s not listed in %+v", inv.Short(), ls)
	return ""
}

// onlyInvite is the id of the community's one invite.
func onlyInvite(t *testing.T, n *Node, cid crdt.ID) crdt.ID {
	t.Helper()
	invs, err := n.Invites(cid)
	if err != nil || len(invs) != 1 {
		t.Fatalf("invites %+v, %v", invs, err)
	}
	return invs[0].ID
}

// TestInviteLinkSurvivesRestart: the link an admin made is shown again
// (same secret) after the node restarts on its database, its secret is in
// no file of the home in clear, and once revoked it is shown no more and
// its secret is dropped from the database.
func TestInviteLinkSurvivesRestart(t *testing.T) {
	home := t.TempDir()
	if err := Init(home, "Olivia"); err != nil {
		t.Fatal(err)
	}
	n, err := openLoopback(t, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	comm, err := n.CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	link, err := n.CreateInvite(t.Context(), comm.ID, api.InviteOptions{Lifetime: -1})
	if err != nil {
		t.Fatal(err)
	}
	seed := linkSeed(t, link)
	inv := onlyInvite(t, n, comm.ID)
	if got := shownLink(t, n, comm.ID, inv); !bytes.Equal(linkSeed(t, got), seed) {
		t.Fatalf("shown link %q does not carry the secret of %q", got, link)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if files := filesContaining(t, home, string(seed)); len(files) != 0 {
		t.Fatalf("an invite secret in the clear in %v", files)
	}

	n, err = openLoopback(t, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := shownLink(t, n, comm.ID, inv)
	if got == "" || !bytes.Equal(linkSeed(t, got), seed) {
		t.Fatalf("after a restart the invite's link is %q, want one with the secret of %q", got, link)
	}
	if err := n.RevokeInvite(t.Context(), comm.ID, inv); err != nil {
		t.Fatal(err)
	}
	if got := shownLink(t, n, comm.ID, inv); got != "" {
		t.Fatalf("a revoked invite shows its link %q", got)
	}
	rec, err := n.store.GetMeta(t.Context(), "invite-secrets/"+comm.ID.String())
	if err != nil || bytes.Contains(rec, seed) {
		t.Fatalf("after revoking, the stored secrets %x (%v) still hold the invite's", rec, err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n, err = openLoopback(t, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := shownLink(t, n, comm.ID, inv); got != "" {
		t.Fatalf("after a restart a revoked invite shows its link %q", got)
	}
}

// TestInviteSecretScanControl: the scan of TestInviteLinkSurvivesRestart
// finds an invite secret kept in a database without a key, so it can see
// one when there is one.
func TestInviteSecretScanControl(t *testing.T) {
	home := t.TempDir()
	if err := Init(home, "Olivia"); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBadger(filepath.Join(home, "plain"), store.BadgerOptions{NoCompression: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(home)
	cfg.MDNS = false
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.Store = st
	n, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	comm, err := n.CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	link, err := n.CreateInvite(t.Context(), comm.ID, api.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil { // closes st too
		t.Fatal(err)
	}
	if files := filesContaining(t, home, string(linkSeed(t, link))); len(files) == 0 {
		t.Fatal("the scan does not find an invite secret even in a database without a key")
	}
}
