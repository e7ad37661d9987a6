// Command umbrella is Umbrella's desktop app: a Fyne window over a node
// that runs in the same process.
//
//	umbrella [--home DIR] [--listen MULTIADDR]... [--relay MULTIADDR/p2p/ID]... [--log-level L] [LINK]
//
// LINK, an umbrella://j/… (or older umbrella://join/…) invite link, is opened once the main screen
// is up. A second start on the same home hands its link to the app that
// runs there (see handoff.go) and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/assets"
	"github.com/umbrella-p2p/umbrella/call/device/audio"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/ui"
)

var (
	_ ui.Backend = (*node.Node)(nil)
	_ ui.Backend = appBackend{}
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Exit codes, as umbrellad's.
const (
	exitFail  = 1
	exitUsage = 2
)

func main() { os.Exit(run()) }

func run() int {
	defHome, _ := node.DefaultHome()
	home := flag.String("home", defHome, "data directory")
	var listen, relays listFlag
	flag.Var(&listen, "listen", "multiaddr to listen on (repeatable)")
	flag.Var(&relays, "relay", "a relay's multiaddr ending in /p2p/ID, used when this computer cannot be reached directly (repeatable)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "Usage: umbrella [flags] [umbrella://j/… invite link]")
		flag.PrintDefaults()
	}
	flag.Parse()

	var link string
	switch flag.NArg() {
	case 0:
	case 1:
		link = strings.TrimSpace(flag.Arg(0))
		if !isLink(link) {
			fmt.Fprintf(os.Stderr, "umbrella: %q is not an invite link; links start with umbrella://\n", flag.Arg(0))
			return exitUsage
		}
	default:
		fmt.Fprintf(os.Stderr, "umbrella: one invite link at most, got %d arguments\n", flag.NArg())
		return exitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "umbrella: --log-level: %v\n", err)
		return exitUsage
	}
	if *home == "" {
		fmt.Fprintln(os.Stderr, "umbrella: no home directory; pass --home DIR")
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	log := logger.With("component", "app")

	// An app already running on this home takes the link (or just comes
	// forward); this start has nothing more to do.
	switch err := sendHandoff(*home, link); {
	case err == nil:
		if link != "" {
			fmt.Fprintf(os.Stderr, "umbrella: the link was handed to the Umbrella already running on %s\n", *home)
		} else {
			fmt.Fprintf(os.Stderr, "umbrella: Umbrella is already running on %s; its window was brought forward\n", *home)
		}
		return 0
	case !errors.Is(err, errNotRunning):
		fmt.Fprintln(os.Stderr, "umbrella:", err)
		return exitFail
	}

	if err := checkDisplay(); err != nil {
		fmt.Fprintln(os.Stderr, "umbrella:", err)
		return exitFail
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
		return exitUsage
	}
	cfg.Logger = logger
	// Calls: the microphone and speaker, through Opus (sound.go).
	sound := newCallSound(*home, audio.BackendDefault, logger)
	defer sound.close() // after the node, whose calls use it, closed
	// and the camera, through VP8 (video.go).
	video := newCallVideo(sound, logger)
	cfg.CallMedia = media.ForCalls(media.CallOptions{Local: video.local, VideoLayers: videoLayers, Listen: cfg.Listen, Logger: logger})
	if host, err := media.ForHosts(media.CallOptions{Listen: cfg.Listen, Logger: logger}); err != nil {
		logger.Warn("this app cannot host a call's SFU", "err", err)
	} else {
		cfg.CallHost = host // large calls may elect it to forward their media
	}

	a := app.NewWithID("io.umbrella.desktop")
	a.Settings().SetTheme(ui.Theme())
	a.SetIcon(fyne.NewStaticResource("umbrella.svg", assets.IconSVG))
	w := a.NewWindow("Umbrella")
	w.Resize(fyne.NewSize(1100, 720))

	links := &linkOpener{w: w, pending: link}
	a.Lifecycle().SetOnStarted(func() { links.start() })
	h, err := listenHandoff(*home, func(l string) { fyne.Do(func() { links.open(l) }) })
	switch {
	case errors.Is(err, errAppRunning):
		// Another app started at the same moment and won the socket.
		if err := sendHandoff(*home, link); err != nil {
			fmt.Fprintln(os.Stderr, "umbrella:", err)
			return exitFail
		}
		fmt.Fprintf(os.Stderr, "umbrella: Umbrella is already running on %s\n", *home)
		return 0
	case err != nil:
		log.Warn("links from later starts will not reach this window", "err", err)
	default:
		defer h.Close()
	}

	var nodes nodeHolder
	defer nodes.close()
	var mainScreen *ui.App
	open := func(ctx context.Context) (ui.Backend, error) {
		n, err := node.Open(ctx, cfg)
		if errors.Is(err, node.ErrHomeInUse) {
			return nil, fmt.Errorf("another Umbrella (or umbrellad) is already using %s; close it first", *home)
		}
		if err != nil {
			return nil, err
		}
		if !nodes.set(n) {
			return nil, errors.New("the app is closing")
		}
		return appBackend{n, sound, video}, nil
	}
	show := func(screen string, c fyne.CanvasObject) {
		w.SetContent(c)
		log.Info("screen shown", "screen", screen)
	}
	showMain := func(b ui.Backend) {
		mainScreen = ui.New(w, b)
		show("main", mainScreen.Content())
		links.ready(mainScreen)
	}
	if node.HasIdentity(*home) {
		b, err := open(context.Background())
		if errors.Is(err, keyfile.ErrPassphraseNeeded) || errors.Is(err, keyfile.ErrWrongPassphrase) {
			unlock := ui.NewUnlockScreen(func(ctx context.Context, pass []byte) (ui.Backend, error) {
				cfg.Passphrase = pass
				b, err := open(ctx)
				if errors.Is(err, keyfile.ErrWrongPassphrase) {
					return nil, fmt.Errorf("%w: %w", ui.ErrWrongPassphrase, err)
				}
				return b, err
			}, showMain, nil)
			show("unlock", unlock.Content())
			unlock.Focus(w)
		} else if err != nil {
			msg := widget.NewLabel("Umbrella could not start:\n\n" + err.Error())
			msg.Wrapping = fyne.TextWrapWord
			show("error", container.NewPadded(msg))
			log.Error("could not start", "err", err)
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
		show("first-run", fr.Content())
		fr.Focus(w)
	}

	// SIGINT and SIGTERM close the window the way its close button does,
	// so the node shuts down cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			log.Info("quitting on a signal")
			fyne.Do(a.Quit)
		}
	}()

	w.ShowAndRun()
	if mainScreen != nil {
		mainScreen.Close()
	}
	return 0
}

// linkOpener opens links in the main screen once it is up and the app has
// started: the one the app was started with, and those later starts hand
// over. Until then it keeps the latest. Used on the UI goroutine only.
type linkOpener struct {
	w       fyne.Window
	main    *ui.App
	started bool
	pending string
}

// start is called when the app's event loop runs.
func (o *linkOpener) start() { o.started = true; o.flush() }

// ready is called when the main screen is shown.
func (o *linkOpener) ready(m *ui.App) { o.main = m; o.flush() }

// open takes a link from a later start ("" brings the window forward).
func (o *linkOpener) open(link string) {
	o.w.RequestFocus()
	if link != "" {
		o.pending = link
		o.flush()
	}
}

func (o *linkOpener) flush() {
	if o.main == nil || !o.started || o.pending == "" {
		return
	}
	link := o.pending
	o.pending = ""
	o.main.OpenLink(link)
}

// nodeHolder keeps the node the app opened (on whichever goroutine) so
// that it is closed once on exit, even if it finishes opening after that.
type nodeHolder struct {
	mu     sync.Mutex
	n      *node.Node // guarded by mu
	closed bool       // guarded by mu
}

// set keeps n; it closes n and returns false if the app is closing.
func (h *nodeHolder) set(n *node.Node) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		n.Close()
		return false
	}
	h.n = n
	return true
}

func (h *nodeHolder) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.n != nil {
		h.n.Close()
	}
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
