package notify

import "github.com/corkboard/corkboard/models"

// Sentence is a notification in words, without the issue's title (shown
// beside it): "Alice mentioned you on CORK-12". The bell, the page and
// the mails say the same (static/js/notifications.js mirrors it).
func Sentence(n models.Notification) string {
	who, key := n.Actor.Name, n.Issue.Key
	switch n.Kind {
	case models.NotifyMention:
		return who + " mentioned you on " + key
	case models.NotifyAssigned:
		return who + " assigned you " + key
	case models.NotifyComment:
		return who + " commented on " + key
	case models.NotifyStatus:
		return who + " moved " + key
	case models.NotifyDueSoon:
		return key + " is due tomorrow"
	case models.NotifyOverCapacity:
		return who + " put you over capacity with " + key
	}
	return who + " changed " + key
}
