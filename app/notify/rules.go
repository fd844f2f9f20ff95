package notify

import "github.com/corkboard/corkboard/models"

// Rules are the notification rules the store applies in each change's
// transaction (models.Options.Notify).
type Rules struct{}

var _ models.NotifyRules = Rules{}

// Mentioned is the handles newText mentions that oldText did not.
func (Rules) Mentioned(oldText, newText string) []string { return newMentions(oldText, newText) }

// Plan decides, for one change to an issue:
//   - who starts watching: the author of a new issue, a new assignee,
//     a commenter and the newly mentioned (unless they chose to stop:
//     the store leaves those rows alone);
//   - who is told: the mentioned (mention), a new assignee (assigned),
//     and watchers of a commented (comment) or moved (status) issue;
//     each person once per change, the most direct reason winning
//     (mention, then assigned, then comment or status), plus
//     over_capacity for whose load the change took past capacity;
//   - never the actor, for their own action.
func (Rules) Plan(f models.NotifyFacts) models.NotifyPlan {
	var p models.NotifyPlan
	watch := map[string]bool{}
	addWatch := func(id string) {
		if id != "" && !watch[id] {
			watch[id] = true
			p.Watch = append(p.Watch, id)
		}
	}
	if f.Created || f.Commented {
		addWatch(f.ActorID)
	}
	if f.NewAssignee != f.OldAssignee {
		addWatch(f.NewAssignee)
	}
	for _, id := range f.Mentioned {
		addWatch(id)
	}

	told := map[string]bool{f.ActorID: true}
	tell := func(id, kind string) {
		if id != "" && !told[id] {
			told[id] = true
			p.Notify = append(p.Notify, models.NotifyRecipient{UserID: id, Kind: kind})
		}
	}
	for _, id := range f.Mentioned {
		tell(id, models.NotifyMention)
	}
	if f.NewAssignee != f.OldAssignee {
		tell(f.NewAssignee, models.NotifyAssigned)
	}
	if f.Commented || f.StatusMoved {
		kind := models.NotifyStatus
		if f.Commented {
			kind = models.NotifyComment
		}
		for _, id := range f.Watchers {
			tell(id, kind)
		}
	}
	if f.OverCapacity != "" && f.OverCapacity != f.ActorID {
		p.Notify = append(p.Notify, models.NotifyRecipient{UserID: f.OverCapacity, Kind: models.NotifyOverCapacity})
	}
	return p
}
