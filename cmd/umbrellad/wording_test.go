package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// wordingNode answers the calls whose printing the wording tests read;
// the others are unimplemented (nil embedded interfaces would panic).
type wordingNode struct {
	api.API
	otherTeam
	status    api.Status
	questions []api.Question
	events    []api.CalendarEvent
	created   *api.EventDraft
	audit     []api.AuditEntry
}

func (f *wordingNode) Audit(crdt.ID) ([]api.AuditEntry, error) { return f.audit, nil }

func (f *wordingNode) Status() api.Status { return f.status }
func (f *wordingNode) Questions(crdt.ID, bool) ([]api.Question, error) {
	return f.questions, nil
}
func (f *wordingNode) Events(crdt.ID, bool) ([]api.CalendarEvent, error) { return f.events, nil }
func (f *wordingNode) CreateEvent(_ context.Context, _, _ crdt.ID, d api.EventDraft) (crdt.ID, error) {
	f.created = &d
	return crdt.ID{9}, nil
}

// runOn runs the CLI against the control API of a served fake.
func runOn(c *client, argv ...string) (int, string) {
	var out, errb bytes.Buffer
	code := run(append(argv, "--home", c.home), &out, &errb)
	return code, out.String() + errb.String()
}

// TestWording: counts agree with their nouns, durations and years read as
// people write them, a relay peer has a name in `status`, and a relay
// that has everything pushed but was never pulled from is not said to
// have never synced.
func TestWording(t *testing.T) {
	cid := crdt.ID{1}.String()
	f := &wordingNode{
		status: api.Status{Network: "online", Peers: []api.PeerStatus{{PeerID: "12D3KooWrelay", Relay: true, Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}}},
			Communities: []api.CommunitySync{{ID: cid, Name: "Glow", State: "synced", Relays: []api.RelayState{
				{PeerID: "12D3KooWrelay", Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}, Online: true, UpToDate: true}}}}},
		questions: []api.Question{{ID: crdt.ID{3}, AuthorName: "Ben", Text: "Refills?", Time: time.Now()}},
		events: []api.CalendarEvent{{ID: crdt.ID{4}, Title: "Far call", Starts: time.Date(2199, 3, 1, 19, 0, 0, 0, time.Local),
			Duration: api.Duration(90 * time.Minute)}},
	}
	c := serveNode(t, f)

	code, out := runOn(c, "status")
	if code != exitOK || !strings.Contains(out, "relay /ip4/10.0.0.7/tcp/4001") || strings.Contains(out, "never") || !strings.Contains(out, "not pulled from yet") {
		t.Errorf("status: exit %d:\n%s", code, out)
	}
	if code, out := runOn(c, "questions", "--community", cid); code != exitOK || !strings.HasPrefix(out, "1 question\n") {
		t.Errorf("questions: exit %d:\n%s", code, out)
	}
	if code, out := runOn(c, "events", "--community", cid); code != exitOK || !strings.Contains(out, "Fri Mar 1 2199 19:00") || !strings.Contains(out, "(1h30m)") {
		t.Errorf("events: exit %d:\n%s", code, out)
	}
	before := time.Now()
	if code, out := runOn(c, "event", "create", "--community", cid, "--group", crdt.ID{2}.String(), "--title", "Call", "--starts", "48h"); code != exitOK ||
		f.created == nil || f.created.Starts.Before(before.Add(48*time.Hour)) || f.created.Starts.After(time.Now().Add(48*time.Hour)) {
		t.Errorf("event create --starts 48h: exit %d, sent %+v:\n%s", code, f.created, out)
	}
	if code, out := runOn(c, "event", "create", "--community", cid, "--group", crdt.ID{2}.String(), "--title", "Call", "--starts", "2026-12-10 19:00"); code != exitOK ||
		!f.created.Starts.Equal(time.Date(2026, 12, 10, 19, 0, 0, 0, time.Local)) {
		t.Errorf("event create --starts in local time: exit %d, sent %+v:\n%s", code, f.created, out)
	}
	if code, out := runOn(c, "event", "create", "--community", cid, "--group", crdt.ID{2}.String(), "--title", "Kick-off", "--starts", "48h", "--call", "Video"); code != exitOK ||
		f.created.Call != "video" {
		t.Errorf("event create --call Video: exit %d, sent %+v:\n%s", code, f.created, out)
	}
	f.created = nil
	if code, out := runOn(c, "event", "create", "--community", cid, "--group", crdt.ID{2}.String(), "--title", "Kick-off", "--starts", "48h", "--call", "radio"); code == exitOK ||
		f.created != nil || !strings.Contains(out, "want voice, video or none") {
		t.Errorf("event create --call radio: exit %d, sent %+v:\n%s", code, f.created, out)
	}
}

// TestAuditText: `audit` says each action in words: times for people,
// "unlimited uses" rather than "max uses 0", relays added and taken off,
// the file size limit, and members by name and the tail of their peer id.
func TestAuditText(t *testing.T) {
	now := time.Now()
	expires := time.Date(now.Year()+1, 1, 5, 9, 30, 0, 0, time.Local)
	obj := crdt.ID{0xab, 0xcd, 0xef, 0x01}
	f := &wordingNode{audit: []api.AuditEntry{
		{Action: "invite", Actor: "12D3KooWolivia1", ActorName: "Olivia", Object: &obj, Expires: &expires, Time: now},
		{Action: "invite", Actor: "12D3KooWolivia1", ActorName: "Olivia", Object: &obj, MaxUses: 1, Time: now},
		{Action: "relay", Actor: "12D3KooWolivia1", ActorName: "Olivia", Target: "12D3KooWrelay9", Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}, Time: now},
		{Action: "relay", Actor: "12D3KooWolivia1", ActorName: "Olivia", Target: "12D3KooWrelay9", Time: now},
		{Action: "settings", Actor: "12D3KooWolivia1", ActorName: "Olivia", Detail: `name "Glow", join by link`, MaxFileSize: 100 << 20, Time: now},
		{Action: "member.remove", Actor: "12D3KooWolivia1", ActorName: "Olivia", Target: "12D3KooWbenxyz", TargetName: "Ben", Time: now},
		{Action: "member.role", Actor: "12D3KooWolivia1", ActorName: "Olivia", Target: "12D3KooWbenxyz", TargetName: "Ben", Role: "admin", Time: now},
		{Action: "team.settings", Actor: "12D3KooWolivia1", ActorName: "Olivia", Detail: "only admins celebrate wins", Time: now},
	}}
	c := serveNode(t, f)
	code, out := runOn(c, "audit", "--community", crdt.ID{1}.String())
	if code != exitOK {
		t.Fatalf("audit: exit %d: %s", code, out)
	}
	for _, want := range []string{
		"Olivia (…livia1)",
		"made invite abcdef01: works until " + expires.Format("Mon Jan 2 2006 15:04") + ", unlimited uses",
		"made invite abcdef01: never expires, admits 1 person",
		"registered relay 12D3KooWrelay9 at /ip4/10.0.0.7/tcp/4001",
		"took relay 12D3KooWrelay9 off",
		`changed the settings: name "Glow", join by link, files up to 100 MiB`,
		"removed Ben (…benxyz)",
		"made Ben (…benxyz) an admin",
		"team.settings: only admins celebrate wins",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "max uses") {
		t.Errorf("audit says max uses:\n%s", out)
	}
}
