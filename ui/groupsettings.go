package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// groupRequestsHeight is how tall the list of requests to join a group
// is.
const groupRequestsHeight = 120

// groupPolicies are who can join a group, as the group forms offer them.
var groupPolicies = []struct{ policy, label string }{
	{"open", "Anyone in the community can join"},
	{"approval", "Admins let people in"},
	{"everyone", "Everyone is in it"},
}

// policyLabel is the form's wording of a group policy.
func policyLabel(policy string) string {
	for _, p := range groupPolicies {
		if p.policy == policy {
			return p.label
		}
	}
	return groupPolicies[0].label
}

// policyOf is the group policy of a form's wording.
func policyOf(label string) string {
	for _, p := range groupPolicies {
		if p.label == label {
			return p.policy
		}
	}
	return "open"
}

// policyChoices are the policies the local member may give a group;
// everyone says whether a group everyone is in is one of them. Only those
// who may change any group's policy (api.Community.CanEditGroups) make
// one: the community rules let any member, but a member should not put
// thousands of people in a group of theirs.
func policyChoices(everyone bool) []string {
	var out []string
	for _, p := range groupPolicies {
		if p.policy != "everyone" || everyone {
			out = append(out, p.label)
		}
	}
	return out
}

// policyHelp explains a policy under the choice.
func policyHelp(policy, community string) string {
	switch policy {
	case "approval":
		return "Members see the group and ask to join; an admin lets each one in."
	case "everyone":
		return "Every member of " + community + " is in it, including everyone who joins later. Nobody can leave it; they can mute it."
	}
	return "Members see the group and join it themselves."
}

// nameProblem says what is wrong with a group's or community's name, or
// "" when nothing is.
func nameProblem(name, what string) string {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "Give the " + what + " a name."
	case len(n) > maxNameLen:
		return tooLongName
	}
	return ""
}

// descriptionProblem says what is wrong with a description, or "".
func descriptionProblem(d string) string {
	if len(strings.TrimSpace(d)) > crdt.MaxDescLen {
		return "The description is too long; keep it under 1,000 letters (emoji and accented letters count as 2 to 4)."
	}
	return ""
}

// newDescriptionEntry is a multi-line entry for a description.
func newDescriptionEntry(a *App, placeholder string) *keyEntry {
	e := newKeyEntry(a)
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(2)
	e.SetPlaceHolder(placeholder)
	return e
}

// createGroupView is the new-group dialog's widgets.
type createGroupView struct {
	name        *keyEntry
	description *keyEntry
	policy      *widget.RadioGroup
	policyHelp  *widget.RichText
	create      *widget.Button
	// suggest: the group will be a suggestion an admin approves.
	suggest bool
}

