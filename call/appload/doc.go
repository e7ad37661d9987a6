// Package appload measures what one participant's desktop app does in a
// call, with the app's real codecs and pipelines (cgo: libvpx, libopus):
// see BenchmarkParticipant32 in its tests. It holds no code of its own and
// must never be imported: umbrellad builds without cgo.
package appload
