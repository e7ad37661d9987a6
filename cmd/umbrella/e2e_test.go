package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
	"github.com/umbrella-p2p/umbrella/ui"
)

// The end-to-end tests run the real app binary, built once per test
// binary (with cgo, the first build takes a while).
var (
	appOnce sync.Once
	appDir  string // holds the binary; removed by TestMain
	appBin  string
	appErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if appDir != "" {
		os.RemoveAll(appDir)
	}
	os.Exit(code)
}

func buildApp(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test runs the real app; skipped with -short (make test runs it)")
	}
	appOnce.Do(func() {
		appDir, appErr = os.MkdirTemp("", "umbrella-e2e")
		if appErr != nil {
			return
		}
		appBin = filepath.Join(appDir, "umbrella")
		if out, err := exec.Command("go", "build", "-o", appBin, ".").CombinedOutput(); err != nil {
			appErr = fmt.Errorf("build umbrella: %v\n%s", err, out)
		}
	})
	if appErr != nil {
		t.Fatal(appErr)
	}
	return appBin
}

// appEnv is the environment for the app: no display unless given, and a
// throwaway HOME so Fyne's preferences stay out of the user's.
func appEnv(t *testing.T, display string) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "DISPLAY", "WAYLAND_DISPLAY", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "LANG", "LC_ALL":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "LANG=en_US.UTF-8")
	if display != "" {
		env = append(env, "DISPLAY="+display)
	}
	return env
}

// runApp runs the app to its end and returns its stderr and exit code.
func runApp(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(buildApp(t), args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return stderr.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return stderr.String(), 0
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("umbrella %v did not exit within 30 s; stderr:\n%s", args, stderr.String())
		return "", -1
	}
}

// TestE2ECommandLine: without a display, and with arguments it cannot
// use, the app says so and exits with the right status; it never panics.
func TestE2ECommandLine(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no display", []string{"--home", home}, 1, "no display found"},
		{"no display, with a link", []string{"--home", home, "umbrella://join/abc"}, 1, "no display found"},
		{"not a link", []string{"--home", home, "https://example.com/join"}, 2, "is not an invite link"},
		{"two links", []string{"--home", home, "umbrella://join/a", "umbrella://join/b"}, 2, "one invite link at most"},
		{"bad log level", []string{"--home", home, "--log-level", "loud"}, 2, "--log-level"},
		{"unknown flag", []string{"--home", home, "--frobnicate"}, 2, "flag provided but not defined"},
	}
	env := appEnv(t, "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stderr, code := runApp(t, env, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.wantCode, tc.wantErr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("stderr has a panic or stack trace:\n%s", stderr)
			}
		})
	}
}

// needTools fails (not skips) when the X tools are missing: make test
// installs them.
func needTools(t *testing.T) {
	t.Helper()
	for tool, pkg := range map[string]string{"Xvfb": "xvfb", "import": "imagemagick"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; this test needs it (package %s): run `make test`, which installs it, or `sudo apt-get install -y xvfb imagemagick`", tool, pkg)
		}
	}
}

// startXvfb starts a virtual X server on the first free display from :90
// and returns its name; t.Cleanup stops it.
func startXvfb(t *testing.T) string {
	t.Helper()
	needTools(t)
	for n := 90; n < 130; n++ {
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if _, err := os.Stat(sock); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		var out proctest.Buffer
		x := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		x.Stdout, x.Stderr = &out, &out
		if err := x.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { x.Wait(); close(exited) }()
		up := false
		deadline := time.After(15 * time.Second)
	wait:
		for {
			select {
			case <-exited:
				break wait // the display was taken after all: try the next
			case <-deadline:
				x.Process.Kill()
				<-exited
				t.Fatalf("Xvfb :%d did not come up within 15 s:\n%s", n, out.String())
			case <-time.After(100 * time.Millisecond):
				if _, err := os.Stat(sock); err == nil {
					up = true
					break wait
				}
			}
		}
		if !up {
			continue
		}
		t.Cleanup(func() {
			x.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				x.Process.Kill()
				<-exited
			}
		})
		return fmt.Sprintf(":%d", n)
	}
	t.Fatal("no free X display between :90 and :129")
	return ""
}

// screenshot captures the whole X screen as an image.
func screenshot(display string) (image.Image, error) {
	cmd := exec.Command("import", "-display", display, "-window", "root", "png:-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("import: %v: %s", err, stderr.String())
	}
	return png.Decode(bytes.NewReader(out))
}

// rendering measures a screenshot: the share of it in one of the theme's
// backgrounds, the share of its commonest colour, and how many distinct
// colours it has.
type rendering struct {
	background, top float64
	colours         int
}

func measure(img image.Image, backgrounds []color.NRGBA) rendering {
	b := img.Bounds()
	total := b.Dx() * b.Dy()
	if total == 0 {
		return rendering{}
	}
	counts := map[color.NRGBA]int{}
	bg := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := toNRGBA(img.At(x, y))
			counts[c]++
			for _, want := range backgrounds {
				if near(c, want, 6) {
					bg++
					break
				}
			}
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	return rendering{background: float64(bg) / float64(total), top: float64(top) / float64(total), colours: len(counts)}
}

