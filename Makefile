# Umbrella — build, run and test.
#
#   make run     build the desktop app and open it (installs missing system packages)
#   make test    vet + race-checked fast suite + slow and end-to-end tests
#   make check   vet, staticcheck, gofmt and go mod tidy: the code is clean
#   make build   both binaries into bin/
#   make bench   the benchmarks behind the README's Performance table
#   make bench-home  a home of 5,000 members and 100,000 messages (BENCH_HOME), measured
#   make chaos   the seeded chaos scenario (node/chaos_test.go) on many seeds
#   make screenshots  the app's main screens, light and dark, as PNGs in docs/screenshots
#   make demo    a scripted community (umbrellad demo) and the app joined to it
#   make install-desktop  install the app for this user; umbrella:// links open it

GO      ?= go
ARGS    ?=
# System packages the desktop app needs to build with cgo on Debian/Ubuntu:
# Fyne's, and the call codecs' (libopus, with libopusfile for the Go
# binding's stream reader; libvpx for video). umbrellad needs none of them.
SYSPKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
           libxinerama-dev libxi-dev libxxf86vm-dev libopus-dev libopusfile-dev libvpx-dev
# What the app's end-to-end tests add: a virtual X server and screenshots.
TESTPKGS := xvfb imagemagick
# Where make bench-home keeps the home BenchmarkNodeMemory builds (once).
BENCH_HOME ?= $(HOME)/.cache/umbrella/bench-home

.PHONY: run test check build bench bench-home chaos deps test-deps clean vet test-fast test-slow screenshots demo install-desktop

# install_missing installs the Debian packages $(2) that are missing with
# apt-get when run as root, and otherwise prints the exact command to run;
# $(1) names the target, $(3) says what is needed elsewhere.
define install_missing
	@if ! command -v dpkg >/dev/null 2>&1; then \
		echo "$(1): not a Debian/Ubuntu system; make sure $(3) are installed"; \
		exit 0; \
	fi; \
	missing=""; \
	for p in $(2); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "$(1): installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "$(1): missing system packages:$$missing"; \
		echo "$(1): run: sudo apt-get install -y$$missing"; \
		exit 1; \
	fi
endef

# deps: what building the app needs (cgo, OpenGL and X11 headers).
deps:
	$(call install_missing,deps,$(SYSPKGS),cgo, the OpenGL/X11 headers Fyne needs and the Opus and VPx codecs)

# test-deps: deps, and Xvfb and ImageMagick for the app's end-to-end tests.
test-deps:
	$(call install_missing,test-deps,$(SYSPKGS) $(TESTPKGS),cgo, the OpenGL/X11 headers Fyne needs and the Opus and VPx codecs (and Xvfb and ImageMagick for the tests))

bin/umbrella: deps FORCE
	$(GO) build -o bin/umbrella ./cmd/umbrella

bin/umbrellad: FORCE
	CGO_ENABLED=0 $(GO) build -o bin/umbrellad ./cmd/umbrellad

FORCE:

build: bin/umbrella bin/umbrellad

run: bin/umbrella
	./bin/umbrella $(ARGS)

vet: deps
	$(GO) vet ./...

# The fast suite runs under the race detector with -short; the slow suite
# (end-to-end daemons, long property runs) runs the tests -short skips.
test-fast: test-deps
	$(GO) test -race -short -count=1 -timeout 30m ./...

test-slow: test-deps
	$(GO) test -count=1 -run 'E2E|Slow' ./...

# check: go vet, staticcheck (a tool dependency in go.mod, so its version
# is pinned), unformatted files, and go.mod/go.sum that go mod tidy would
# change. Each prints what is wrong.
check: deps
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then \
		echo "check: gofmt would change:"; echo "$$unformatted"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "check: go mod tidy would change go.mod/go.sum (above); run go mod tidy"; exit 1; }
	@echo "make check: clean"

test: vet test-fast test-slow
	@echo "make test: all suites passed"

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./...

