package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

type fileEntry struct {
	Message   string `json:"message"`
	Group     string `json:"group"`
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	Mime      string `json:"mime"`
	Root      string `json:"root"`
	Author    string `json:"author"`
	HaveBytes int64  `json:"have_bytes"`
	State     string `json:"state"`
}

// TestE2EFiles drives three real daemons: Olivia shares a 3 MB file in
// General, Ben sees it as a file message and in the files list, gets it
// (the same bytes, from Olivia), gets it again at once from his own copy,
// and frees his copy; Cal, who is not a member, cannot get it.
func TestE2EFiles(t *testing.T) {
	olivia, ben, cal := newDaemon(t, "Olivia"), newDaemon(t, "Ben"), newDaemon(t, "Cal")
	for _, d := range []*daemon{olivia, ben, cal} {
		d.start()
	}
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	var inv struct{ Link string }
	olivia.jsonRun(&inv, "invite", "create", "--community", c)
	ben.mustRun("join", "--link", inv.Link)
	var groups []struct{ ID string }
	olivia.jsonRun(&groups, "groups", "--community", c)
	general := groups[1].ID

	plain := make([]byte, 3<<20+123)
	rand.Read(plain)
	src := filepath.Join(t.TempDir(), "training.mp4")
	if err := os.WriteFile(src, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	var sent struct {
		ID   string `json:"id"`
		File struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
			Mime string `json:"mime"`
			Root string `json:"root"`
		} `json:"file"`
	}
	olivia.jsonRun(&sent, "file", "send", "--community", c, "--group", general, "--path", src, "--caption", "Week 1 training")
	if sent.ID == "" || sent.File.Name != "training.mp4" || sent.File.Size != int64(len(plain)) || sent.File.Mime != "video/mp4" || len(sent.File.Root) != 64 {
		t.Fatalf("file send printed %+v", sent)
	}

	proctest.Eventually(t, 20*time.Second, "ben to see the file message", func() bool {
		out := ben.mustRun("messages", "--community", c, "--group", general, "--json")
		return strings.Contains(out, `"kind": "file"`) && strings.Contains(out, `"root": "`+sent.File.Root+`"`)
	})
	if out := ben.mustRun("messages", "--community", c, "--group", general, "--json"); strings.Contains(out, `"key"`) {
		t.Fatalf("messages --json shows the file key:\n%s", out)
	}
	var fs []fileEntry
	ben.jsonRun(&fs, "files", "--community", c)
	if len(fs) != 1 || fs[0].Message != sent.ID || fs[0].Group != general || fs[0].State != "remote" || fs[0].Root != sent.File.Root {
		t.Fatalf("ben's files before the download: %+v", fs)
	}

	dst := filepath.Join(t.TempDir(), "week1.mp4")
	var got struct {
		Path    string   `json:"path"`
		Size    int64    `json:"size"`
		Root    string   `json:"root"`
		Sources []string `json:"sources"`
		Seconds float64  `json:"seconds"`
	}
	ben.jsonRun(&got, "file", "get", "--community", c, "--group", general, "--message", sent.ID, "--out", dst)
	oliviaID := ben.members(c)["Olivia"].PeerID
	if got.Path != dst || got.Size != int64(len(plain)) || got.Root != sent.File.Root || len(got.Sources) != 1 || got.Sources[0] != oliviaID {
		t.Fatalf("file get printed %+v", got)
	}
	if back, err := os.ReadFile(dst); err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("ben's copy differs: %v", err)
	}
	ben.jsonRun(&fs, "files", "--community", c, "--group", general)
	if len(fs) != 1 || fs[0].State != "complete" || fs[0].HaveBytes != int64(len(plain)) {
		t.Fatalf("ben's files after the download: %+v", fs)
	}
	// Again: from his own copy, no source needed.
	again := filepath.Join(t.TempDir(), "again.mp4")
	ben.jsonRun(&got, "file", "get", "--community", c, "--group", general, "--message", sent.ID, "--out", again)
	if len(got.Sources) != 0 {
		t.Fatalf("second get took chunks from %v", got.Sources)
	}
	ben.mustRun("file", "delete-local", "--community", c, "--message", sent.ID)
	ben.jsonRun(&fs, "files", "--community", c)
	if len(fs) != 1 || fs[0].State != "remote" {
		t.Fatalf("ben's files after delete-local: %+v", fs)
	}

	// A text message is not a file; Cal, no member, gets nothing.
	var post struct{ ID string }
	olivia.jsonRun(&post, "post", "--community", c, "--group", general, "--text", "hello")
	if _, errOut, code := olivia.cli("file", "get", "--community", c, "--group", general, "--message", post.ID, "--out", dst); code != 1 || !strings.Contains(errOut, "shares no file") {
		t.Fatalf("get of a text message: exit %d, %q", code, errOut)
	}
	calOut := filepath.Join(t.TempDir(), "cal.mp4")
	if _, errOut, code := cal.cli("file", "get", "--community", c, "--group", general, "--message", sent.ID, "--out", calOut); code == 0 {
		t.Fatalf("a non-member got the file: %q", errOut)
	}
	if _, err := os.Stat(calOut); err == nil {
		t.Fatal("a non-member wrote the file")
	}
	// Too large a file is refused with a clear error, before any work.
	big := filepath.Join(t.TempDir(), "huge.bin")
	if f, err := os.Create(big); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(2<<30 + 1)
		f.Close()
	}
	if _, errOut, code := olivia.cli("file", "send", "--community", c, "--group", general, "--path", big); code != 1 || !strings.Contains(errOut, "too large") {
		t.Fatalf("send of a file over 2 GiB: exit %d, %q", code, errOut)
	}

	// The admins bound files at 1 MB: the 3 MB file is refused when sent
	// and, once Ben's node knows the bound, when he fetches it again.
	olivia.mustRun("settings", "--community", c, "--max-file-size", "1MiB")
	const bound = "this community's admins allow files of at most 1 MiB"
	if _, errOut, code := olivia.cli("file", "send", "--community", c, "--group", general, "--path", src); code != 1 || !strings.Contains(errOut, bound) {
		t.Fatalf("send above the community's bound: exit %d, %q", code, errOut)
	}
	proctest.Eventually(t, 20*time.Second, "ben to learn the bound", func() bool {
		var st struct {
			MaxFileSize int64 `json:"max_file_size"`
		}
		ben.jsonRun(&st, "settings", "--community", c)
		return st.MaxFileSize == 1<<20
	})
	if _, errOut, code := ben.cli("file", "get", "--community", c, "--group", general, "--message", sent.ID, "--out", filepath.Join(t.TempDir(), "x")); code != 1 || !strings.Contains(errOut, bound) {
		t.Fatalf("get above the community's bound: exit %d, %q", code, errOut)
	}
}
