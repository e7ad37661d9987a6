package node

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team's views (package view); its actions, SetSteps and TickStep,
// are act's.

// Steps returns the first steps with the local member's progress.
func (n *Node) Steps(cid crdt.ID) (api.FirstSteps, error) { return n.views.Steps(cid) }

// Newcomers lists the newcomers' progress (admins).
func (n *Node) Newcomers(cid crdt.ID) ([]api.Newcomer, error) { return n.views.Newcomers(cid) }

// TeamTree lists the members with who invited them.
func (n *Node) TeamTree(cid crdt.ID) ([]api.TeamMember, error) { return n.views.TeamTree(cid) }
