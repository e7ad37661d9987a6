package node

import "github.com/umbrella-p2p/umbrella/api"

// subscriber is one Subscribe call's channel.
type subscriber struct{ ch chan api.Event }

const subscriberBuffer = 256

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel. A subscriber that falls behind loses
// events rather than slowing the node; events carry ids only, so it reads
// fresh state when it catches up.
func (n *Node) Subscribe() (<-chan api.Event, func()) {
	s := &subscriber{ch: make(chan api.Event, subscriberBuffer)}
	n.mu.Lock()
	n.subs[s] = struct{}{}
	n.mu.Unlock()
	return s.ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if _, ok := n.subs[s]; ok {
			delete(n.subs, s)
			close(s.ch)
		}
	}
}

func (n *Node) emit(e api.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for s := range n.subs {
		select {
		case s.ch <- e:
		default:
		}
	}
}
