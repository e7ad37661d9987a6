// Package ui is Umbrella's desktop interface, built with Fyne: the first-run
// screen, the rail of communities, a community's groups, and the
// conversation with its composer.
//
// It talks to a node only through the Backend interface it declares and the
// node's event stream; it never touches the network or storage itself, so
// tests drive it with an in-memory fake. Widgets are changed only on Fyne's
// UI goroutine: work that may block (joining, sending) runs in the
// background and hands its result back through fyne.Do.
package ui

import (
	"context"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// Backend is what the app needs from a node. *node.Node implements it.
type Backend interface {
	Self() node.Self
	CreateCommunity(ctx context.Context, name string) (node.Community, error)
	Communities() []node.Community
	Groups(community crdt.ID) ([]node.Group, error)
	CreateInvite(ctx context.Context, community crdt.ID, opts node.InviteOptions) (string, error)
	Join(ctx context.Context, link string) (node.Community, error)
	Post(ctx context.Context, community, group crdt.ID, text string) (crdt.ID, error)
	Messages(community, group crdt.ID) ([]node.Message, error)
	// Members lists a community's members with their safety numbers.
	Members(community crdt.ID) ([]node.Member, error)
	Subscribe() (<-chan node.Event, func())
	// Status reports the network and sync state for the indicator.
	Status() node.Status
}

// FirstRun creates an identity with the chosen display name and returns the
// started backend.
type FirstRun func(ctx context.Context, name string) (Backend, error)
