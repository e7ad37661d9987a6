package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// who names a member for people: the display name and the tail of the
// peer id, which tells apart two members of one name ("Ben (…x7Qm2a)");
// the short peer id alone when the name is unknown.
func who(name, peerID string) string {
	short := peerID
	if len(short) > 12 {
		short = "…" + short[len(short)-6:]
	}
	switch {
	case name == "" && short == "":
		return "someone"
	case name == "":
		return short
	case short == "":
		return name
	}
	return name + " (" + short + ")"
}

// auditText says in words what an audit entry records, from its typed
// details, as of now (for the year of a time).
func auditText(e api.AuditEntry, now time.Time) string {
	target := who(e.TargetName, e.Target)
	obj := ""
	if e.Object != nil {
		obj = e.Object.Short()
	}
	approved := "turned down"
	if e.Approved {
		approved = "approved"
	}
	switch e.Action {
	case "invite":
		until := "never expires"
		if e.Expires != nil {
			until = "works until " + whenText(*e.Expires, now)
		}
		uses := "unlimited uses"
		if e.MaxUses > 0 {
			uses = "admits " + plural(e.MaxUses, "person", "people")
		}
		return fmt.Sprintf("made invite %s: %s, %s", obj, until, uses)
	case "invite.revoke":
		return "revoked invite " + obj
	case "settings":
		files := int64(crdt.MaxFileSize)
		if e.MaxFileSize > 0 {
			files = e.MaxFileSize
		}
		return fmt.Sprintf("changed the settings: %s, files up to %s", e.Detail, crdt.SizeText(files)) // name "…", join by …
	case "deactivate":
		return "deactivated the community"
	case "icon":
		return "changed the community's picture"
	case "join.decide":
		return fmt.Sprintf("%s %s's request to join", approved, target)
	case "group.decide":
		return fmt.Sprintf("%s %s's request to join group %s", approved, target, obj)
	case "member.add":
		return fmt.Sprintf("added %s as %s", target, e.Role)
	case "member.remove":
		return "removed " + target
	case "member.role":
		return fmt.Sprintf("made %s %s", target, withArticle(e.Role))
	case "group.create":
		return fmt.Sprintf("created group %q", e.Name)
	case "group.update":
		return fmt.Sprintf("changed group %q", e.Name)
	case "group.order":
		return "reordered the groups"
	case "group.add", "group.remove":
		return fmt.Sprintf("%s: %s", target, e.Detail) // "added to Training"
	case "relay":
		if len(e.Addrs) == 0 {
			return "took relay " + e.Target + " off"
		}
		return fmt.Sprintf("registered relay %s at %s", e.Target, strings.Join(e.Addrs, " "))
	case "steps":
		return "set the first steps"
	case "delete":
		return fmt.Sprintf("deleted %s's message %s", target, obj)
	case "poll.close":
		return fmt.Sprintf("closed %s's poll %s", target, obj)
	case "pin":
		if e.Pinned {
			return "pinned message " + obj
		}
		return "unpinned message " + obj
	}
	// Kinds named here later: the action and its details as crdt words
	// them.
	parts := []string{e.Action}
	if e.Target != "" {
		parts = append(parts, target)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	return strings.Join(parts, ": ")
}

// withArticle is "an admin", "a member", "an owner".
func withArticle(role string) string {
	if role == "" {
		return "a member"
	}
	if strings.ContainsRune("aeiou", rune(role[0])) {
		return "an " + role
	}
	return "a " + role
}
