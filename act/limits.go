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
