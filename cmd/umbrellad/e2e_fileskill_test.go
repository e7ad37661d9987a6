package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// killSize is the file TestE2EFilesKill moves: 300 MB.
const killSize = 300 << 20

// sha256File hashes a file without holding it in memory.
func sha256File(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// TestE2EFilesKill drives three real daemons with a 300 MB file: Olivia
// shares it, Ben downloads it, and Dev downloads it from both; Dev's
// daemon is killed with SIGKILL at about half, started again, and `file
// get` resumes from the chunks it had recorded: the bytes match, it loses
// at most a few MB of what it held, and the second run fetches only the
// rest. The sources serve at most 50 MB/s each (--upload-limit), so the
// kill lands mid-transfer on any machine. Disk: about 1.8 GB under
// t.TempDir, all removed at the end.
func TestE2EFilesKill(t *testing.T) {
	olivia, ben, dev := newDaemon(t, "Olivia"), newDaemon(t, "Ben"), newDaemon(t, "Dev")
	olivia.start("--upload-limit", "50MB")
	ben.start("--upload-limit", "50MB")
	dev.start()
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	var inv struct{ Link string }
	olivia.jsonRun(&inv, "invite", "create", "--community", c)
	ben.mustRun("join", "--link", inv.Link)
	dev.mustRun("join", "--link", inv.Link)
	var groups []struct{ ID string }
	olivia.jsonRun(&groups, "groups", "--community", c)
	training := groups[1].ID

	src := filepath.Join(t.TempDir(), "product-training.mp4")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(w, io.LimitReader(mrand.NewChaCha8([32]byte{19}), killSize)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := sha256File(t, src)
	var sent struct {
		ID   string `json:"id"`
		File struct {
			Root string `json:"root"`
		} `json:"file"`
	}
	olivia.jsonRun(&sent, "file", "send", "--community", c, "--group", training, "--path", src)
	os.Remove(src)

	for _, d := range []*daemon{ben, dev} {
		proctest.Eventually(t, 30*time.Second, d.home+" to see the file message", func() bool {
			var fs []fileEntry
			d.jsonRun(&fs, "files", "--community", c)
			return len(fs) == 1 && fs[0].Message == sent.ID
		})
	}
	benOut := filepath.Join(t.TempDir(), "ben.mp4")
	ben.mustRun("file", "get", "--community", c, "--group", training, "--message", sent.ID, "--out", benOut)
	if sha256File(t, benOut) != want {
		t.Fatal("ben's copy differs")
	}
	os.Remove(benOut)

	// Dev downloads; the daemon dies at about half.
	devOut := filepath.Join(t.TempDir(), "dev.mp4")
	get := exec.Command(dev.bin, "file", "get", "--community", c, "--group", training, "--message", sent.ID, "--out", devOut, "--home", dev.home)
	var getErr bytes.Buffer
	get.Stderr = &getErr
	if err := get.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if get.ProcessState == nil {
			get.Process.Kill()
			get.Wait()
		}
	})
	have := func() fileEntry {
		var fs []fileEntry
		dev.jsonRun(&fs, "files", "--community", c)
		if len(fs) != 1 {
			t.Fatalf("dev's files: %+v", fs)
		}
		return fs[0]
	}
	var before fileEntry
	proctest.Eventually(t, 120*time.Second, "dev's download to pass 40 %", func() bool {
		before = have()
		if before.State == "complete" {
			t.Fatalf("the download ended before the kill; stderr of file get:\n%s", getErr.String())
		}
		return before.HaveBytes >= killSize*4/10
	})
	if err := dev.proc.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	dev.proc.Wait()
	if err := get.Wait(); err == nil {
		t.Fatal("file get succeeded although its daemon was killed")
	}
	t.Logf("killed at %d of %d bytes (%.0f %%)", before.HaveBytes, int64(killSize), 100*float64(before.HaveBytes)/killSize)

	dev.start()
	after := have()
	if after.State != "partial" {
		t.Fatalf("after the kill dev holds %+v, want partial", after)
	}
	// What was recorded survives; what a kill may cost is the chunks not
	// yet recorded (blob.CommitEvery) and those in flight.
	lost := before.HaveBytes - after.HaveBytes
	t.Logf("after the restart dev holds %d bytes: %d bytes lost to the kill (%.2f %% of the file)", after.HaveBytes, lost, 100*float64(lost)/killSize)
	if lost > 2*killSize/100 || lost > int64(blob.CommitEvery)*blob.PlainChunk {
		t.Fatalf("the kill lost %d bytes of %d held", lost, before.HaveBytes)
	}
	var got struct {
		Size    int64    `json:"size"`
		Sources []string `json:"sources"`
	}
	dev.jsonRun(&got, "file", "get", "--community", c, "--group", training, "--message", sent.ID, "--out", devOut)
	if got.Size != killSize || len(got.Sources) == 0 {
		t.Fatalf("file get after the restart printed %+v", got)
	}
	if sha256File(t, devOut) != want {
		t.Fatal("dev's copy differs after the resumed download")
	}
	if e := have(); e.State != "complete" || e.HaveBytes != killSize {
		t.Fatalf("dev's file after the resumed download: %+v", e)
	}
}
