package act

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// FileStore keeps the files this node shares (package sync/blob): Share
// encrypts size clear bytes read from r under a fresh key of their own,
// keeps the ciphertext to serve, and returns its root and the key.
type FileStore interface {
	Share(r io.Reader, size int64) (root, key [32]byte, err error)
}

// SendFile shares size bytes read from r as the file name in group gid of
// community cid, with caption as the message's text (may be empty), and
// returns the message and the file it carries: StoreFile, then PostFile.
func (a *Actions) SendFile(ctx context.Context, cid, gid crdt.ID, files FileStore, name string, r io.Reader, size int64, caption string) (crdt.ID, crdt.FileRef, error) {
	ref, err := a.StoreFile(ctx, cid, gid, files, name, r, size)
	if err != nil {
		return crdt.ID{}, crdt.FileRef{}, err
	}
	id, err := a.PostFile(ctx, cid, gid, ref, caption)
	return id, ref, err
}

// StoreFile stores size bytes read from r as the file name, to be shown
// in group gid of community cid, in files, and returns its reference
// without posting anything: the post that shows it (PostFile's message,
// a promotion's card) is written once the file can be served. Its media
// type is sniffed from its first bytes, or else its name. An image (JPEG,
// PNG or GIF of at most MaxThumbSource bytes) gets a thumbnail
// (Thumbnail).
func (a *Actions) StoreFile(ctx context.Context, cid, gid crdt.ID, files FileStore, name string, r io.Reader, size int64) (crdt.FileRef, error) {
	name = fileName(name)
	if size < 0 || size > crdt.MaxFileSize {
		return crdt.FileRef{}, fmt.Errorf("%w: %s is %d bytes, files are at most 2 GiB", crdt.ErrInvalid, name, size)
	}
	if err := a.checkGroup(cid, gid); err != nil {
		return crdt.FileRef{}, err
	}
	if err := a.rep.View(cid, func(c *crdt.Community) error { return c.State().CheckFileSize(size) }); err != nil {
		return crdt.FileRef{}, fmt.Errorf("%s: %w", name, err)
	}
	br := bufio.NewReaderSize(r, 512)
	head, _ := br.Peek(512)
	ref := crdt.FileRef{Name: name, Size: size, Mime: mediaType(head, name)}
	var src io.Reader = br
	if thumbable(ref.Mime, size) {
		// An image small enough is read whole once, to preview it too.
		data, err := io.ReadAll(io.LimitReader(br, size))
		if err != nil {
			return crdt.FileRef{}, fmt.Errorf("read %s: %w", name, err)
		}
		ref.Thumb = Thumbnail(data)
		src = bytes.NewReader(data)
	}
	root, key, err := files.Share(src, size)
	if err != nil {
		return crdt.FileRef{}, fmt.Errorf("share %s: %w", name, err)
	}
	ref.Root, ref.Key = root[:], key[:]
	return ref, nil
}

// PostFile posts a message sharing file ref (stored by StoreFile) in
// group gid of community cid, with caption as its text (may be empty).
func (a *Actions) PostFile(ctx context.Context, cid, gid crdt.ID, ref crdt.FileRef, caption string) (crdt.ID, error) {
	caption = strings.TrimRight(caption, " \t\r\n")
	b := &crdt.MessageBody{Text: lines(caption), Time: a.millis(), File: &ref}
	if err := a.rep.View(cid, func(c *crdt.Community) error {
		b.Mentions = mentions(c.State(), caption)
		return nil
	}); err != nil {
		return crdt.ID{}, err
	}
	return a.write(ctx, cid, gid, crdt.KindMessage, b)
}

// fileName is the last element of a path, made a valid file name: no
// directories, no control characters, at most crdt.MaxFileNameLen bytes.
func fileName(p string) string {
	p = filepath.Base(strings.ReplaceAll(p, `\`, "/"))
	p = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, strings.TrimSpace(p))
	for len(p) > crdt.MaxFileNameLen {
		_, n := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-n]
	}
	if p == "" || p == "." || p == ".." || p == "/" {
		return "file"
	}
	return p
}

// magic numbers of the media types worth knowing without a name.
var magic = []struct {
	off    int
	prefix string
	mime   string
}{
	{0, "\x89PNG\r\n\x1a\n", "image/png"},
	{0, "\xff\xd8\xff", "image/jpeg"},
	{0, "GIF8", "image/gif"},
	{8, "WEBP", "image/webp"},
	{0, "%PDF-", "application/pdf"},
	{4, "ftyp", "video/mp4"},
	{0, "\x1a\x45\xdf\xa3", "video/webm"},
	{0, "ID3", "audio/mpeg"},
	{0, "OggS", "audio/ogg"},
}

// mediaType sniffs a file's media type from its first bytes, or else from
// its name's extension; application/octet-stream when neither tells.
func mediaType(head []byte, name string) string {
	for _, m := range magic {
		if len(head) >= m.off+len(m.prefix) && bytes.Equal(head[m.off:m.off+len(m.prefix)], []byte(m.prefix)) {
			if m.mime == "video/mp4" && strings.HasSuffix(strings.ToLower(name), ".mov") {
				return "video/quicktime"
			}
			return m.mime
		}
	}
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		t, _, _ = strings.Cut(t, ";")
		t = strings.ToLower(strings.TrimSpace(t))
		if crdt.CheckMediaType(t) == nil {
			return t
		}
	}
	return "application/octet-stream"
}
