package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestE2EPassphrase: a passphrase set on the database key is needed at the
// next start; without it serve fails with a clear message, with it the
// node holds its communities as before.
func TestE2EPassphrase(t *testing.T) {
	d := newDaemon(t, "Olivia")
	d.start()
	var comm api.Community
	d.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	d.stop()
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("tulips in spring\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustRun("passphrase", "set", "--new-file", pass)
	_, errOut, code := d.cli("serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0")
	if code == 0 || !strings.Contains(errOut, "protected by a passphrase") {
		t.Fatalf("serve without the passphrase: exit %d: %s", code, errOut)
	}
	d.start("--passphrase-file", pass)
	var cs []api.Community
	d.jsonRun(&cs, "communities")
	if len(cs) != 1 || cs[0].ID != comm.ID {
		t.Fatalf("communities after setting a passphrase: %+v", cs)
	}
}
