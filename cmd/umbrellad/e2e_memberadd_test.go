package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// TestE2EMemberAdd drives two real daemons through a direct add across
// two communities: Ben joins Olivia's team by a link, she lists him among
// her contacts and adds him to her customers' community with `member add`;
// his daemon shows it and reads its announcement. Someone she shares
// nothing with is refused with a hint to send a link.
func TestE2EMemberAdd(t *testing.T) {
	olivia, ben := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	olivia.start()
	ben.start()
	defer func() {
		if t.Failed() {
			t.Logf("olivia:\n%s\nben:\n%s", olivia.log, ben.log)
		}
	}()
	var team, customers struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&team, "community", "create", "--name", "Glow Team")
	var inv struct{ Link string }
	olivia.jsonRun(&inv, "invite", "create", "--community", team.Community)
	ben.mustRun("join", "--link", inv.Link)
	olivia.jsonRun(&customers, "community", "create", "--name", "Glow Customers")
	c := customers.Community
	olivia.mustRun("announce", "--community", c, "--text", "Spring catalogue is out")

	var contacts []struct {
		PeerID      string   `json:"peer_id"`
		Name        string   `json:"name"`
		Communities []string `json:"communities"`
	}
	olivia.jsonRun(&contacts, "contacts")
	if len(contacts) != 1 || contacts[0].Name != "Ben" || !slices.Equal(contacts[0].Communities, []string{team.Community}) {
		t.Fatalf("contacts %+v", contacts)
	}
	var res map[string]bool
	olivia.jsonRun(&res, "member", "add", "--community", c, "--member", contacts[0].PeerID)
	if !res["ok"] {
		t.Fatalf("member add: %v", res)
	}
	var groups []struct {
		ID, Name, Kind string
	}
	olivia.jsonRun(&groups, "groups", "--community", c)
	ann := groups[0].ID
	proctest.Eventually(t, 30*time.Second, "ben to read the customers' announcement", func() bool {
		out, _, code := ben.cli("messages", "--community", c, "--group", ann)
		return code == 0 && strings.Contains(out, "Spring catalogue is out")
	})
	type community struct {
		ID      string `json:"community"`
		Name    string `json:"name"`
		Role    string `json:"role"`
		AddedBy string `json:"added_by"`
	}
	var comms []community
	ben.jsonRun(&comms, "communities")
	if !slices.Contains(comms, community{c, "Glow Customers", "member", "Olivia"}) {
		t.Fatalf("Ben's communities: %+v", comms)
	}

	zoe := newDaemon(t, "Zoe")
	id, err := keyfile.Load(zoe.home)
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := olivia.cli("member", "add", "--community", c, "--member", peerkey.ID(id).String())
	if code == 0 || !strings.Contains(errOut, "send them an invite link") {
		t.Fatalf("adding a stranger: exit %d, %q", code, errOut)
	}
}
