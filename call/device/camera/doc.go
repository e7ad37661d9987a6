// Package camera is the desktop app's video input: cameras through
// Video4Linux2 (package github.com/blackjack/webcam, pure Go ioctls), and
// a moving test pattern for demos and tests, both behind Source, which
// delivers pictures as 4:2:0 *image.YCbCr (I420) ready for package
// call/codec/vpx.
//
// Pictures follow Go's image.YCbCr convention: full-range (JFIF) BT.601.
// A camera's YUYV is studio range (Y 16–235) and is expanded; MJPEG is
// already full range. Converting (YUYVToI420, JPEGToI420) and choosing a
// camera's mode (Choose) are pure functions, tested without a camera.
//
// blackjack/webcam is used directly rather than pion/mediadevices' V4L2
// driver: the driver is a wrapper of this same package inside a framework
// of constraints, readers and codec registries the app does not use, and
// the package alone gives what the app needs (formats, sizes, frame
// intervals, mmap streaming) with no cgo.
//
// It never encodes, sends or shows anything, and must never be imported
// by anything umbrellad builds (node, call, call/media, sync, ...).
package camera
