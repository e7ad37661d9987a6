package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Files: `file send` shares one in a group, `file get` downloads the one a
// message shares (resuming), `files` lists them, `file delete-local` frees
// the local copy.

var fileCommands = []command{
	{"file send", "share a file (up to 2 GiB) in a group", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		fs.StringVar(&o.path, "path", "", "the file to share (required)")
		fs.StringVar(&o.text, "caption", "", "a caption shown with it")
	}, cmdFileSend},
	{"file get", "download the file a message shares (run again to resume)", func(fs *flag.FlagSet, o *opts) {
		messageFlags(fs, o)
		fs.StringVar(&o.path, "out", "", "where to write it (required)")
	}, cmdFileGet},
	{"files", "list the files shared in a community or group", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.group, "group", "", "only this group")
	}, cmdFiles},
	{"file delete-local", "free this node's copy of a shared file", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.message, "message", "", "the file message's id (required)")
	}, cmdFileDeleteLocal},
}

// fileMethods are the control methods of files.
func fileMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"file.send": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			if !filepath.IsAbs(a.Path) {
				return nil, badRequest{errors.New("an absolute path is required")}
			}
			return n.SendFile(ctx, a.Community, a.Group, a.Path, a.Text)
		},
		"file.get": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			if !filepath.IsAbs(a.Out) {
				return nil, badRequest{errors.New("an absolute output path is required")}
			}
			return n.GetFile(ctx, a.Community, a.Group, a.Message, a.Out, nil)
		},
		"file.status": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.FileStatus(a.Community, a.Message)
		},
		"files": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Files(a.Community, a.Group)
		},
		"file.delete-local": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if a.Message.IsZero() {
				return nil, badRequest{errors.New("message id is required")}
			}
			return done(n.DeleteLocalFile(ctx, a.Community, a.Message))
		},
	}
}

func cmdFileSend(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	if err := required("path", o.path); err != nil {
		return err
	}
	path, err := filepath.Abs(o.path)
	if err != nil {
		return err
	}
	var res api.SentFile
	// Encrypting and hashing 2 GiB takes a while.
	if err := call(ctx, o, "file.send", args{Community: cid, Group: gid, Path: path, Text: o.text}, &res, 30*time.Minute); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) {
		fmt.Fprintf(w, "Sent %s (%s)\nid:\t%s\nroot:\t%s\n", res.File.Name, crdt.SizeText(res.File.Size), res.ID, res.File.Root)
	})
}

func cmdFileGet(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	mid, err := parseID("message", o.message)
	if err != nil {
		return err
	}
	if err := required("out", o.path); err != nil {
		return err
	}
	out, err := outPath(ctx, o, cid, mid)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go showProgress(pctx, o, cid, mid)
	var res api.GotFile
	err = newClient(o.home).call(pctx, "file.get", args{Community: cid, Group: gid, Message: mid, Out: out}, &res)
	cancel()
	if err != nil {
		// Only what running the command again can resume is an
		// interruption; a refusal (too large, a bad hash, no right to
		// the file) is said as it is.
		var re resumableError
		if ctx.Err() != nil || errors.As(err, &re) {
			return fmt.Errorf("interrupted; run the same command again to resume: %w", err)
		}
		return err
	}
	return output(o, res, func(w io.Writer) {
		fmt.Fprintf(w, "Saved %s (%s) in %.1fs from %s\n", res.Path, crdt.SizeText(res.Size), res.Seconds, plural(len(res.Sources), "source", "sources"))
		for _, l := range refusedLines(res.Refused) {
			fmt.Fprintln(w, l)
		}
	})
}

// refusedLines say which sources a download dropped or left out, and why.
func refusedLines(rs []api.RefusedSource) []string {
	var out []string
	for _, r := range rs {
		why := "sent data that failed verification"
		if r.Reason == api.RefusedStalled {
			why = "stopped sending"
		}
		if r.LeftOut {
			out = append(out, fmt.Sprintf("Left out %s: it %s in an earlier download", r.Peer, why))
		} else {
			out = append(out, fmt.Sprintf("Dropped %s: it %s", r.Peer, why))
		}
	}
	return out
}

// outPath is the absolute path file get writes to. --out ending in a
// path separator, or naming a directory, means a directory: it is created
// if need be, and the file keeps the name it was shared with there.
func outPath(ctx context.Context, o *opts, cid, mid crdt.ID) (string, error) {
	out, err := filepath.Abs(o.path)
	if err != nil {
		return "", err
	}
	fi, statErr := os.Stat(out)
	isDir := statErr == nil && fi.IsDir()
	if !isDir && !strings.HasSuffix(o.path, string(filepath.Separator)) && !strings.HasSuffix(o.path, "/") {
		return out, nil
	}
	var e api.FileEntry
	if err := call(ctx, o, "file.status", args{Community: cid, Message: mid}, &e, callTimeout); err != nil {
		return "", err
	}
	name := filepath.Base(filepath.Clean(string(filepath.Separator) + e.Name))
	if name == string(filepath.Separator) || name == "." || name == ".." {
		return "", fmt.Errorf("the file has no usable name (%q); give --out a file name", e.Name)
	}
	if !isDir {
		if statErr == nil {
			return "", fmt.Errorf("--out %s: not a directory", o.path)
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", fmt.Errorf("--out %s: create the directory: %w", o.path, err)
		}
	}
	return filepath.Join(out, name), nil
}

// showProgress prints on stderr how far the download of message mid is,
// about twice a second, until ctx ends.
func showProgress(ctx context.Context, o *opts, cid, mid crdt.ID) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var e api.FileEntry
		if err := call(ctx, o, "file.status", args{Community: cid, Message: mid}, &e, callTimeout); err != nil || e.HaveBytes == last {
			continue
		}
		last = e.HaveBytes
		pct := 100.0
		if e.Size > 0 {
			pct = 100 * float64(e.HaveBytes) / float64(e.Size)
		}
		fmt.Fprintf(o.stderr, "%s: %s of %s (%.0f%%)\n", e.Name, crdt.SizeText(e.HaveBytes), crdt.SizeText(e.Size), pct)
	}
}

func cmdFiles(ctx context.Context, o *opts) error {
	a, err := commonIDs(o, 0) // --group when given
	if err != nil {
		return err
	}
	var fs []api.FileEntry
	if err := call(ctx, o, "files", a, &fs, callTimeout); err != nil {
		return err
	}
	return output(o, fs, func(w io.Writer) {
		if len(fs) == 0 {
			fmt.Fprintln(w, "No files shared yet.")
			return
		}
		fmt.Fprintln(w, "NAME\tSIZE\tTYPE\tBY\tSTATE\tMESSAGE")
		for _, f := range fs {
			state := f.State
			if f.State == api.FilePartial {
				state = fmt.Sprintf("partial (%s)", crdt.SizeText(f.HaveBytes))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, crdt.SizeText(f.Size), f.Mime, f.AuthorName, state, f.Message)
		}
	})
}

func cmdFileDeleteLocal(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	mid, err := parseID("message", o.message)
	if err != nil {
		return err
	}
	var res map[string]bool
	if err := call(ctx, o, "file.delete-local", args{Community: cid, Message: mid}, &res, callTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintln(w, "Deleted the local copy") })
}

// parseFileSize reads a file size limit such as 100MB or 1GiB (see
// parseBytes), up to the protocol's bound of 2 GiB.
func parseFileSize(v string) (int64, error) { return parseBytes(v, crdt.MaxFileSize) }
