package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fileNode is a node whose file calls record what they were given.
type fileNode struct {
	api.API
	path, caption, out string
	getErr             error // what GetFile fails with, if set
	refused            []api.RefusedSource
}

func (f *fileNode) FileStatus(_, msg crdt.ID) (api.FileEntry, error) {
	return api.FileEntry{Message: msg, Name: "../kit.pdf", Size: 3}, nil
}

func (f *fileNode) SendFile(_ context.Context, _, _ crdt.ID, path, caption string) (api.SentFile, error) {
	f.path, f.caption = path, caption
	return api.SentFile{ID: crdt.ID{5}, File: api.File{Name: "kit.pdf", Size: 3, Mime: "application/pdf", Root: "ab", Key: []byte{1, 2, 3}}}, nil
}

func (f *fileNode) GetFile(_ context.Context, _, _, _ crdt.ID, out string, _ func(api.FileProgress)) (api.GotFile, error) {
	f.out = out
	if f.getErr != nil {
		return api.GotFile{}, f.getErr
	}
	return api.GotFile{Path: out, Size: 3, Root: "ab", Sources: []string{"olivia"}, Refused: f.refused}, nil
}

// TestControlFiles: the file methods pass their arguments through, want
// absolute paths, and never show a file's key.
func TestControlFiles(t *testing.T) {
	f := &fileNode{}
	c := serveNode(t, f)
	ctx := t.Context()
	var raw map[string]any
	if err := c.call(ctx, "file.send", args{Community: crdt.ID{1}, Group: crdt.ID{2}, Path: "/tmp/kit.pdf", Text: "prices"}, &raw); err != nil {
		t.Fatal(err)
	}
	if f.path != "/tmp/kit.pdf" || f.caption != "prices" {
		t.Fatalf("node got %q, %q", f.path, f.caption)
	}
	file, _ := raw["file"].(map[string]any)
	if raw["id"] != (crdt.ID{5}).String() || file["name"] != "kit.pdf" || file["root"] != "ab" || len(file) != 4 {
		t.Fatalf("file.send answered %v", raw)
	}
	var got api.GotFile
	if err := c.call(ctx, "file.get", args{Community: crdt.ID{1}, Group: crdt.ID{2}, Message: crdt.ID{5}, Out: "/tmp/out.pdf"}, &got); err != nil || f.out != "/tmp/out.pdf" {
		t.Fatalf("file.get: %v, node got %q", err, f.out)
	}
	for _, tc := range []struct {
		method string
		a      args
		want   string
	}{
		{"file.send", args{Community: crdt.ID{1}, Group: crdt.ID{2}, Path: "kit.pdf"}, "absolute path"},
		{"file.get", args{Community: crdt.ID{1}, Group: crdt.ID{2}, Message: crdt.ID{5}, Out: "out.pdf"}, "absolute output path"},
		{"file.get", args{Community: crdt.ID{1}, Group: crdt.ID{2}, Out: "/tmp/x"}, "message id is required"},
		{"file.delete-local", args{Community: crdt.ID{1}}, "message id is required"},
		{"files", args{}, "community id is required"},
	} {
		if err := c.call(ctx, tc.method, tc.a, &raw); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: %v, want %q", tc.method, tc.a, err, tc.want)
		}
	}
}

