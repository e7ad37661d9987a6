package safety

const (
	// maxCached bounds the safety numbers kept: more than the members of
	// a few full communities.
	maxCached = 50_000
	// inline is how many missing safety numbers a members list computes
	// before it returns (on every core, about 0.03 s): about what a window
	// of the list shows. The others are computed when asked for.
	inline = 64
)

// MaxAsked is the most safety numbers OfPeers computes in one call: the
// members of a full community, with room to spare.
const MaxAsked = 10_000