// showCreateGroup creates a group or, where members only suggest groups,
// a suggestion; the new group opens.
func (a *App) showCreateGroup(cid crdt.ID) {
	community := a.communityName(cid)
	c := a.communityInfo(cid)
	v := &createGroupView{suggest: c.CreateSuggests}
	title, action, what := "New group", "Create group", "Could not create the group"
	if v.suggest {
		title, action, what = "Suggest a group", "Suggest group", "Could not suggest the group"
	}
	d := a.newDialog(title, nil)
	d.handles = v
	d.errLabel = errorLabel()
	v.name = newKeyEntry(a)
	v.name.SetPlaceHolder("e.g. Training, Wins of the week, Product questions")
	v.description = newDescriptionEntry(a, "What is it for? (optional)")
	v.policyHelp = hint(policyHelp("open", community))
	v.policy = widget.NewRadioGroup(policyChoices(c.CanEditGroups), func(label string) {
		setSecondary(v.policyHelp, policyHelp(policyOf(label), community))
		d.relayout()
	})
	v.policy.Required = true
	v.policy.SetSelected(policyLabel("open"))
	v.create = widget.NewButton(action, func() {
		name, desc := strings.TrimSpace(v.name.Text), strings.TrimSpace(v.description.Text)
		if p := nameProblem(name, "group"); p != "" {
			d.invalid(p)
			return
		}
		if p := descriptionProblem(desc); p != "" {
			d.invalid(p)
			return
		}
		var g api.Group
		d.run(what, v.create, func(ctx context.Context) (err error) {
			g, err = a.b.CreateGroup(ctx, cid, name, desc, policyOf(v.policy.Selected))
			return err
		}, func() {
			d.hide()
			if cid == a.community {
				a.reloadGroups()
				a.selectGroup(g.ID)
			} else {
				a.openGroup(cid, g.ID)
			}
		})
	})
	v.create.Importance = widget.HighImportance
	v.name.OnSubmitted = func(string) { v.create.OnTapped() }
	items := []fyne.CanvasObject{}
	if v.suggest {
		items = append(items, wrapped("In "+community+", members suggest groups and an admin approves them. Your group shows as a suggestion until then."))
	}
	items = append(items,
		sectionTitle("Name"), v.name,
		sectionTitle("Description"), v.description,
		sectionTitle("Who can join"), tight(v.policy, v.policyHelp),
		d.errLabel)
	cancel := widget.NewButton("Cancel", d.hide)
	d.setContent(container.NewVBox(items...), cancel, v.create)
	d.createEntry, d.confirm, d.cancel = v.name, v.create, cancel
	d.show()
	a.focus(v.name)
}

// groupSettingsView is the group-settings dialog's widgets and the group
// as last read.
type groupSettingsView struct {
	a   *App
	d   *dlg
	cid crdt.ID
	g   api.Group

	state       *widget.Label // suggested or archived, when it is
	approve     *widget.Button
	name        *keyEntry
	description *keyEntry
	policy      *widget.RadioGroup
	policyHelp  *widget.RichText
	archive     *widget.Button // "Archive group" or "Unarchive group"; nil for announcements
	// qa marks the group as a Q&A group; nil unless crdt lets the local
	// member (Group.CanSetQA).
	qa   *widget.Check
	save *widget.Button
	// requestsBox holds the requests to join an approval group; hidden
	// for other groups.
	requestsBox *fyne.Container
	requests    *requestList
}

