package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// joinPolicies are how people with an invite link become members, as the
// settings offer them.
var joinPolicies = []struct{ policy, label string }{
	{"link", "Anyone with an invite link joins"},
	{"approval", "An admin approves each person"},
}

// joinPolicyLabel is the settings' wording of a join policy.
func joinPolicyLabel(policy string) string {
	for _, p := range joinPolicies {
		if p.policy == policy {
			return p.label
		}
	}
	return joinPolicies[0].label
}

// joinPolicyOf is the join policy of the settings' wording.
func joinPolicyOf(label string) string {
	for _, p := range joinPolicies {
		if p.label == label {
			return p.policy
		}
	}
	return "link"
}

// settingsView is the community-settings dialog's widgets and the
// settings as read when it opened.
type settingsView struct {
	was         api.Settings
	name        *keyEntry
	description *keyEntry
	joinPolicy  *widget.RadioGroup
	groups      *widget.Check // members create groups
	history     *widget.Check // new members see earlier messages
	private     *widget.Check // members message each other privately
	// celebrate is who celebrates wins (celebrateChoices); nil unless crdt
	// lets the local member choose (Community.CanSetTeamSettings).
	celebrate *widget.RadioGroup
	save      *widget.Button
	relays    *widget.Button // opens the relays dialog
}

// showCommunitySettings changes the community's name, description, join
// policy, who creates groups, and history for newcomers (admins).
func (a *App) showCommunitySettings(cid crdt.ID) {
	community := a.communityName(cid)
	if !a.communityInfo(cid).CanEditSettings {
		a.showErrorText("Only admins change the settings", "Ask an admin of "+community+" to change its name, description or who can join.")
		return
	}
	s, err := a.b.Settings(cid)
	if err != nil {
		a.showError("Could not open the settings", err)
		return
	}
	d := a.newDialog("Community settings", nil)
	d.width = 540
	v := &settingsView{was: s}
	d.handles = v
	d.errLabel = errorLabel()
	v.name = newKeyEntry(a)
	v.name.SetText(s.Name)
	v.description = newDescriptionEntry(a, "What is this community for? New members see it first.")
	v.description.SetText(s.Description)
	labels := make([]string, len(joinPolicies))
	for i, p := range joinPolicies {
		labels[i] = p.label
	}
	v.joinPolicy = widget.NewRadioGroup(labels, nil)
	v.joinPolicy.Required = true
	v.joinPolicy.SetSelected(joinPolicyLabel(s.JoinPolicy))
	v.groups = widget.NewCheck("Members can create groups", nil)
	v.groups.SetChecked(s.MembersCreateGroups)
	v.history = widget.NewCheck("New members see earlier messages", nil)
	v.history.SetChecked(!s.HideHistory)
	v.private = widget.NewCheck(privateSettingLabel, nil)
	v.private.SetChecked(!s.PrivateToAdminsOnly)
	c := a.communityInfo(cid)
	if c.CanSetTeamSettings {
		v.celebrate = widget.NewRadioGroup(celebrateChoices[:], nil)
		v.celebrate.Required = true
		v.celebrate.SetSelected(celebrateChoice(c.AdminsCelebrate))
	}
	v.save = widget.NewButton("Save", func() {
		name, desc := strings.TrimSpace(v.name.Text), strings.TrimSpace(v.description.Text)
		if p := nameProblem(name, "community"); p != "" {
			d.invalid(p)
			return
		}
		if p := descriptionProblem(desc); p != "" {
			d.invalid(p)
			return
		}
		next := api.Settings{Name: name, Description: desc, JoinPolicy: joinPolicyOf(v.joinPolicy.Selected),
			MembersCreateGroups: v.groups.Checked, HideHistory: !v.history.Checked, PrivateToAdminsOnly: !v.private.Checked, Deactivated: v.was.Deactivated, MaxFileSize: v.was.MaxFileSize}
		only := v.celebrate != nil && v.celebrate.Selected == celebrateChoice(true)
		celebrate := v.celebrate != nil && only != c.AdminsCelebrate
		d.run("Could not save the settings", v.save, func(ctx context.Context) error {
			if err := a.b.UpdateSettings(ctx, cid, next); err != nil {
				return err
			}
			if celebrate {
				return a.b.SetAdminsCelebrate(ctx, cid, only)
			}
			return nil
		}, func() {
			d.hide()
			a.reloadCommunities()
			if cid == a.community {
				a.home.refreshHeader()
			}
		})
	})
	v.save.Importance = widget.HighImportance
	v.name.OnSubmitted = func(string) { v.save.OnTapped() }
	cancel := widget.NewButton("Cancel", d.hide)
	body := container.NewVBox(
		sectionTitle("Name"), v.name,
		sectionTitle("Description"), v.description,
		a.iconRow(cid),
		sectionTitle("How people join"),
		tight(v.joinPolicy, hint("With approval, people who open an invite link ask to join, and you let them in from Join requests.")),
		sectionTitle("Groups, history and private messages"),
		tight(v.groups, hint("Otherwise members suggest groups and an admin approves them.")),
		tight(v.history, hint("On: people who join can scroll back through training, tips and announcements posted before they came. Off: they see only what is posted after they join.")),
		tight(v.private, hint(privateSettingHint)))
	if v.celebrate != nil {
		body.Add(sectionTitle("Who can celebrate wins"))
		body.Add(tight(v.celebrate, hint("A win is a card with a badge that recognises a member: it shows in the group, on the Wall of wins and beside their name.")))
	}
	body.Add(a.relaysRow(cid, v))
	body.Add(d.errLabel)
	d.setContent(a.fitToWindow(body), cancel, v.save)
	d.createEntry, d.confirm, d.cancel = v.name, v.save, cancel
	d.show()
	a.focus(v.name)
}

// celebrateChoices are who celebrates wins, as the settings offer them:
// everyone who may post, or admins only.
var celebrateChoices = [...]string{"Everyone", "Admins only"}

// celebrateChoice is the settings' wording of whether only admins
// celebrate.
func celebrateChoice(adminsOnly bool) string {
	if adminsOnly {
		return celebrateChoices[1]
	}
	return celebrateChoices[0]
}

// relaysRow is the Relays section of the community settings: how many
// relays keep the community, and v.relays, the button to the relays
// dialog.
func (a *App) relaysRow(cid crdt.ID, v *settingsView) fyne.CanvasObject {
	summary := "The relays could not be listed."
	if rs, err := a.b.Relays(cid); err == nil {
		summary = relaysSummary(len(rs))
	}
	v.relays = widget.NewButtonWithIcon("Relays…", theme.StorageIcon(), func() { a.showRelays(cid) })
	return container.NewVBox(sectionTitle("Relays"),
		container.NewBorder(nil, nil, nil, container.NewCenter(v.relays), hint(summary)))
}