// checkRendered says why img is not a rendered Umbrella window, or nil:
// the theme's background (light or dark) must cover a large area, and
// there must be many distinct colours (antialiased text) and no single
// colour everywhere.
func checkRendered(img image.Image, backgrounds []color.NRGBA) error {
	r := measure(img, backgrounds)
	switch {
	case r.top >= 0.98:
		return fmt.Errorf("one colour covers %.0f%% of the screen: nothing was drawn", 100*r.top)
	case r.background < 0.30:
		return fmt.Errorf("the theme's background (%v or %v) covers %.0f%% of the screen, want at least 30%%", backgrounds[0], backgrounds[1], 100*r.background)
	case r.colours < 64:
		return fmt.Errorf("only %d distinct colours: no text was drawn", r.colours)
	}
	return nil
}

// TestCheckRendered: the screenshot check refuses what is not a drawn
// window: a black screen, a window of plain background, a screen of noise
// in other colours.
func TestCheckRendered(t *testing.T) {
	test.NewTempApp(t)
	dark := toNRGBA(ui.Theme().Color(theme.ColorNameBackground, theme.VariantDark))
	bgs := []color.NRGBA{toNRGBA(ui.Theme().Color(theme.ColorNameBackground, theme.VariantLight)), dark}
	flat := func(c color.Color) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
		for i := 0; i < 200*100; i++ {
			img.Set(i%200, i/200, c)
		}
		return img
	}
	noise := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for i := 0; i < 200*100; i++ {
		noise.Set(i%200, i/200, color.NRGBA{uint8(i), uint8(i / 7), 0x80, 0xff})
	}
	window := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for i := 0; i < 200*100; i++ {
		c := dark
		if x, y := i%200, i/200; x > 50 && x < 150 && y > 40 && y < 60 { // "text"
			c = color.NRGBA{uint8(x), uint8(y * 4), uint8(x + y), 0xff}
		}
		window.Set(i%200, i/200, c)
	}
	for name, tc := range map[string]struct {
		img  image.Image
		want string
	}{
		"black screen":     {flat(color.Black), "nothing was drawn"},
		"plain background": {flat(dark), "nothing was drawn"},
		"noise":            {noise, "background"},
		"a drawn window":   {window, ""},
	} {
		err := checkRendered(tc.img, bgs)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func toNRGBA(c color.Color) color.NRGBA { return color.NRGBAModel.Convert(c).(color.NRGBA) }

func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// TestE2EXvfbFirstRun starts the real app on a virtual X display with a
// fresh home: it shows the first-run screen, really drawn in the
// Umbrella theme; a second start on the same home hands its link to it
// and exits; SIGTERM closes it cleanly and removes its socket.
func TestE2EXvfbFirstRun(t *testing.T) {
	bin := buildApp(t)
	test.NewTempApp(t) // the theme's colours come from Fyne's defaults, which need an app
	backgrounds := []color.NRGBA{
		toNRGBA(ui.Theme().Color(theme.ColorNameBackground, theme.VariantLight)),
		toNRGBA(ui.Theme().Color(theme.ColorNameBackground, theme.VariantDark)),
	}
	display := startXvfb(t)
	home := filepath.Join(t.TempDir(), "home")
	var stderr proctest.Buffer
	app := exec.Command(bin, "--home", home, "--log-level", "info", "--listen", "/ip4/127.0.0.1/tcp/0")
	app.Env = appEnv(t, display)
	app.Stdout, app.Stderr = &stderr, &stderr
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the app has exited, with its error in exitErr
	var exitErr error
	go func() { exitErr = app.Wait(); close(exited) }()
	t.Cleanup(func() {
		app.Process.Kill() // a no-op once it exited
		<-exited
	})
	defer func() {
		if t.Failed() {
			t.Logf("app stderr:\n%s", stderr.String())
		}
	}()

	proctest.Eventually(t, 60*time.Second, "the app to log the first-run screen", func() bool {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(line, "component=app") && strings.Contains(line, "screen=first-run") {
				return true
			}
		}
		select {
		case <-exited:
			t.Fatalf("the app exited early: %v", exitErr)
		default:
		}
		return false
	})
	// The window is drawn a moment after the screen is set: look until it
	// is, and say what was wrong with the last look if it never is.
	deadline := time.Now().Add(30 * time.Second)
	for {
		img, err := screenshot(display)
		if err == nil {
			if err = checkRendered(img, backgrounds); err == nil {
				r := measure(img, backgrounds)
				t.Logf("screenshot: theme background over %.0f%%, %d colours", 100*r.background, r.colours)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rendered first-run window within 30 s: %v", err)
		}
		select {
		case <-exited:
			t.Fatalf("the app exited: %v", exitErr)
		case <-time.After(500 * time.Millisecond):
		}
	}

	// A second start on the same home (no display needed) hands its link over.
	out, code := runApp(t, appEnv(t, ""), "--home", home, "umbrella://join/handed-over")
	if code != 0 || !strings.Contains(out, "handed to the Umbrella already running") {
		t.Fatalf("second start: exit %d, stderr %q", code, out)
	}

	app.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("the app exited with %v on SIGTERM", exitErr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the app did not stop on SIGTERM")
	}
	if _, err := os.Stat(handoffPath(home)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the app left its socket behind: %v", err)
	}
}
