// Package opus is the desktop app's voice codec: Opus (RFC 6716) through
// libopus (cgo, Debian's libopus-dev), at 48 kHz, mono, in 20 ms frames of
// FrameSamples samples, tuned for calls: the VoIP application, a set
// bitrate, in-band forward error correction, and packet-loss concealment
// for a frame that never came.
//
// It uses cgo, so only the desktop app's path may import it: never
// umbrellad, node, call, call/media or sync (umbrellad builds without
// cgo). It knows nothing of calls, networks or devices: PCM in, packets
// out, and back.
package opus
