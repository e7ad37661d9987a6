package act

// Limits of what the local member hands the actions.
const (
	// MaxSourcePictureSize bounds the file PreparePicture reads, in bytes:
	// a phone's photo is a few megabytes.
	MaxSourcePictureSize = 32 << 20
	// MaxSourcePixels bounds the pixels of the picture PreparePicture
	// decodes, checked in its header first: a 48-megapixel photo.
	MaxSourcePixels = 48 << 20
	// PictureSide is the side, in pixels, of the square pictures
	// PreparePicture makes.
	PictureSide = 160
)

// Limits of the thumbnails SendFile makes of images it shares.
const (
	// ThumbSide is the longest side, in pixels, of a shared image's
	// thumbnail (smaller when that does not fit in crdt.MaxThumbSize).
	ThumbSide = 320
	// MaxThumbSource bounds the images SendFile reads whole to make a
	// thumbnail of; a larger image is shared without one.
	MaxThumbSource = MaxSourcePictureSize
)
