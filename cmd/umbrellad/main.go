// Command umbrellad is Umbrella's headless node: a member daemon with a
// local control API, and the CLI that drives it. It needs no cgo and no GL.
//
//	umbrellad init --name NAME
//	umbrellad serve [--listen MULTIADDR]... [--no-mdns]
//	umbrellad <command> [flags]   (see `umbrellad help`)
//
// Every command takes --home DIR and --json.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