# bench-home writes, once, a home holding a community of 5,000 members and
# 100,000 sealed messages (node/memory_bench_test.go) under BENCH_HOME and
# measures a node started on it (rss-MB, heap-MB, start-s); run it again to
# measure again. Look for yourself with
# ./bin/umbrellad serve --home "$(BENCH_HOME)".
bench-home:
	mkdir -p "$$(dirname "$(BENCH_HOME)")"
	UMBRELLA_MEMORY_HOME="$(abspath $(BENCH_HOME))" $(GO) test -run '^$$' -bench NodeMemory -benchtime 1x -timeout 60m ./node

# chaos runs TestChaos on CHAOS_SEEDS seeds with more nodes and steps than
# the few seeds make test runs (with -short): members post, react, vote,
# join, are promoted, demoted and removed while the network splits and
# heals, nodes are killed and restarted, and a malicious member floods. A
# failure prints its seed, what was violated, the steps, and the command
# that replays it.
CHAOS_SEEDS ?= 50
CHAOS_NODES ?= 12
CHAOS_STEPS ?= 200
chaos:
	$(GO) test -count=1 -timeout 60m -run '^TestChaos$$' ./node \
		-chaos.seeds=$(CHAOS_SEEDS) -chaos.nodes=$(CHAOS_NODES) -chaos.steps=$(CHAOS_STEPS)

# screenshots renders the golden main screens (no display needed) into
# docs/screenshots.
screenshots: deps
	mkdir -p docs/screenshots
	UMBRELLA_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestGolden' ./ui

# demo runs a scripted community (umbrellad demo: a leader and three
# distributors on 127.0.0.1) and opens the app, on a fresh home, with its
# invite link. Closing the app stops the community and removes both homes.
demo: bin/umbrella bin/umbrellad
	@dir=$$(mktemp -d "$${TMPDIR:-/tmp}/umbrella-demo.XXXXXX") || exit 1; \
	pid=""; \
	cleanup() { if [ -n "$$pid" ]; then kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; fi; rm -rf "$$dir"; }; \
	trap cleanup EXIT; trap 'exit 130' INT TERM; \
	./bin/umbrellad demo --home "$$dir/members" --link-file "$$dir/link" & pid=$$!; \
	i=0; while [ ! -s "$$dir/link" ]; do \
		if ! kill -0 $$pid 2>/dev/null; then echo "demo: umbrellad demo stopped before its community was ready"; exit 1; fi; \
		i=$$((i + 1)); if [ $$i -gt 600 ]; then echo "demo: no invite link after 60 s"; exit 1; fi; \
		sleep 0.1; \
	done; \
	./bin/umbrella --home "$$dir/app" "$$(cat "$$dir/link")"

# install-desktop installs the app for the current user: the binary in
# $(PREFIX)/bin, its icon, and a desktop entry that makes it the handler of
# umbrella:// links (xdg-mime), so clicking an invite link opens it.
PREFIX ?= $(HOME)/.local
install-desktop: bin/umbrella
	@set -e; \
	data="$${XDG_DATA_HOME:-$$HOME/.local/share}"; \
	install -D -m 0755 bin/umbrella "$(PREFIX)/bin/umbrella"; \
	install -D -m 0644 assets/umbrella.svg "$$data/icons/hicolor/scalable/apps/umbrella.svg"; \
	mkdir -p "$$data/applications"; \
	sed 's|^Exec=umbrella |Exec=$(PREFIX)/bin/umbrella |' assets/umbrella.desktop > "$$data/applications/umbrella.desktop"; \
	chmod 0644 "$$data/applications/umbrella.desktop"; \
	echo "install-desktop: installed $(PREFIX)/bin/umbrella and $$data/applications/umbrella.desktop"; \
	if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database "$$data/applications"; fi; \
	if ! command -v xdg-mime >/dev/null 2>&1; then \
		echo "install-desktop: xdg-mime is missing, so umbrella:// links are not yet tied to the app"; \
		echo "install-desktop: run: sudo apt-get install -y xdg-utils && make install-desktop"; \
		exit 1; \
	fi; \
	xdg-mime default umbrella.desktop x-scheme-handler/umbrella; \
	echo "install-desktop: umbrella:// links now open Umbrella ($$(xdg-mime query default x-scheme-handler/umbrella))"

clean:
	rm -rf bin
