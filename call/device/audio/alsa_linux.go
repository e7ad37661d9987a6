//go:build linux

package audio

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>

// quiet is an ALSA error handler that drops the message: without it the
// ALSA library writes every error of its configuration (a missing card,
// an unknown PCM) to stderr, some thirty lines whenever sound opens on a
// computer without the devices its configuration names.
static void umbrella_alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {}

// umbrella_alsa_silence installs quiet in the ALSA library that
// miniaudio loads (libasound.so.2, opened here first and kept open so
// that the handler stays); it returns 0 when there is no ALSA library.
static int umbrella_alsa_silence(void) {
	void *lib = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (lib == NULL) {
		return 0;
	}
	int (*set)(void *) = (int (*)(void *))dlsym(lib, "snd_lib_error_set_handler");
	if (set == NULL) {
		return 0;
	}
	set((void *)umbrella_alsa_quiet);
	return 1;
}
*/
import "C"

import "sync"

// silenceALSA makes the ALSA library report its errors to no one instead
// of stderr, once per process; what fails still fails, and miniaudio
// reports it. It says whether ALSA is there.
var silenceALSA = sync.OnceValue(func() bool { return C.umbrella_alsa_silence() != 0 })
