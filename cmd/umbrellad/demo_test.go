package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
	"github.com/umbrella-p2p/umbrella/sync/join"
)

// demoMsg is a message as `messages --json` prints it, with what the demo
// test looks at.
type demoMsg struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Author     string         `json:"author"`
	AuthorName string         `json:"author_name"`
	Text       string         `json:"text"`
	ReplyTo    string         `json:"reply_to"`
	Mentions   []string       `json:"mentions"`
	Pinned     bool           `json:"pinned"`
	Reactions  []demoReaction `json:"reactions"`
	Poll       *struct {
		Question string `json:"question"`
		Voters   int    `json:"voters"`
		Options  []struct {
			Text  string `json:"text"`
			Votes int    `json:"votes"`
		} `json:"options"`
	} `json:"poll"`
}

type demoReaction struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	By    []string `json:"by"` // display names
}

// reacted reports whether the member named by reacted to m with emoji.
func (m demoMsg) reacted(emoji, by string) bool {
	return slices.ContainsFunc(m.Reactions, func(r demoReaction) bool { return r.Emoji == emoji && slices.Contains(r.By, by) })
}

// TestE2EDemo runs `umbrellad demo` as a real process and joins its
// community with a real `umbrellad serve`: the newcomer finds the scripted
// story (announcements, a poll with votes, reactions, a pin, a reply), is
// welcomed by name, and has its first question answered and waved at.
func TestE2EDemo(t *testing.T) {
	bin := buildDaemon(t)
	dir := t.TempDir()
	linkFile := filepath.Join(dir, "link")
	var out proctest.Buffer
	demo := exec.Command(bin, "demo", "--home", filepath.Join(dir, "members"), "--link-file", linkFile)
	demo.Stdout, demo.Stderr = &out, &out
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the demo has exited, with its error in exitErr
	var exitErr error
	go func() { exitErr = demo.Wait(); close(exited) }()
	t.Cleanup(func() {
		demo.Process.Kill() // a no-op once it exited
		<-exited
	})
	defer func() {
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	}()

	var link string
	proctest.Eventually(t, 90*time.Second, "the demo to write its link", func() bool {
		b, err := os.ReadFile(linkFile)
		link = strings.TrimSpace(string(b))
		return err == nil && join.IsShort(link)
	})
	if st, err := os.Stat(linkFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("link file: %v, mode %v; want 0600", err, st.Mode())
	}
	// The link file is written before the link is printed, and the output
	// arrives through a pipe: wait for the printed line too.
	proctest.Eventually(t, 10*time.Second, "the demo to print its link", func() bool {
		return strings.Contains(out.String(), link)
	})

	alex := newDaemon(t, "Alex Kim")
	alex.start()
	defer func() {
		if t.Failed() {
			t.Logf("alex:\n%s", alex.log)
		}
	}()
	var joined struct {
		Community string `json:"community"`
		Name      string `json:"name"`
		Members   int    `json:"members"`
	}
	alex.jsonRun(&joined, "join", "--link", link)
	if joined.Name != "Glow Team" || joined.Members != 5 {
		t.Fatalf("joined %+v, want Glow Team with 5 members", joined)
	}
	c := joined.Community
	var self struct {
		PeerID string `json:"peer_id"`
	}
	alex.jsonRun(&self, "id")

	var settings struct {
		Description string `json:"description"`
	}
	alex.jsonRun(&settings, "settings", "--community", c)
	if !strings.Contains(settings.Description, "Glow") {
		t.Fatalf("community description %q", settings.Description)
	}
	groups := map[string]string{} // name → id
	proctest.Eventually(t, 30*time.Second, "the newcomer to read the group names", func() bool {
		var gs []struct{ ID, Name, Kind string }
		alex.jsonRun(&gs, "groups", "--community", c)
		for _, g := range gs {
			groups[g.Name] = g.ID
		}
		return len(gs) == 5 && groups["Training"] != "" && groups["Wins & Recognition"] != "" && groups["Product questions"] != ""
	})
	for _, g := range []string{"Training", "Wins & Recognition", "Product questions"} {
		alex.mustRun("group", "join", "--community", c, "--group", groups[g])
	}
	var announce string
	for name, id := range groups {
		if id == c || name == "Announcements" {
			announce = id
		}
	}
	msgs := func(group string) []demoMsg {
		var ms []demoMsg
		alex.jsonRun(&ms, "messages", "--community", c, "--group", groups[group])
		return ms
	}

	proctest.Eventually(t, 60*time.Second, "the welcome, the promotion and Ben's win in the announcements", func() bool {
		var ms []demoMsg
		alex.jsonRun(&ms, "messages", "--community", c, "--group", announce)
		return len(ms) >= 3 && ms[0].AuthorName == "Olivia Reyes" && strings.Contains(ms[0].Text, "Welcome to Glow Team") &&
			slices.ContainsFunc(ms, func(m demoMsg) bool { return m.Kind == "promo" }) && slices.ContainsFunc(ms, func(m demoMsg) bool { return m.Kind == "win" })
	})
	// The team story: Olivia's first steps for the newcomer, an active
	// promotion, Thursday's call with its answers, and the answered
	// question in the FAQ.
	proctest.Eventually(t, 60*time.Second, "the first steps, the promotion, the event and the FAQ", func() bool {
		var fs struct {
			Welcome string `json:"welcome"`
			Steps   []struct {
				Title string `json:"title"`
			} `json:"steps"`
		}
		var promos, faq []struct{}
		var events []struct {
			Title string `json:"title"`
			Going int    `json:"going"`
		}
		alex.jsonRun(&fs, "steps", "--community", c)
		alex.jsonRun(&promos, "promos", "--community", c)
		alex.jsonRun(&events, "events", "--community", c)
		alex.jsonRun(&faq, "faq", "--community", c)
		return strings.Contains(fs.Welcome, "Alex Kim") && len(fs.Steps) == len(demoSteps) && len(promos) == 1 &&
			len(events) == 1 && events[0].Title == "Thursday training call" && events[0].Going >= 3 && len(faq) == 1
	})
	proctest.Eventually(t, 60*time.Second, "the pinned start-here message and the poll with its votes in General", func() bool {
		ms := msgs("General")
		pinned := slices.ContainsFunc(ms, func(m demoMsg) bool { return m.Pinned && strings.Contains(m.Text, "Start here") })
		poll := slices.ContainsFunc(ms, func(m demoMsg) bool {
			return m.Poll != nil && m.Poll.Question == "Which evening suits our weekly training call?" && len(m.Poll.Options) == 3 && m.Poll.Voters == 3
		})
		mention := slices.ContainsFunc(ms, func(m demoMsg) bool { return len(m.Mentions) > 0 })
		return pinned && poll && mention
	})
	proctest.Eventually(t, 60*time.Second, "the win with its 🎉 and 👏", func() bool {
		return slices.ContainsFunc(msgs("Wins & Recognition"), func(m demoMsg) bool {
			return m.AuthorName == "Dev Patel" && m.reacted("🎉", "Olivia Reyes") && m.reacted("👏", "Ben Carter")
		})
	})
	proctest.Eventually(t, 60*time.Second, "the product question and the leader's reply", func() bool {
		ms := msgs("Product questions")
		return len(ms) >= 2 && ms[0].AuthorName == "Dev Patel" && ms[1].AuthorName == "Olivia Reyes" && ms[1].ReplyTo == ms[0].ID
	})
	proctest.Eventually(t, 60*time.Second, "training in Training", func() bool {
		return slices.ContainsFunc(msgs("Training"), func(m demoMsg) bool { return strings.Contains(m.Text, "Training:") })
	})

	proctest.Eventually(t, 60*time.Second, "the leader's welcome mentioning the newcomer", func() bool {
		return slices.ContainsFunc(msgs("General"), func(m demoMsg) bool {
			return m.AuthorName == "Olivia Reyes" && strings.Contains(m.Text, "Welcome @Alex Kim") && slices.Contains(m.Mentions, self.PeerID)
		})
	})

	var q struct {
		ID string `json:"id"`
	}
	alex.jsonRun(&q, "post", "--community", c, "--group", groups["Product questions"], "--text", "Hi all! Can I use the night cream together with the serum?")
	proctest.Eventually(t, 60*time.Second, "an answer to the newcomer's question and Ben's wave", func() bool {
		ms := msgs("Product questions")
		answered := slices.ContainsFunc(ms, func(m demoMsg) bool {
			return m.AuthorName == "Olivia Reyes" && m.ReplyTo == q.ID && slices.Contains(m.Mentions, self.PeerID)
		})
		waved := slices.ContainsFunc(ms, func(m demoMsg) bool { return m.ID == q.ID && m.reacted("👋", "Ben Carter") })
		return answered && waved
	})
	demo.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("demo exited with %v on SIGTERM", exitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop on SIGTERM")
	}
}
