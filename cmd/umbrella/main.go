// Command umbrella is Umbrella's desktop app: a Fyne window over a node
// that runs in the same process.
//
//	umbrella [--home DIR] [--listen MULTIADDR]...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/ui"
)

var _ ui.Backend = (*node.Node)(nil)

type listenFlag []string

func (l *listenFlag) String() string     { return strings.Join(*l, ",") }
func (l *listenFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	defHome, _ := node.DefaultHome()
	home := flag.String("home", defHome, "data directory")
	var listen listenFlag
	flag.Var(&listen, "listen", "multiaddr to listen on (repeatable)")
	var relays listenFlag
	flag.Var(&relays, "relay", "a relay's multiaddr ending in /p2p/ID, used when this computer cannot be reached directly (repeatable)")
	flag.Parse()
	if err := checkDisplay(); err != nil {
		fmt.Fprintln(os.Stderr, "umbrella:", err)
		os.Exit(1)
	}
	cfg := node.DefaultConfig(*home)
	if len(listen) > 0 {
		cfg.Listen = listen
	}
	cfg.Relays = relays
	if p := os.Getenv("UMBRELLA_PASSPHRASE"); p != "" {
		cfg.Passphrase = []byte(p) // otherwise the app asks when the database key is locked
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "umbrella:", strings.TrimPrefix(err.Error(), "config: "))
		os.Exit(2)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	a := app.NewWithID("io.umbrella.desktop")
	w := a.NewWindow("Umbrella")
	w.Resize(fyne.NewSize(1100, 720))
	var n *node.Node
	var main *ui.App
	open := func(ctx context.Context) (ui.Backend, error) {
		var err error
		n, err = node.Open(ctx, cfg)
		if errors.Is(err, node.ErrHomeInUse) {
			return nil, fmt.Errorf("another Umbrella (or umbrellad) is already using %s; close it first", *home)
		}
		return n, err
	}
	showMain := func(b ui.Backend) {
		main = ui.New(w, b)
		w.SetContent(main.Content())
	}
	if node.HasIdentity(*home) {
		b, err := open(context.Background())
		if errors.Is(err, identity.ErrPassphraseNeeded) || errors.Is(err, identity.ErrWrongPassphrase) {
			unlock := ui.NewUnlockScreen(func(ctx context.Context, pass []byte) (ui.Backend, error) {
				cfg.Passphrase = pass
				b, err := open(ctx)
				if errors.Is(err, identity.ErrWrongPassphrase) {
					return nil, fmt.Errorf("%w: %w", ui.ErrWrongPassphrase, err)
				}
				return b, err
			}, showMain, nil)
			w.SetContent(unlock.Content())
		} else if err != nil {
			msg := widget.NewLabel("Umbrella could not start:\n\n" + err.Error())
			msg.Wrapping = fyne.TextWrapWord
			w.SetContent(container.NewPadded(msg))
		} else {
			showMain(b)
		}
	} else {
		fr := ui.NewFirstRun(a, func(ctx context.Context, name string) (ui.Backend, error) {
			if err := node.Init(*home, name); err != nil {
				return nil, err
			}
			return open(ctx)
		}, showMain, nil)
		w.SetContent(fr.Content())
	}
	w.SetOnClosed(func() {
		if main != nil {
			main.Close()
		}
		if n != nil {
			n.Close()
		}
	})
	w.ShowAndRun()
}

// checkDisplay explains, instead of crashing, when there is no display.
func checkDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no display found (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session, or use umbrellad for a headless node")
		}
	}
	return nil
}