// showGroupSettings renames, describes, re-policies or archives a group,
// approves a suggested one, and decides requests to join an approval
// group.
func (a *App) showGroupSettings(cid, gid crdt.ID) {
	g, err := a.findGroup(cid, gid)
	if err != nil {
		a.showError("Could not open the group's settings", err)
		return
	}
	community := a.communityName(cid)
	if !g.CanEdit {
		a.showErrorText("Only admins change groups", "Ask an admin of "+community+" to rename, describe or archive "+g.Name+".")
		return
	}
	d := a.newDialog("Group settings", nil)
	d.width = 540
	v := &groupSettingsView{a: a, d: d, cid: cid, g: g}
	d.handles = v
	d.errLabel = errorLabel()
	v.state = wrapped("")
	v.state.Importance = widget.WarningImportance
	v.approve = widget.NewButton("Approve group", v.approveGroup)
	v.approve.Importance = widget.HighImportance
	v.name = newKeyEntry(a)
	v.name.SetText(g.Name)
	v.description = newDescriptionEntry(a, "What is it for? (optional)")
	v.description.SetText(g.Description)
	v.policyHelp = hint(policyHelp(g.Policy, community))
	v.policy = widget.NewRadioGroup(policyChoices(a.communityInfo(cid).CanEditGroups), func(label string) {
		setSecondary(v.policyHelp, policyHelp(policyOf(label), community))
		d.relayout()
	})
	v.policy.Required = true
	v.policy.SetSelected(policyLabel(g.Policy))
	v.save = widget.NewButton("Save", v.saveGroup)
	v.save.Importance = widget.HighImportance
	v.name.OnSubmitted = func(string) { v.save.OnTapped() }
	v.requests = newRequestList(a, "Nobody is waiting to join "+g.Name+".")
	v.requests.decide = v.decide
	v.requests.confirmDeny = func(r api.JoinRequest, deny func()) {
		a.confirmAction("Deny "+r.Name+"'s request?", r.Name+" will not join "+v.g.Name+". They can ask again.", "Deny", deny)
	}
	v.requestsBox = container.NewVBox(widget.NewSeparator(), sectionTitle("Requests to join"),
		withMinHeight(container.NewVScroll(v.requests.box), groupRequestsHeight))

	items := []fyne.CanvasObject{container.NewBorder(nil, nil, nil, container.NewCenter(v.approve), v.state),
		sectionTitle("Name"), v.name, sectionTitle("Description"), v.description}
	if g.Kind != api.GroupAnnouncement {
		items = append(items, sectionTitle("Who can join"), tight(v.policy, v.policyHelp))
	}
	if g.CanSetQA {
		v.qa = widget.NewCheck(qaLabel, nil)
		v.qa.SetChecked(g.QA)
		items = append(items, sectionTitle("Questions and answers"), tight(v.qa, hint(qaHint)))
	}
	items = append(items, d.errLabel, v.requestsBox)
	cancel := widget.NewButton("Cancel", d.hide)
	buttons := []fyne.CanvasObject{}
	if g.Kind != api.GroupAnnouncement {
		v.archive = widget.NewButton("", v.toggleArchive)
		buttons = append(buttons, v.archive)
	}
	buttons = append(buttons, cancel, v.save)
	d.createEntry, d.confirm, d.cancel = v.name, v.save, cancel
	v.showState()
	v.refresh()
	d.setContent(container.NewVBox(items...), buttons...)
	d.show()
}

// qaLabel and qaHint are the group settings' Q&A choice.
const (
	qaLabel = "Q&A group: each post is a question"
	qaHint  = "The asker or an admin marks a reply as the answer; answered questions go into the community's FAQ, and admins see the unanswered ones in the home."
)

// findGroup reads group gid of community cid.
func (a *App) findGroup(cid, gid crdt.ID) (api.Group, error) {
	gs, err := a.b.Groups(cid)
	if err != nil {
		return api.Group{}, err
	}
	for _, g := range gs {
		if g.ID == gid {
			return g, nil
		}
	}
	return api.Group{}, api.ErrUnknownGroup
}

