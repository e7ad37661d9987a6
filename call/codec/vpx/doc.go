// Package vpx is the desktop app's VP8 video codec: a small cgo wrapper of
// libvpx (Debian's libvpx-dev, found through pkg-config) with an Encoder
// tuned for calls (one pass, constant bitrate, no look-ahead, realtime
// deadline, a chosen cpu-used speed, error-resilient mode, key frames on
// request and every KeyFrameInterval frames, bitrate changed at run time)
// and a Decoder that refuses what it cannot trust (a frame before the
// first key frame, one larger than the limits, one libvpx rejects or
// reports corrupt) with an error, never a crash.
//
// Pictures are *image.YCbCr with 4:2:0 subsampling (I420), as package
// call/device/camera delivers them; the bytes of an encoded frame are
// what call/media's Session sends as one VP8 frame.
//
// It holds C memory: Close every Encoder and Decoder (Close is explicit,
// there is no finalizer, and a second Close does nothing). It must never
// be imported by anything umbrellad builds (node, call, call/media,
// call/sfu, sync, crdt, act, view, api): umbrellad is built without cgo.
// Temporal and spatial scalability (VP8's temporal layers, simulcast of
// several encoders) are not wrapped yet.
package vpx
