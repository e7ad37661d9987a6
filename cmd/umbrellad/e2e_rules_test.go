package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

type fullMsg struct {
	ID         string `json:"id"`
	AuthorName string `json:"author_name"`
	Text       string `json:"text"`
	Hidden     string `json:"hidden"`
	Reactions  []struct {
		Emoji string `json:"emoji"`
		Count int    `json:"count"`
	} `json:"reactions"`
	Poll *struct {
		Voters  int `json:"voters"`
		Options []struct {
			Text  string `json:"text"`
			Votes int    `json:"votes"`
		} `json:"options"`
	} `json:"poll"`
}

type member struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Safety string `json:"safety_number"`
}

func (d *daemon) full(c, g string) []fullMsg {
	var ms []fullMsg
	d.jsonRun(&ms, "messages", "--community", c, "--group", g)
	return ms
}

func (d *daemon) members(c string) map[string]member {
	var ms []member
	d.jsonRun(&ms, "members", "--community", c)
	out := map[string]member{}
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

// TestE2ECommunityRules drives three real daemons through the community
// rules: a member's announcement is refused, reactions and votes flow, the
// owner promotes and removes, and the removed member's later post never
// appears on the others.
func TestE2ECommunityRules(t *testing.T) {
	olivia, ben, cal := newDaemon(t, "Olivia"), newDaemon(t, "Ben"), newDaemon(t, "Cal")
	for _, d := range []*daemon{olivia, ben, cal} {
		d.start()
	}
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	for _, d := range []*daemon{ben, cal} {
		var inv struct{ Link string }
		olivia.jsonRun(&inv, "invite", "create", "--community", c)
		d.mustRun("join", "--link", inv.Link)
	}
	for _, d := range []*daemon{olivia, ben, cal} {
		proctest.Eventually(t, 20*time.Second, d.home+" to see three members", func() bool { return len(d.members(c)) == 3 })
	}
	var groups []struct{ ID, Name, Kind string }
	olivia.jsonRun(&groups, "groups", "--community", c)
	general := groups[1].ID

	// A member may not announce; the owner may, and members react.
	_, errOut, code := cal.cli("announce", "--community", c, "--text", "Buy my course!")
	if code == 0 || !strings.Contains(errOut, "may not post announcements") {
		t.Fatalf("member's announcement: exit %d, %q", code, errOut)
	}
	var ann struct{ ID string }
	olivia.jsonRun(&ann, "announce", "--community", c, "--text", "Welcome! Training call Monday 7pm.")
	proctest.Eventually(t, 10*time.Second, "ben to see the announcement", func() bool { return len(ben.full(c, c)) == 1 })
	ben.mustRun("react", "--community", c, "--group", c, "--message", ann.ID, "--emoji", "👍")

	// A poll in General, with votes from two members.
	var poll struct{ ID string }
	olivia.jsonRun(&poll, "poll", "create", "--community", c, "--group", general, "--question", "Best time for training?", "--option", "Morning", "--option", "Evening")
	for _, d := range []*daemon{ben, cal} {
		proctest.Eventually(t, 10*time.Second, d.home+" to see the poll", func() bool { return len(d.full(c, general)) == 1 })
		d.mustRun("vote", "--community", c, "--group", general, "--poll", poll.ID, "--option", "2")
	}
	proctest.Eventually(t, 10*time.Second, "olivia to count two votes and a reaction", func() bool {
		var m fullMsg
		olivia.jsonRun(&m, "poll", "show", "--community", c, "--group", general, "--poll", poll.ID)
		anns := olivia.full(c, c)
		return m.Poll != nil && m.Poll.Voters == 2 && m.Poll.Options[1].Votes == 2 &&
			len(anns) == 1 && len(anns[0].Reactions) == 1 && anns[0].Reactions[0].Count == 1
	})

	// Safety numbers: what Olivia's node shows for Cal is what Cal's own shows.
	var calID struct {
		Safety string `json:"safety_number"`
	}
	cal.jsonRun(&calID, "id")
	if got := olivia.members(c)["Cal"].Safety; len(got) != 35 || got != calID.Safety {
		t.Fatalf("olivia sees Cal's safety number %q, Cal's own is %q", got, calID.Safety)
	}
	// Cal draws a new prekey; the rotation of Ben's removal wraps to it.
	cal.mustRun("prekey", "rotate")

	// Promote Cal; remove Ben.
	olivia.mustRun("member", "promote", "--community", c, "--member", olivia.members(c)["Cal"].PeerID)
	proctest.Eventually(t, 10*time.Second, "cal to become admin", func() bool { return cal.members(c)["Cal"].Role == "admin" })
	ben.mustRun("post", "--community", c, "--group", general, "--text", "Hi all, Ben here")
	proctest.Eventually(t, 10*time.Second, "olivia to see ben's post", func() bool { return len(olivia.full(c, general)) == 2 })
	olivia.mustRun("member", "remove", "--community", c, "--member", olivia.members(c)["Ben"].PeerID)
	for _, d := range []*daemon{olivia, cal, ben} {
		proctest.Eventually(t, 10*time.Second, d.home+" to see ben removed", func() bool { _, in := d.members(c)["Ben"]; return !in })
	}
	_, errOut, code = ben.cli("post", "--community", c, "--group", general, "--text", "I'm still here, buy my stuff")
	if code == 0 || !strings.Contains(errOut, "you were removed from Glow Team by Olivia") {
		t.Fatalf("removed member's post: exit %d, %q", code, errOut)
	}
	cal.mustRun("post", "--community", c, "--group", general, "--text", "Cal here, now an admin")
	proctest.Eventually(t, 10*time.Second, "olivia to see cal's post", func() bool { return len(olivia.full(c, general)) == 3 })
	for _, d := range []*daemon{olivia, cal} {
		var got []string
		for _, m := range d.full(c, general) {
			got = append(got, m.AuthorName+": "+m.Text)
		}
		want := []string{"Olivia: Best time for training?", "Ben: Hi all, Ben here", "Cal: Cal here, now an admin"}
		if !slices.Equal(got, want) {
			t.Fatalf("%s shows %q, want %q", d.home, got, want)
		}
	}
	var audit []struct {
		Action     string `json:"action"`
		TargetName string `json:"target_name"`
	}
	olivia.jsonRun(&audit, "audit", "--community", c)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+" "+a.TargetName)
	}
	if !slices.Contains(actions, "member.remove Ben") || !slices.Contains(actions, "member.role Cal") {
		t.Fatalf("audit %v", actions)
	}
}
