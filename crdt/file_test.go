package crdt

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestFileMessage: a file message may have an empty caption, and its
// file reference is checked field by field.
func TestFileMessage(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	good := func() *FileRef {
		return &FileRef{Name: "Training video.mp4", Size: 1 << 30, Mime: "video/mp4", Root: key, Key: key}
	}
	if _, err := EncodeBody(&MessageBody{Time: 1, File: good()}); err != nil {
		t.Fatalf("file with no caption: %v", err)
	}
	if _, err := EncodeBody(&MessageBody{Time: 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty message with no file: %v", err)
	}
	for name, spoil := range map[string]func(f *FileRef){
		"no name":         func(f *FileRef) { f.Name = " " },
		"directory":       func(f *FileRef) { f.Name = "../.ssh/id" },
		"backslash":       func(f *FileRef) { f.Name = `a\b` },
		"dot dot":         func(f *FileRef) { f.Name = ".." },
		"control":         func(f *FileRef) { f.Name = "a\nb" },
		"long name":       func(f *FileRef) { f.Name = strings.Repeat("a", MaxFileNameLen+1) },
		"negative size":   func(f *FileRef) { f.Size = -1 },
		"over 2 GiB":      func(f *FileRef) { f.Size = MaxFileSize + 1 },
		"short root":      func(f *FileRef) { f.Root = key[:31] },
		"no key":          func(f *FileRef) { f.Key = nil },
		"mime no slash":   func(f *FileRef) { f.Mime = "video" },
		"mime upper case": func(f *FileRef) { f.Mime = "Video/MP4" },
		"mime two slash":  func(f *FileRef) { f.Mime = "a/b/c" },
		"mime space":      func(f *FileRef) { f.Mime = "text/plain; charset=utf-8" },
		"big thumbnail":   func(f *FileRef) { f.Thumb = make([]byte, MaxThumbSize+1) },
	} {
		f := good()
		spoil(f)
		if _, err := EncodeBody(&MessageBody{Text: "see this", Time: 1, File: f}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	f := good()
	f.Size, f.Mime, f.Thumb = MaxFileSize, "application/vnd.ms-powerpoint", make([]byte, MaxThumbSize)
	if _, err := EncodeBody(&MessageBody{Text: "slides", Time: 1, File: f}); err != nil {
		t.Fatalf("largest file: %v", err)
	}
}

// TestFileInView: a file message's post carries its file, and deleting
// the message drops it.
func TestFileInView(t *testing.T) {
	f := newFixture(t)
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	ref := &FileRef{Name: "prices.pdf", Size: 12345, Mime: "application/pdf", Root: bytes.Repeat([]byte{1}, 32), Key: bytes.Repeat([]byte{2}, 32)}
	m := f.op(f.owner, general.ID(), KindMessage, &MessageBody{Time: 5, File: ref})
	posts := f.c.View(general.ID()).Posts
	if len(posts) != 1 || posts[0].File == nil || posts[0].File.Name != "prices.pdf" || !bytes.Equal(posts[0].File.Key, ref.Key) {
		t.Fatalf("posts %+v, want one with the file", posts)
	}
	f.op(f.owner, general.ID(), KindDelete, &DeleteBody{Target: idb(m.ID())})
	if p := f.c.View(general.ID()).Posts[0]; !p.Deleted || p.File != nil {
		t.Fatalf("deleted post keeps its file: %+v", p)
	}
}

// TestMayFetch: a file is fetched by members who may read a group where
// it is shared, until the message is deleted.
func TestMayFetch(t *testing.T) {
	f := newFixture(t)
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	root := bytes.Repeat([]byte{1}, 32)
	ref := &FileRef{Name: "prices.pdf", Size: 1, Root: root, Key: bytes.Repeat([]byte{2}, 32)}
	if f.c.MayFetch(f.owner.pub(), root) {
		t.Fatal("a file no message shares may be fetched")
	}
	m := f.op(f.owner, general.ID(), KindMessage, &MessageBody{Time: 5, File: ref})
	if !f.c.MayFetch(f.owner.pub(), root) {
		t.Fatal("a member may not fetch a file of its group")
	}
	if f.c.MayFetch(newKey(99).pub(), root) {
		t.Fatal("a stranger may fetch a file")
	}
	if f.c.MayFetch(f.owner.pub(), bytes.Repeat([]byte{3}, 32)) {
		t.Fatal("another root may be fetched")
	}
	f.op(f.owner, general.ID(), KindDelete, &DeleteBody{Target: idb(m.ID())})
	if f.c.MayFetch(f.owner.pub(), root) {
		t.Fatal("the file of a deleted message may be fetched")
	}
}

// TestFileLimit: admins bound the files of a community below 2 GiB in its
// settings; the bound is checked on the settings op and judged by the
// state, which says it in words.
func TestFileLimit(t *testing.T) {
	f := newFixture(t)
	st := f.c.State()
	if st.FileLimit() != MaxFileSize || st.CheckFileSize(MaxFileSize) != nil {
		t.Fatalf("default limit %d", st.FileLimit())
	}
	if err := st.CheckFileSize(MaxFileSize + 1); !errors.Is(err, ErrFileTooLarge) || !strings.Contains(err.Error(), "files are at most 2 GiB") {
		t.Fatalf("over 2 GiB: %v", err)
	}
	f.op(f.owner, ZeroID, KindSettings, &SettingsBody{Name: "Glow Team", MaxFileSize: 100 << 20})
	st = f.c.State()
	if st.FileLimit() != 100<<20 || st.CheckFileSize(100<<20) != nil {
		t.Fatalf("limit after the settings: %d", st.FileLimit())
	}
	if last := st.Audit[len(st.Audit)-1]; last.Kind != KindSettings || last.FileLimit != 100<<20 {
		t.Fatalf("the audit of the settings: %+v", last)
	}
	err := st.CheckFileSize(1400 << 20)
	if !errors.Is(err, ErrFileTooLarge) || !strings.Contains(err.Error(), "1.4 GiB, this community's admins allow files of at most 100 MiB") {
		t.Fatalf("over the community's limit: %v", err)
	}
	// Settings written again without the field lift the limit.
	f.op(f.owner, ZeroID, KindSettings, &SettingsBody{Name: "Glow Team"})
	if f.c.State().FileLimit() != MaxFileSize {
		t.Fatal("the limit stayed after settings without one")
	}
	for _, bad := range []int64{-1, MaxFileSize + 1} {
		if _, err := EncodeBody(&SettingsBody{Name: "Glow Team", MaxFileSize: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("limit %d: %v, want ErrInvalid", bad, err)
		}
	}
}
