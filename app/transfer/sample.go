package transfer

import (
	"encoding/json"
	"fmt"
)

// SampleTrelloBoard generates a Trello board export of cards open cards
// over five lists, with labels, members, a checklist on every tenth card
// and a comment on every fifth: the file the import benchmark and the
// interrupted-import test upload.
func SampleTrelloBoard(cards int) []byte {
	id := func(kind, n int) string { return fmt.Sprintf("5f5e1000%04x%012x", kind, n) }
	type m = map[string]any
	board := m{"id": id(0, 0), "name": "Generated board", "desc": "A generated board"}
	var lists, labels, members, cs, checklists, actions []m
	names := []string{"Backlog", "To do", "Doing", "Review", "Done"}
	for i, n := range names {
		lists = append(lists, m{"id": id(1, i), "name": n, "closed": false, "pos": (i + 1) * 1024})
	}
	for i, c := range []string{"red", "green", "blue"} {
		labels = append(labels, m{"id": id(2, i), "name": "", "color": c})
	}
	for i := range 3 {
		members = append(members, m{"id": id(3, i), "fullName": fmt.Sprintf("Member %d", i), "username": fmt.Sprintf("member%d", i)})
	}
	for n := 1; n <= cards; n++ {
		card := m{"id": id(4, n), "idShort": n, "name": fmt.Sprintf("Card %d: a title of an ordinary length", n),
			"desc":   "Some description of the work, long enough to look like a real card's text, with a [link](https://example.com).",
			"closed": false, "idList": id(1, n%len(names)), "pos": n * 16, "idLabels": []string{id(2, n%3)},
			"idMembers": []string{}, "due": nil}
		if n%4 == 0 {
			card["idMembers"] = []string{id(3, n%3)}
		}
		if n%10 == 0 {
			checklists = append(checklists, m{"id": id(5, n), "idCard": id(4, n), "name": "Steps", "pos": 1,
				"checkItems": []m{{"name": "One", "state": "complete", "pos": 1}, {"name": "Two", "state": "incomplete", "pos": 2}}})
		}
		if n%5 == 0 {
			actions = append(actions, m{"id": id(6, n), "type": "commentCard", "date": "2021-01-01T00:00:00.000Z",
				"idMemberCreator": id(3, 0), "data": m{"text": "A comment on the card", "card": m{"id": id(4, n)}}})
		}
		cs = append(cs, card)
	}
	board["lists"], board["labels"], board["members"], board["cards"] = lists, labels, members, cs
	board["checklists"], board["actions"] = checklists, actions
	b, _ := json.Marshal(board)
	return b
}
