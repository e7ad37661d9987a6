package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// pictureNode records the pictures it is given.
type pictureNode struct {
	api.API // unimplemented methods panic, which the tests would notice
	photo   []byte
	icon    []byte
	iconOf  crdt.ID
}

func (p *pictureNode) SetPhoto(_ context.Context, b []byte) error { p.photo = b; return nil }
func (p *pictureNode) SetIcon(_ context.Context, c crdt.ID, b []byte) error {
	p.iconOf, p.icon = c, b
	return nil
}

// TestPictureCommands: `photo set` and `community icon set` send the
// file's centred square as a picture the protocol carries; a file that is
// no picture is refused before it reaches the daemon.
func TestPictureCommands(t *testing.T) {
	f := &pictureNode{}
	c := serveNode(t, f)
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 600, 400))); err != nil {
		t.Fatal(err)
	}
	photo, text := filepath.Join(dir, "me.png"), filepath.Join(dir, "notes.txt")
	os.WriteFile(photo, buf.Bytes(), 0o600)
	os.WriteFile(text, []byte("hello"), 0o600)
	cid := crdt.ID{1}.String()

	var out, errb bytes.Buffer
	if code := run([]string{"photo", "set", "--path", photo, "--home", c.home}, &out, &errb); code != exitOK {
		t.Fatalf("photo set: exit %d: %s", code, errb.String())
	}
	if err := crdt.CheckImage(f.photo); err != nil {
		t.Fatalf("photo sent: %v", err)
	}
	if code := run([]string{"community", "icon", "set", "--community", cid, "--path", photo, "--home", c.home}, &out, &errb); code != exitOK {
		t.Fatalf("icon set: exit %d: %s", code, errb.String())
	}
	if f.iconOf != (crdt.ID{1}) || crdt.CheckImage(f.icon) != nil {
		t.Fatalf("icon sent to %s: %d bytes", f.iconOf.Short(), len(f.icon))
	}
	if code := run([]string{"photo", "remove", "--home", c.home}, &out, &errb); code != exitOK || f.photo != nil {
		t.Fatalf("photo remove: exit %d, photo %d bytes: %s", code, len(f.photo), errb.String())
	}
	errb.Reset()
	f.icon = nil
	code := run([]string{"community", "icon", "set", "--community", cid, "--path", text, "--home", c.home}, &out, &errb)
	if code == exitOK || !strings.Contains(errb.String(), "not a JPEG or PNG") || f.icon != nil {
		t.Fatalf("text as icon: exit %d, stderr %q", code, errb.String())
	}
}
