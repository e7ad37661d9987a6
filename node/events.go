package node

import "github.com/umbrella-p2p/umbrella/api"

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel. A subscriber that falls behind loses
// events rather than slowing the node; events carry ids only, so it reads
// fresh state when it catches up.
func (n *Node) Subscribe() (<-chan api.Event, func()) { return n.events.Subscribe() }
