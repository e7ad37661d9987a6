package crdt

// Collections. An admin saves a post of a group (a message, poll, win,
// promotion or event) into a named collection — Tips, Testimonials,
// Scripts — with a collect op, and takes it out with another; for each
// post and collection name the last op (by height then id) wins. The op
// lives in the post's own group, so only those who read the group see
// it there; the community home gathers the collections of the groups a
// member reads. A post is in at most MaxCollections collections: a
// collect into one more is ignored. Collecting needs an admin's rank, so
// a concurrent demotion or removal hides it; nobody collects from a
// private conversation.

// CollectBody saves post Target into collection Collection (On) or takes
// it out.
type CollectBody struct {
	Target     []byte `cbor:"1,keyasint"`
	Collection string `cbor:"2,keyasint"`
	On         bool   `cbor:"3,keyasint,omitempty"`
	Time       int64  `cbor:"4,keyasint"`
}

func (b *CollectBody) check() error {
	if err := checkID("target", b.Target); err != nil {
		return err
	}
	return checkName("collection name", b.Collection)
}
