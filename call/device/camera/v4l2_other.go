//go:build !linux

package camera

import (
	"context"
	"errors"
	"image"
)

// errNoV4L2: cameras are read through Video4Linux2, which only Linux has.
var errNoV4L2 = errors.New("camera: cameras need Video4Linux2 (Linux)")

// List fails: there is no V4L2 on this system.
func List() ([]Info, error) { return nil, errNoV4L2 }

// Device is a camera opened for capture; on this system none can be.
type Device struct{}

// Open fails: there is no V4L2 on this system.
func Open(path string, want Request) (*Device, error) { return nil, errNoV4L2 }

// Mode returns the zero Mode.
func (d *Device) Mode() Mode { return Mode{} }

// Path returns "".
func (d *Device) Path() string { return "" }

// Read fails with ErrClosed.
func (d *Device) Read(ctx context.Context) (*image.YCbCr, error) { return nil, ErrClosed }

// Close does nothing.
func (d *Device) Close() error { return nil }
