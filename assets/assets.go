// Package assets holds the files Umbrella ships besides its code: the app
// icon, and the desktop entry that makes umbrella:// links open the app
// (installed by `make install-desktop`). It is data only and imports
// nothing of Umbrella's or a toolkit's.
package assets

import _ "embed"

// IconSVG is the app's icon, a white umbrella on the brand colour.
//
//go:embed umbrella.svg
var IconSVG []byte
