# Umbrella — build, run and test.
#
#   make run     build the desktop app and open it (installs missing system packages)
#   make test    vet + race-checked fast suite + slow and end-to-end tests
#   make build   both binaries into bin/
#   make bench   the benchmarks behind the README's Performance table
#   make screenshots  the app's main screen, light and dark, as PNGs in docs/screenshots

GO      ?= go
ARGS    ?=
# System packages Fyne needs to build with cgo on Debian/Ubuntu.
SYSPKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
           libxinerama-dev libxi-dev libxxf86vm-dev

.PHONY: run test build bench deps clean vet test-fast test-slow screenshots

# deps installs the missing system packages with apt-get when run as root,
# and otherwise prints the exact command to run.
deps:
	@if ! command -v dpkg >/dev/null 2>&1; then \
		echo "deps: not a Debian/Ubuntu system; make sure cgo and the OpenGL/X11 headers Fyne needs are installed"; \
		exit 0; \
	fi; \
	missing=""; \
	for p in $(SYSPKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "deps: missing system packages:$$missing"; \
		echo "deps: run: sudo apt-get install -y$$missing"; \
		exit 1; \
	fi

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
test-fast: deps
	$(GO) test -race -short -count=1 ./...

test-slow: deps
	$(GO) test -count=1 -run 'E2E|Slow' ./...

test: vet test-fast test-slow
	@echo "make test: all suites passed"

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./...

# screenshots renders the golden main screens (no display needed) into
# docs/screenshots.
screenshots: deps
	mkdir -p docs/screenshots
	UMBRELLA_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestGoldenMainScreen' ./ui

clean:
	rm -rf bin
