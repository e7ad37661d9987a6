package act

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeFiles keeps what it is asked to share.
type fakeFiles struct {
	got  []byte
	fail error
}

func (f *fakeFiles) Share(r io.Reader, size int64) (root, key [32]byte, err error) {
	if f.fail != nil {
		return root, key, f.fail
	}
	f.got, err = io.ReadAll(io.LimitReader(r, size))
	root[0], key[0] = 1, 2
	return root, key, err
}

func TestSendFile(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 2000)...)
	files := &fakeFiles{}
	id, ref, err := w.act.SendFile(ctx, w.cid, w.general, files, "../../photos/Team day.png", bytes.NewReader(png), int64(len(png)), "Our team day ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files.got, png) {
		t.Fatalf("the store got %d bytes, want the %d of the file", len(files.got), len(png))
	}
	if ref.Name != "Team day.png" || ref.Mime != "image/png" || ref.Size != int64(len(png)) || ref.Root[0] != 1 || ref.Key[0] != 2 {
		t.Fatalf("file %+v", ref)
	}
	var post *crdt.Post
	w.rep.View(w.cid, func(c *crdt.Community) error {
		for _, p := range c.View(w.general).Posts {
			if p.ID == id {
				post = p
			}
		}
		return nil
	})
	if post == nil || post.File == nil || post.File.Name != "Team day.png" || post.Text != "Our team day" {
		t.Fatalf("posted %+v", post)
	}

	// Refused: too large, an unknown group, a store that fails.
	if _, _, err := w.act.SendFile(ctx, w.cid, w.general, files, "big.mp4", strings.NewReader(""), crdt.MaxFileSize+1, ""); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("file over 2 GiB: %v", err)
	}
	if _, _, err := w.act.SendFile(ctx, w.cid, crdt.ID{9}, files, "a.pdf", strings.NewReader("x"), 1, ""); !errors.Is(err, api.ErrUnknownGroup) {
		t.Errorf("unknown group: %v", err)
	}
	// Admins bound files lower: a file above is refused, in words, before
	// the store reads it; the settings show the bound.
	s, err := w.act.Settings(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	s.MaxFileSize = 1000
	if err := w.act.UpdateSettings(ctx, w.cid, s); err != nil {
		t.Fatal(err)
	}
	if s, _ := w.act.Settings(w.cid); s.MaxFileSize != 1000 {
		t.Fatalf("settings after the bound: %+v", s)
	}
	files.got = nil
	if _, _, err := w.act.SendFile(ctx, w.cid, w.general, files, "kit.zip", bytes.NewReader(png), int64(len(png)), ""); !errors.Is(err, crdt.ErrFileTooLarge) ||
		!strings.Contains(err.Error(), "kit.zip: file too large: 2.0 KiB, this community's admins allow files of at most 1000 bytes") || files.got != nil {
		t.Errorf("file over the community's bound: %v", err)
	}
	if _, _, err := w.act.SendFile(ctx, w.cid, w.general, files, "a.pdf", strings.NewReader("x"), 1, ""); err != nil {
		t.Errorf("small file under the bound: %v", err)
	}
	full := errors.New("disk full")
	if _, _, err := w.act.SendFile(ctx, w.cid, w.general, &fakeFiles{fail: full}, "a.pdf", strings.NewReader("x"), 1, ""); !errors.Is(err, full) {
		t.Errorf("failing store: %v", err)
	}
}

func TestFileNameAndType(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":             "report.pdf",
		`C:\Users\o\slides.ppt`:  "slides.ppt",
		"/":                      "file",
		"..":                     "file",
		"a\x00b\nc":              "a_b_c",
		strings.Repeat("é", 200): strings.Repeat("é", crdt.MaxFileNameLen/2),
	} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct{ head, name, want string }{
		{"%PDF-1.7", "x", "application/pdf"},
		{"\xff\xd8\xff\xe0", "photo", "image/jpeg"},
		{"\x00\x00\x00\x18ftypmp42", "training.mp4", "video/mp4"},
		{"plain words", "notes.txt", "text/plain"},
		{"plain words", "no extension", "application/octet-stream"},
	} {
		if got := mediaType([]byte(c.head), c.name); got != c.want {
			t.Errorf("mediaType(%q, %q) = %q, want %q", c.head, c.name, got, c.want)
		}
	}
}
