package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
	"github.com/umbrella-p2p/umbrella/sync/join"
)

// sameInvite reports whether short links a and b carry the same invite
// secret (the addresses they name may differ).
func sameInvite(t *testing.T, a, b string) bool {
	t.Helper()
	la, err := join.ParseShortLink(a)
	if err != nil {
		return false
	}
	lb, err := join.ParseShortLink(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(la.Secret) == string(lb.Secret)
}

// TestE2EAdmin drives two real daemons through running a community: an
// invite with a use limit and an expiry, a join policy of approval, a
// request approved from the command line, a revoked invite, a group renamed
// and archived.
func TestE2EAdmin(t *testing.T) {
	olivia, ben := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	olivia.start()
	ben.start()
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community

	var s struct {
		Name       string `json:"name"`
		JoinPolicy string `json:"join_policy"`
	}
	olivia.jsonRun(&s, "settings", "--community", c, "--join-policy", "approval", "--description", "Skincare distributors")
	if s.JoinPolicy != "approval" || s.Name != "Glow Team" {
		t.Fatalf("settings after change: %+v", s)
	}
	var inv struct{ Link string }
	olivia.jsonRun(&inv, "invite", "create", "--community", c, "--max-uses", "2", "--expires", "1h")
	var joined struct {
		Role string `json:"role"`
	}
	ben.jsonRun(&joined, "join", "--link", inv.Link)
	if joined.Role != "requested" {
		t.Fatalf("join in an approval community: role %q, want requested", joined.Role)
	}
	var reqs []struct {
		PeerID string `json:"peer_id"`
		Name   string `json:"name"`
	}
	olivia.jsonRun(&reqs, "requests", "--community", c)
	if len(reqs) != 1 || reqs[0].Name != "Ben" {
		t.Fatalf("requests %+v", reqs)
	}
	olivia.mustRun("member", "approve", "--community", c, "--member", reqs[0].PeerID)
	defer func() {
		if t.Failed() {
			t.Logf("olivia:\n%s\nben:\n%s", olivia.log, ben.log)
		}
	}()
	proctest.Eventually(t, 30*time.Second, "ben to be let in", func() bool {
		out, _, code := ben.cli("members", "--community", c, "--json")
		var ms []member
		return code == 0 && json.Unmarshal([]byte(out), &ms) == nil && slices.ContainsFunc(ms, func(m member) bool { return m.PeerID == reqs[0].PeerID && m.Name == "Ben" && m.Role == "member" })
	})

	var invites []struct {
		ID      string `json:"id"`
		MaxUses int    `json:"max_uses"`
		Uses    int    `json:"uses"`
		Revoked bool   `json:"revoked"`
		Link    string `json:"link"`
	}
	olivia.jsonRun(&invites, "invites", "--community", c)
	if len(invites) != 1 || invites[0].MaxUses != 2 || invites[0].Uses != 1 {
		t.Fatalf("invites %+v", invites)
	}
	if !sameInvite(t, invites[0].Link, inv.Link) {
		t.Fatalf("the invite's link is listed as %q, want one with the secret of %q", invites[0].Link, inv.Link)
	}
	if out, _, _ := olivia.cli("invites", "--community", c); !strings.HasSuffix(strings.TrimSpace(out), " "+invites[0].Link) {
		t.Fatalf("invites lists %q without the link", out)
	}
	_, errOut, code := ben.cli("invite", "revoke", "--community", c, "--invite", invites[0].ID)
	if code == 0 || !strings.Contains(errOut, "not authorized") {
		t.Fatalf("a member revoking: exit %d, %q", code, errOut)
	}
	olivia.mustRun("invite", "revoke", "--community", c, "--invite", invites[0].ID)
	invites = nil // a link left out is not kept from the last listing
	olivia.jsonRun(&invites, "invites", "--community", c)
	if !invites[0].Revoked || invites[0].Link != "" {
		t.Fatalf("after revoking: %+v", invites)
	}

	var groups []struct {
		ID, Name string
		Archived bool
	}
	olivia.jsonRun(&groups, "groups", "--community", c)
	general := groups[1].ID
	olivia.mustRun("group", "update", "--community", c, "--group", general, "--name", "Lobby", "--archive")
	proctest.Eventually(t, 10*time.Second, "ben to see the group renamed and archived", func() bool {
		ben.jsonRun(&groups, "groups", "--community", c)
		return groups[1].Name == "Lobby" && groups[1].Archived
	})
	_, errOut, code = ben.cli("post", "--community", c, "--group", general, "--text", "hello?")
	if code == 0 || !strings.Contains(errOut, "read-only") {
		t.Fatalf("post to an archived group: exit %d, %q", code, errOut)
	}

	// An admin's order of groups reaches every member; a member may not
	// set one.
	olivia.mustRun("group", "create", "--community", c, "--name", "Wins")
	olivia.jsonRun(&groups, "groups", "--community", c)
	if len(groups) != 3 || groups[2].Name != "Wins" {
		t.Fatalf("groups before ordering: %+v", groups)
	}
	wins := groups[2].ID
	_, errOut, code = ben.cli("group", "order", "--community", c, "--group", wins)
	if code == 0 || !strings.Contains(errOut, "not authorized") {
		t.Fatalf("a member ordering groups: exit %d, %q", code, errOut)
	}
	olivia.mustRun("group", "order", "--community", c, "--group", wins, "--group", general)
	proctest.Eventually(t, 10*time.Second, "ben to see Wins first", func() bool {
		ben.jsonRun(&groups, "groups", "--community", c)
		return len(groups) == 3 && groups[1].ID == wins && groups[2].ID == general
	})
	_, errOut, code = olivia.cli("community", "deactivate", "--community", c)
	if code != 2 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("deactivate without --yes: exit %d, %q", code, errOut)
	}
}
