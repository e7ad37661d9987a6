package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeNode is a api.API that records calls.
type fakeNode struct {
	api.API // unimplemented methods panic, which the tests would notice
	posted  []string
}

func (f *fakeNode) Self() api.Self { return api.Self{PeerID: "12D3KooWfake", Name: "Fake"} }
func (f *fakeNode) Communities() []api.Community {
	return []api.Community{{ID: crdt.ID{1}, Name: "Glow", Members: 3, Role: "owner"}}
}
func (f *fakeNode) Post(_ context.Context, c, g crdt.ID, text string) (crdt.ID, error) {
	if g != (crdt.ID{2}) {
		return crdt.ID{}, errors.New("no such group")
	}
	f.posted = append(f.posted, text)
	return crdt.ID{3}, nil
}

func serveFake(t *testing.T, f *fakeNode) *client { return serveNode(t, f) }

// serveNode serves the control API over n on a new home.
func serveNode(t *testing.T, f api.API) *client {
	home := t.TempDir()
	l, err := listenControl(home)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: controlHandler(f, slog.New(slog.DiscardHandler))}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return newClient(home)
}

func TestControlAPI(t *testing.T) {
	f := &fakeNode{}
	c := serveFake(t, f)
	ctx := t.Context()

	var cs []api.Community
	if err := c.call(ctx, "communities", args{}, &cs); err != nil || len(cs) != 1 || cs[0].Name != "Glow" {
		t.Fatalf("communities: %v %+v", err, cs)
	}
	var res struct{ ID crdt.ID }
	if err := c.call(ctx, "post", args{Community: crdt.ID{1}, Group: crdt.ID{2}, Text: "hi"}, &res); err != nil || res.ID != (crdt.ID{3}) {
		t.Fatalf("post: %v %v", err, res.ID)
	}
	if len(f.posted) != 1 || f.posted[0] != "hi" {
		t.Fatalf("node got %q", f.posted)
	}
	for name, tc := range map[string]struct {
		method string
		a      args
		want   string
	}{
		"node error":        {"post", args{Community: crdt.ID{1}, Group: crdt.ID{9}, Text: "hi"}, "no such group"},
		"missing community": {"groups", args{}, "community id is required"},
		"missing group":     {"messages", args{Community: crdt.ID{1}}, "group id is required"},
		"missing link":      {"join", args{}, "link is required"},
		"unknown method":    {"frobnicate", args{}, "unknown method"},
	} {
		if err := c.call(ctx, tc.method, tc.a, &struct{}{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// TestControlRejectsBadJSON: the server never trusts the socket.
func TestControlRejectsBadJSON(t *testing.T) {
	c := serveFake(t, &fakeNode{})
	for _, body := range []string{`{"community": "xyz"}`, `{"unknown": 1}`, `[1,2]`, strings.Repeat("x", maxBodyBytes+10)} {
		resp, err := c.http.Post("http://umbrellad/v1/groups", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("body %.20q: status %d, want 400", body, resp.StatusCode)
		}
	}
}

func TestListenControlRefusesLiveSocket(t *testing.T) {
	home := t.TempDir()
	l, err := listenControl(home)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := listenControl(home); err == nil {
		t.Fatal("a second daemon took over a live socket")
	}
	// A stale socket (nothing listening) is replaced.
	stale := t.TempDir()
	ul, _ := net.Listen("unix", filepath.Join(stale, socketName))
	ul.(*net.UnixListener).SetUnlinkOnClose(false)
	ul.Close()
	l2, err := listenControl(stale)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l2.Close()
}

func TestCLIUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, tc := range []struct {
		argv []string
		code int
		want string
	}{
		{[]string{"help"}, 0, "community create"},
		{[]string{"groups", "--home", t.TempDir()}, 2, "--community is required"},
		{[]string{"post", "--home", t.TempDir(), "--community", strings.Repeat("a", 64)}, 2, "--group is required"},
		{[]string{"communities", "--home", t.TempDir(), "extra"}, 2, "unexpected argument"},
		{[]string{"init", "--home", t.TempDir()}, 2, "--name is required"},
		{[]string{"communities", "--home", t.TempDir()}, 1, "no umbrellad is running"},
	} {
		out.Reset()
		errb.Reset()
		code := run(tc.argv, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("%v: exit %d, output %q; want %d with %q", tc.argv, code, out.String()+errb.String(), tc.code, tc.want)
		}
	}
}

// TestInvalidUTF8Refused: text that is not UTF-8 is refused with a clear
// error, by the CLI on its raw arguments and by the control API on the raw
// body (encoding/json would turn it into U+FFFD), and never reaches the
// node; paths need not be UTF-8, and real emoji pass.
func TestInvalidUTF8Refused(t *testing.T) {
	f := &fakeNode{}
	c := serveFake(t, f)
	const bad = "caf\xe9" // Latin-1
	cid, gid := strings.Repeat("01", 32), "02"+strings.Repeat("00", 31)
	for _, argv := range [][]string{
		{"post", "--community", cid, "--group", gid, "--text", bad},
		{"community", "create", "--name", bad},
		{"name", "set", "--name", bad},
		{"init", "--name", bad},
		{"group", "create", "--community", cid, "--name", "Tips", "--description", bad},
		{"poll", "create", "--community", cid, "--group", gid, "--question", "Friday?", "--option", "yes", "--option", bad},
		{"react", "--community", cid, "--group", gid, "--message", cid, "--emoji", "\xf0\x9f"},
		{"settings", "--community", cid, "--description", bad},
	} {
		var out, errb bytes.Buffer
		code := run(append(argv, "--home", c.home), &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), "is not valid UTF-8 text") {
			t.Errorf("%q: exit %d, stderr %q; want %d saying it is not valid UTF-8", argv, code, errb.String(), exitUsage)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"post", "--community", cid, "--group", gid, "--text", "Great job 🎉", "--home", c.home}, &out, &errb); code != exitOK {
		t.Fatalf("post with an emoji: exit %d: %s", code, errb.String())
	}

	for name, body := range map[string]string{
		"raw byte":         `{"community":"` + cid + `","group":"` + gid + `","text":"caf` + "\xe9" + `"}`,
		"lone high escape": `{"community":"` + cid + `","group":"` + gid + `","text":"caf\ud83d"}`,
		"lone low escape":  `{"community":"` + cid + `","group":"` + gid + `","text":"\ude00 caf"}`,
		"high then no low": `{"community":"` + cid + `","group":"` + gid + `","text":"\ud83d\u0041"}`,
		"truncated escape": `{"community":"` + cid + `","group":"` + gid + `","text":"\ud83`,
	} {
		resp, err := c.http.Post("http://umbrellad/v1/post", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, "bad request") {
			t.Errorf("%s: status %d, error %q; want 400", name, resp.StatusCode, e.Error)
		}
	}
	// Escapes that are text pass: a surrogate pair, an escaped backslash
	// before a u.
	for _, text := range []string{`\ud83c\udf89 party`, `C:\\udir`} {
		body := `{"community":"` + cid + `","group":"` + gid + `","text":"` + text + `"}`
		resp, err := c.http.Post("http://umbrellad/v1/post", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("text %s: status %d", text, resp.StatusCode)
		}
	}
	if want := []string{"Great job 🎉", "🎉 party", `C:\udir`}; !slices.Equal(f.posted, want) {
		t.Fatalf("the node got %q, want %q", f.posted, want)
	}
}

// bigGroup is a node whose group holds many long messages.
type bigGroup struct {
	fakeNode
	msgs  []api.Message
	pages int // MessagePage calls
}

func (b *bigGroup) Messages(c, g crdt.ID) ([]api.Message, error) { return b.msgs, nil }
func (b *bigGroup) MessagePage(c, g crdt.ID, from, limit int) (api.Page, error) {
	b.pages++
	limit = min(max(limit, 1), api.MaxPage)
	if from < 0 {
		from = max(0, len(b.msgs)-limit)
	}
	from = min(from, len(b.msgs))
	return api.Page{Total: len(b.msgs), From: from, Messages: b.msgs[from:min(from+limit, len(b.msgs))], FirstUnread: -1}, nil
}

// TestMessagesBeyondResponseLimit: `messages` shows a group whose messages
// together exceed the control API's answer limit (64 MiB; here 64 KiB),
// a page at a time, halving pages too big for the limit, and prints every
// message once, in order, as JSON or for people.
func TestMessagesBeyondResponseLimit(t *testing.T) {
	defer func(old int64) { maxResponseBytes = old }(maxResponseBytes)
	maxResponseBytes = 64 << 10
	b := &bigGroup{}
	for i := range 700 {
		b.msgs = append(b.msgs, api.Message{ID: crdt.ID{byte(i), byte(i >> 8), 9}, Kind: "message", AuthorName: "Olivia",
			Text: fmt.Sprintf("message %d: %s", i, strings.Repeat("x", 1000))})
	}
	c := serveNode(t, b)
	argv := []string{"messages", "--community", strings.Repeat("01", 32), "--group", strings.Repeat("02", 32), "--home", c.home}

	var out, errb bytes.Buffer
	if code := run(append(argv, "--json"), &out, &errb); code != exitOK {
		t.Fatalf("messages --json: exit %d: %s", code, errb.String())
	}
	var got []api.Message
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("messages --json: not one JSON array (%d bytes): %v", out.Len(), err)
	}
	if len(got) != len(b.msgs) {
		t.Fatalf("messages --json: %d messages, want %d", len(got), len(b.msgs))
	}
	for i := range got {
		if got[i].ID != b.msgs[i].ID || got[i].Text != b.msgs[i].Text {
			t.Fatalf("message %d: %s %.20q, want %s", i, got[i].ID.Short(), got[i].Text, b.msgs[i].ID.Short())
		}
	}
	if b.pages < 3 {
		t.Fatalf("%d pages for %d KiB of messages under a 64 KiB limit", b.pages, out.Len()>>10)
	}

	out.Reset()
	if code := run(argv, &out, &errb); code != exitOK {
		t.Fatalf("messages: exit %d: %s", code, errb.String())
	}
	for _, i := range []int{0, 350, 699} {
		if !strings.Contains(out.String(), fmt.Sprintf("message %d: x", i)) {
			t.Fatalf("messages: message %d is missing", i)
		}
	}
	if lines := strings.Count(out.String(), "\n"); lines != len(b.msgs) {
		t.Fatalf("messages: %d lines, want %d", lines, len(b.msgs))
	}
}

// TestCallCutShortByDaemonExit: a daemon that dies after taking a call
// (kill -9 during a download) is said as such, resumable, not as the
// HTTP client's bare "EOF".
func TestCallCutShortByDaemonExit(t *testing.T) {
	home := t.TempDir()
	l, err := listenControl(home)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Read the request, then vanish without an answer.
			c.Read(make([]byte, 4096))
			c.Close()
		}
	}()
	var out api.GotFile
	err = newClient(home).call(t.Context(), "file.get", args{}, &out)
	var re resumableError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "stopped before it answered") || !strings.Contains(err.Error(), "umbrellad serve --home "+home) {
		t.Fatalf("a daemon gone mid-call: %v (resumable %v)", err, errors.As(err, &re))
	}
}
