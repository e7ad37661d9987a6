package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// TestE2ETeamCards drives three real daemons through what a team does in
// a week: a win for Ben, a promotion only an admin may post, a question
// answered into the FAQ, a tip saved to a collection, and Thursday's
// training as an event that all three answer, exported for a calendar.
func TestE2ETeamCards(t *testing.T) {
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
	benID := olivia.members(c)["Ben"].PeerID

	// A win for Ben, in the announcements.
	var win struct{ ID string }
	olivia.jsonRun(&win, "celebrate", "--community", c, "--member", benID, "--badge", "first-sale", "--text", "Ben's first sale!")
	proctest.Eventually(t, 10*time.Second, "ben to see his win", func() bool {
		var wins []api.Win
		ben.jsonRun(&wins, "wins", "--community", c, "--member", benID)
		return len(wins) == 1 && wins[0].MemberName == "Ben" && wins[0].Badge == "first-sale" && wins[0].ByName == "Olivia"
	})
	var anns []api.Message
	ben.jsonRun(&anns, "messages", "--community", c, "--group", c)
	if len(anns) != 1 || anns[0].Kind != "win" || anns[0].Win == nil || anns[0].Win.Member != benID {
		t.Fatalf("the win in messages: %+v", anns)
	}
	if _, errOut, code := ben.cli("celebrate", "--community", c, "--member", benID, "--badge", "trophy"); code == 0 || !strings.Contains(errOut, "badge") {
		t.Fatalf("a badge outside the set: exit %d, %q", code, errOut)
	}

	// A promotion: members may not post one; the owner's reaches everyone.
	if _, errOut, code := cal.cli("promo", "create", "--community", c, "--title", "My sale", "--ends", "48h"); code == 0 || !strings.Contains(errOut, "may not post promotions") {
		t.Fatalf("a member's promotion: exit %d, %q", code, errOut)
	}
	var promo struct{ ID string }
	olivia.jsonRun(&promo, "promo", "create", "--community", c, "--title", "Spring sale", "--text", "20% off starter kits", "--ends", "48h", "--code", "SPRING")
	proctest.Eventually(t, 10*time.Second, "cal to see the promotion running", func() bool {
		var ps []api.Promo
		cal.jsonRun(&ps, "promos", "--community", c)
		return len(ps) == 1 && ps[0].Title == "Spring sale" && ps[0].Code == "SPRING" && ps[0].ActiveAt(time.Now())
	})

	// Q&A: General becomes a Q&A group; Ben asks, Cal answers, Ben marks it.
	olivia.mustRun("qa", "set", "--community", c, "--group", general)
	proctest.Eventually(t, 10*time.Second, "ben to see the Q&A group", func() bool {
		var qs []api.Question
		ben.jsonRun(&qs, "questions", "--community", c)
		return len(qs) == 0
	})
	var q, r struct{ ID string }
	ben.jsonRun(&q, "post", "--community", c, "--group", general, "--text", "Can I take the shake while pregnant?")
	proctest.Eventually(t, 10*time.Second, "olivia to see one unanswered question", func() bool {
		var qs []api.Question
		olivia.jsonRun(&qs, "questions", "--community", c, "--unanswered")
		return len(qs) == 1 && qs[0].ID.String() == q.ID && qs[0].AuthorName == "Ben"
	})
	proctest.Eventually(t, 10*time.Second, "cal to see the question", func() bool { return len(cal.full(c, general)) == 1 })
	cal.jsonRun(&r, "reply", "--community", c, "--group", general, "--message", q.ID, "--text", "Ask your doctor first, then start slowly.")
	proctest.Eventually(t, 10*time.Second, "ben to see the reply", func() bool { return len(ben.full(c, general)) == 2 })
	if _, errOut, code := cal.cli("answer", "--community", c, "--group", general, "--question", q.ID, "--answer", r.ID); code == 0 || !strings.Contains(errOut, "may not mark") {
		t.Fatalf("a member marks the answer to another's question: exit %d, %q", code, errOut)
	}
	ben.mustRun("answer", "--community", c, "--group", general, "--question", q.ID, "--answer", r.ID)
	for _, d := range []*daemon{olivia, cal} {
		proctest.Eventually(t, 10*time.Second, d.home+" to find the answer in the FAQ", func() bool {
			var faq []api.FAQEntry
			d.jsonRun(&faq, "faq", "--community", c, "--search", "pregnant")
			return len(faq) == 1 && faq[0].Answer == "Ask your doctor first, then start slowly." && faq[0].AnswerID.String() == r.ID
		})
	}
	var open []api.Question
	olivia.jsonRun(&open, "questions", "--community", c, "--unanswered")
	if len(open) != 0 {
		t.Fatalf("unanswered after the mark: %+v", open)
	}
	var gms []api.Message
	olivia.jsonRun(&gms, "messages", "--community", c, "--group", general)
	if gms[0].Answer == nil || gms[0].Answer.String() != r.ID {
		t.Fatalf("the question does not carry its answer: %+v", gms[0])
	}

	// A tip saved to a collection, by an admin only.
	if _, _, code := cal.cli("collect", "--community", c, "--collection", "Tips", "--message", r.ID); code == 0 {
		t.Fatal("a member collected")
	}
	olivia.mustRun("collect", "--community", c, "--collection", "Tips", "--message", r.ID)
	proctest.Eventually(t, 10*time.Second, "ben to see the collection", func() bool {
		var cols []api.Collection
		ben.jsonRun(&cols, "collections", "--community", c)
		return len(cols) == 1 && cols[0].Name == "Tips" && len(cols[0].Messages) == 1 && cols[0].Messages[0].ID.String() == r.ID
	})

	// Thursday's training as an event, answered from three nodes.
	starts := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	var ev struct{ ID string }
	cal.jsonRun(&ev, "event", "create", "--community", c, "--group", general, "--title", "Thursday training",
		"--starts", starts.Format(time.RFC3339), "--duration", "1h30m", "--where", "https://meet.example/glow", "--text", "Bring a friend")
	for d, answer := range map[*daemon]string{olivia: "going", ben: "maybe", cal: "going"} {
		proctest.Eventually(t, 10*time.Second, d.home+" to see the event", func() bool {
			var es []api.CalendarEvent
			d.jsonRun(&es, "events", "--community", c)
			return len(es) == 1
		})
		d.mustRun("rsvp", "--community", c, "--event", ev.ID, "--answer", answer)
	}
	ben.mustRun("rsvp", "--community", c, "--event", ev.ID, "--answer", "no") // changes his mind
	for _, d := range []*daemon{olivia, ben, cal} {
		proctest.Eventually(t, 10*time.Second, d.home+" to count the answers", func() bool {
			var es []api.CalendarEvent
			d.jsonRun(&es, "events", "--community", c)
			return len(es) == 1 && es[0].Going == 2 && es[0].Maybe == 0 && es[0].No == 1 && len(es[0].Answers) == 3 &&
				es[0].Starts.Equal(starts) && time.Duration(es[0].Duration) == 90*time.Minute
		})
	}
	var es []api.CalendarEvent
	ben.jsonRun(&es, "events", "--community", c)
	if es[0].Mine != "no" || es[0].Title != "Thursday training" {
		t.Fatalf("ben's view of the event: %+v", es[0])
	}
	out := filepath.Join(t.TempDir(), "training.ics")
	ben.mustRun("event", "ics", "--community", c, "--event", ev.ID, "--out", out)
	ics, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BEGIN:VEVENT\r\n", "SUMMARY:Thursday training\r\n", "DTSTART:" + starts.Format("20060102T150405Z") + "\r\n",
		"DTEND:" + starts.Add(90*time.Minute).Format("20060102T150405Z") + "\r\n", "LOCATION:https://meet.example/glow\r\n", "TRIGGER:-PT10M\r\n"} {
		if !strings.Contains(string(ics), want) {
			t.Fatalf("the calendar file lacks %q:\n%s", want, ics)
		}
	}
}