// communityID implements adminView.
func (v *groupSettingsView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it re-reads the group's state and its
// requests to join, leaving the fields being edited alone.
func (v *groupSettingsView) refresh() {
	if g, err := v.a.findGroup(v.cid, v.g.ID); err == nil {
		v.g = g
		v.showState()
	}
	if v.g.Policy != "approval" || v.g.Suggested || v.g.Kind == api.GroupAnnouncement {
		if v.requestsBox.Visible() {
			v.requestsBox.Hide()
			v.d.relayout()
		}
		return
	}
	if !v.requestsBox.Visible() {
		v.requestsBox.Show()
		v.d.relayout()
	}
	rs, err := v.a.b.GroupRequests(v.cid, v.g.ID)
	if err != nil {
		v.requests.showError(err)
		return
	}
	v.requests.show(rs)
}

// showState shows whether the group is a suggestion or archived, and the
// archive button's wording.
func (v *groupSettingsView) showState() {
	switch {
	case v.g.Suggested:
		v.state.SetText("A member suggested this group. Approve it so people can join it and post.")
		v.state.Show()
		v.approve.Show()
	case v.g.Archived:
		v.state.SetText("Archived: the group is read-only for everyone.")
		v.state.Show()
		v.approve.Hide()
	default:
		v.state.Hide()
		v.approve.Hide()
	}
	if v.archive != nil {
		if v.g.Archived {
			v.archive.SetText("Unarchive group")
			v.archive.Importance = widget.MediumImportance
		} else {
			v.archive.SetText("Archive group")
			v.archive.Importance = widget.DangerImportance
		}
		v.archive.Refresh()
	}
}

// stored is the group's settings as they are now, to change one of them.
func (v *groupSettingsView) stored() api.GroupSettings {
	s := api.GroupSettings{Name: v.g.Name, Description: v.g.Description, Policy: v.g.Policy, Archived: v.g.Archived}
	if v.g.Kind == api.GroupAnnouncement {
		s.Policy = "open" // the rules allow the announcement group only this
	}
	return s
}

// saveGroup saves the name, description and policy typed.
func (v *groupSettingsView) saveGroup() {
	name, desc := strings.TrimSpace(v.name.Text), strings.TrimSpace(v.description.Text)
	if p := nameProblem(name, "group"); p != "" {
		v.d.invalid(p)
		return
	}
	if p := descriptionProblem(desc); p != "" {
		v.d.invalid(p)
		return
	}
	s := v.stored()
	s.Name, s.Description = name, desc
	if v.g.Kind != api.GroupAnnouncement {
		s.Policy = policyOf(v.policy.Selected)
	}
	qa := v.qa != nil && v.qa.Checked != v.g.QA
	v.d.run("Could not save "+v.g.Name, v.save, func(ctx context.Context) error {
		if err := v.a.b.UpdateGroup(ctx, v.cid, v.g.ID, s); err != nil {
			return err
		}
		if qa {
			return v.a.b.SetQA(ctx, v.cid, v.g.ID, v.qa.Checked)
		}
		return nil
	}, func() {
		v.d.hide()
		v.a.groupsChanged(v.cid)
	})
}

// toggleArchive archives the group (after asking) or unarchives it.
func (v *groupSettingsView) toggleArchive() {
	s := v.stored()
	s.Archived = !v.g.Archived
	apply := func() {
		what := "Could not archive " + v.g.Name
		if !s.Archived {
			what = "Could not unarchive " + v.g.Name
		}
		v.d.run(what, v.archive, func(ctx context.Context) error {
			return v.a.b.UpdateGroup(ctx, v.cid, v.g.ID, s)
		}, func() {
			v.refresh()
			v.a.groupsChanged(v.cid)
		})
	}
	if !s.Archived {
		apply()
		return
	}
	v.a.confirmAction("Archive "+v.g.Name+"?",
		v.g.Name+" becomes read-only for everyone: nobody can post in it any more. Its messages stay readable, and you can unarchive it later.",
		"Archive", apply)
}

// approveGroup makes a member's suggested group a real one.
func (v *groupSettingsView) approveGroup() {
	s := v.stored()
	s.Approve = true
	v.d.run("Could not approve "+v.g.Name, v.approve, func(ctx context.Context) error {
		return v.a.b.UpdateGroup(ctx, v.cid, v.g.ID, s)
	}, func() {
		v.refresh()
		v.a.groupsChanged(v.cid)
	})
}

// decide approves or denies a request to join the group.
func (v *groupSettingsView) decide(r api.JoinRequest, approve bool) {
	what := "Could not let " + r.Name + " in"
	if !approve {
		what = "Could not deny " + r.Name
	}
	v.d.run(what, nil, func(ctx context.Context) error {
		return v.a.b.DecideGroupJoin(ctx, v.cid, v.g.ID, r.PeerID, approve)
	}, func() {
		v.refresh()
		v.a.groupsChanged(v.cid)
	})
}

// groupsChanged shows a change to community cid's groups at once (the
// backend's event follows).
func (a *App) groupsChanged(cid crdt.ID) {
	if cid == a.community {
		a.reloadGroups()
	}
}

// tooLongName says a name is over maxNameLen bytes, which is fewer
// characters than bytes for emoji and most non-Latin scripts.
const tooLongName = "That name is too long; keep it under 64 letters (emoji and accented letters count as 2 to 4)."
