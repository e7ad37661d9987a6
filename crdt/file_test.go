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
	if f.c.MayFetch(f.owner.pub(), root, 0) {
		t.Fatal("a file no message shares may be fetched")
	}
	m := f.op(f.owner, general.ID(), KindMessage, &MessageBody{Time: 5, File: ref})
	if !f.c.MayFetch(f.owner.pub(), root, 0) {
		t.Fatal("a member may not fetch a file of its group")
	}
	if f.c.MayFetch(newKey(99).pub(), root, 0) {
		t.Fatal("a stranger may fetch a file")
	}
	if f.c.MayFetch(f.owner.pub(), bytes.Repeat([]byte{3}, 32), 0) {
		t.Fatal("another root may be fetched")
	}
	f.op(f.owner, general.ID(), KindDelete, &DeleteBody{Target: idb(m.ID())})
	if f.c.MayFetch(f.owner.pub(), root, 0) {
		t.Fatal("the file of a deleted message may be fetched")
	}
}

// TestMayFetchPromoFile: a promotion's card shares its file with no
// message carrying it: members who read the announcements fetch it while
// the promotion runs; a removed member does not, nor anyone once the
// promotion has ended, was ended early, or was deleted — the rules of a
// deleted message's file.
func TestMayFetchPromoFile(t *testing.T) {
	w, _ := setup(t, "ann", "ben", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	ann := w.cid()
	root := bytes.Repeat([]byte{5}, 32)
	flyer := &FileRef{Name: "flyer.png", Size: 10, Mime: "image/png", Root: root, Key: bytes.Repeat([]byte{6}, 32)}
	promo := w.do("ann", ann, KindPromo, &PromoBody{Title: "Sale", Starts: 1000, Ends: 9000, File: flyer, Time: 900})
	w.remove("olivia", "cal")
	w.syncAll()
	c := w.final(rng())
	for _, tc := range []struct {
		who  string
		now  int64
		want bool
	}{{"ben", 900, true}, {"ben", 8999, true}, {"ann", 5000, true}, {"ben", 9000, false}, {"cal", 5000, false}} {
		if got := c.MayFetch(w.pub(tc.who), root, tc.now); got != tc.want {
			t.Errorf("%s at %d: MayFetch %v, want %v", tc.who, tc.now, got, tc.want)
		}
	}
	// Ended early: no longer fetched.
	w.do("ann", ann, KindPromoEdit, &PromoEditBody{Target: idb(promo.ID()), Title: "Sale", Starts: 1000, Ends: 3000, Time: 3000})
	if w.final(rng()).MayFetch(w.pub("ben"), root, 4000) {
		t.Error("the file of a promotion ended early is fetched")
	}
	// Deleted: no longer fetched, even at a time it would still run.
	w.do("ann", ann, KindDelete, &DeleteBody{Target: idb(promo.ID())})
	if w.final(rng()).MayFetch(w.pub("ben"), root, 2000) {
		t.Error("the file of a deleted promotion is fetched")
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
