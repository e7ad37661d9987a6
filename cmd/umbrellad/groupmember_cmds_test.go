package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// groupMemberNode keeps one group's members and refuses like the node.
type groupMemberNode struct {
	api.API // unimplemented methods panic, which the tests would notice
	in      map[string]bool
}

func (g *groupMemberNode) AddToGroup(_ context.Context, c, gid crdt.ID, peer string) error {
	if peer == "archived" {
		return fmt.Errorf("group %s: %w: group \"Old\" is archived", gid.Short(), crdt.ErrInvalid)
	}
	g.in[peer] = true
	return nil
}

func (g *groupMemberNode) RemoveFromGroup(_ context.Context, c, gid crdt.ID, peer string) error {
	if !g.in[peer] {
		return fmt.Errorf("group %s: %w: %s is not in group \"Leaders\"", gid.Short(), crdt.ErrInvalid, peer)
	}
	delete(g.in, peer)
	return nil
}

func (g *groupMemberNode) GroupMembers(c, gid crdt.ID) ([]api.Member, error) {
	var out []api.Member
	for p := range g.in {
		out = append(out, api.Member{PeerID: p, Name: "Name of " + p, Role: "member"})
	}
	return out, nil
}

// TestGroupMemberCommands: `group add`, `group remove` and `group members`
// reach the node with the group and member, answer {"ok": true} and a
// list with peer_id, name and role, and pass the node's refusals on.
func TestGroupMemberCommands(t *testing.T) {
	f := &groupMemberNode{in: map[string]bool{}}
	c := serveNode(t, f)
	cid, gid := crdt.ID{1}.String(), crdt.ID{2}.String()
	runJSON := func(argv ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(append(argv, "--community", cid, "--home", c.home, "--json"), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, errs, code := runJSON("group", "add", "--group", gid, "--member", "12D3KooWann")
	if code != exitOK || !f.in["12D3KooWann"] {
		t.Fatalf("group add: exit %d, %s %s", code, out, errs)
	}
	var ok map[string]bool
	if err := json.Unmarshal([]byte(out), &ok); err != nil || !ok["ok"] {
		t.Fatalf("group add answered %q", out)
	}
	out, errs, code = runJSON("group", "members", "--group", gid)
	var ms []map[string]any
	if err := json.Unmarshal([]byte(out), &ms); code != exitOK || err != nil || len(ms) != 1 ||
		ms[0]["peer_id"] != "12D3KooWann" || ms[0]["name"] != "Name of 12D3KooWann" || ms[0]["role"] != "member" {
		t.Fatalf("group members: exit %d, %q %s", code, out, errs)
	}
	if _, errs, code = runJSON("group", "remove", "--group", gid, "--member", "12D3KooWann"); code != exitOK || f.in["12D3KooWann"] {
		t.Fatalf("group remove: exit %d, %s", code, errs)
	}
	if _, errs, code = runJSON("group", "remove", "--group", gid, "--member", "12D3KooWann"); code == exitOK || !strings.Contains(errs, "is not in group") {
		t.Fatalf("removing again: exit %d, %q", code, errs)
	}
	if _, errs, code = runJSON("group", "add", "--group", gid, "--member", "archived"); code == exitOK || !strings.Contains(errs, "archived") {
		t.Fatalf("adding to an archived group: exit %d, %q", code, errs)
	}
	if _, errs, code = runJSON("group", "add", "--group", gid); code == exitOK || !strings.Contains(errs, "--member") {
		t.Fatalf("group add without --member: exit %d, %q", code, errs)
	}
}
