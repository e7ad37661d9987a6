//go:build !linux

package audio

// silenceALSA does nothing: there is no ALSA here.
func silenceALSA() bool { return false }
