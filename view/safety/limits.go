package safety

const (
	// maxCached bounds the safety numbers kept: more than the members of
	// a few full communities.
	maxCached = 50_000
	// inline is how many missing safety numbers a members list computes
	// before it returns (on every core, about 0.1 s); a list missing more
	// returns without them and has them computed after.
	inline = 64
)
