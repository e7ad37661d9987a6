package act

import (
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestLineEndings: text with CRLF or lone CR line endings, as Windows and
// old Mac editors write it, is sent with LF line endings instead of being
// refused for a control character.
func TestLineEndings(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	const crlf, want = "line one\r\nline two\rline three\r\n", "line one\nline two\nline three"
	post, err := w.act.Post(ctx, w.cid, w.general, crlf)
	if err != nil {
		t.Fatalf("post with CRLF: %v", err)
	}
	if _, _, b := w.body(t, post); b.(*crdt.MessageBody).Text != want {
		t.Errorf("post text %q, want %q", b.(*crdt.MessageBody).Text, want)
	}
	reply, err := w.act.Reply(ctx, w.cid, w.general, post, crlf)
	if err != nil {
		t.Fatalf("reply with CRLF: %v", err)
	}
	if _, _, b := w.body(t, reply); b.(*crdt.MessageBody).Text != want {
		t.Errorf("reply text %q, want %q", b.(*crdt.MessageBody).Text, want)
	}
	if err := w.act.Edit(ctx, w.cid, w.general, post, crlf+"!"); err != nil {
		t.Fatalf("edit with CRLF: %v", err)
	}
	ev, err := w.act.CreateEvent(ctx, w.cid, w.general, api.EventDraft{Title: "Call", Starts: w.now.Add(time.Hour), Text: crlf})
	if err != nil {
		t.Fatalf("event with CRLF: %v", err)
	}
	if _, _, b := w.body(t, ev); b.(*crdt.EventBody).Text != want {
		t.Errorf("event text %q, want %q", b.(*crdt.EventBody).Text, want)
	}
	if _, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: "Sale", Text: crlf, Ends: w.now.Add(time.Hour)}, nil); err != nil {
		t.Errorf("promotion with CRLF: %v", err)
	}
	if err := w.act.SetSteps(ctx, w.cid, []api.StepDraft{{Title: "Watch", Text: crlf}}, crlf); err != nil {
		t.Errorf("first steps with CRLF: %v", err)
	}
	if _, err := w.act.CreateGroup(ctx, w.cid, "Tips", crlf, "open"); err != nil {
		t.Errorf("group description with CRLF: %v", err)
	}
	if _, err := w.act.CreatePoll(ctx, w.cid, w.general, crlf, []string{"a", "b"}, false, time.Time{}); err != nil {
		t.Errorf("poll question with CRLF: %v", err)
	}
}