// TestParseFileSize: the --max-file-size flag reads units as their names
// say (MB = 10^6 bytes, MiB = 2^20), from 1 byte to 2 GiB.
func TestParseFileSize(t *testing.T) {
	for in, want := range map[string]int64{"100MB": 100e6, "100MiB": 100 << 20, "1gib": 1 << 30, "2GiB": 2 << 30, "2GB": 2e9, "512 KiB": 512 << 10, "512 kb": 512e3, "7": 7, "3B": 3} {
		if got, err := parseFileSize(in); err != nil || got != want {
			t.Errorf("parseFileSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1MB", "3GB", "2049MiB", "2148MB", "lots", "1.5GB"} {
		if _, err := parseFileSize(bad); err == nil {
			t.Errorf("parseFileSize(%q) took it", bad)
		}
	}
}

// TestFileGetOut: --out ending in a slash, or naming a directory, is a
// directory (created if need be) where the file keeps its shared name,
// never a file named like the directory; only resumable failures are
// called an interruption.
func TestFileGetOut(t *testing.T) {
	f := &fileNode{}
	c := serveNode(t, f)
	dir := t.TempDir()
	get := func(out string) (int, string) {
		var o, e bytes.Buffer
		code := run([]string{"file", "get", "--home", c.home, "--community", crdt.ID{1}.String(), "--group", crdt.ID{2}.String(),
			"--message", crdt.ID{5}.String(), "--out", out}, &o, &e)
		return code, o.String() + e.String()
	}
	for _, tc := range []struct{ out, want string }{
		{filepath.Join(dir, "new", "sub") + "/", filepath.Join(dir, "new", "sub", "kit.pdf")},
		{dir, filepath.Join(dir, "kit.pdf")},
		{filepath.Join(dir, "plain.pdf"), filepath.Join(dir, "plain.pdf")},
	} {
		if code, out := get(tc.out); code != exitOK || f.out != tc.want {
			t.Errorf("--out %s: exit %d (%s), wrote to %q, want %q", tc.out, code, out, f.out, tc.want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "new", "sub")); err != nil || !fi.IsDir() {
		t.Errorf("--out DIR/ did not create the directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := get(filepath.Join(dir, "file") + "/"); code != exitFail || !strings.Contains(out, "not a directory") {
		t.Errorf("--out FILE/: exit %d, %q", code, out)
	}
	for _, tc := range []struct {
		err         error
		interrupted bool
	}{
		{fmt.Errorf("%w: 3 GiB, files are at most 2 GiB", api.ErrFileTooLarge), false},
		{fmt.Errorf("kit.pdf: %w", crdt.ErrUnauthorized), false},
		{fmt.Errorf("kit.pdf: %w", api.ErrNoSource), true},
	} {
		f.getErr = tc.err
		code, out := get(filepath.Join(dir, "x.pdf"))
		if code != exitFail || strings.Contains(out, "interrupted") != tc.interrupted || !strings.Contains(out, tc.err.Error()) {
			t.Errorf("GetFile failing with %v: exit %d, %q (want interrupted: %v)", tc.err, code, out, tc.interrupted)
		}
	}
}

// TestFileGetRefused: the sources a download dropped, or left out for an
// earlier failure, are said with why, in words and in --json.
func TestFileGetRefused(t *testing.T) {
	f := &fileNode{refused: []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData}, {Peer: "relay", Reason: api.RefusedStalled, LeftOut: true}}}
	c := serveNode(t, f)
	get := func(extra ...string) string {
		var o, e bytes.Buffer
		a := append([]string{"file", "get", "--home", c.home, "--community", crdt.ID{1}.String(), "--group", crdt.ID{2}.String(),
			"--message", crdt.ID{5}.String(), "--out", filepath.Join(t.TempDir(), "kit.pdf")}, extra...)
		if code := run(a, &o, &e); code != exitOK {
			t.Fatalf("file get %v: exit %d, %s", extra, code, e.String())
		}
		return o.String()
	}
	out := get()
	for _, want := range []string{"from 1 source\n", "Dropped cal: it sent data that failed verification\n", "Left out relay: it stopped sending in an earlier download\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("file get said %q, want %q in it", out, want)
		}
	}
	var raw struct {
		Refused json.RawMessage `json:"refused_sources"`
	}
	out = get("--json")
	var compact bytes.Buffer
	if err := json.Unmarshal([]byte(out), &raw); err != nil || json.Compact(&compact, raw.Refused) != nil {
		t.Fatalf("file get --json said %s (%v)", out, err)
	}
	if want := `[{"peer":"cal","reason":"bad_data"},{"peer":"relay","reason":"stalled","left_out":true}]`; compact.String() != want {
		t.Errorf("refused_sources %s, want %s", compact.String(), want)
	}
}
