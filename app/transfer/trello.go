package transfer

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
)

// A Trello board's JSON export: the parts an import reads.
type trelloBoard struct {
	Name       string            `json:"name"`
	Desc       string            `json:"desc"`
	Lists      []trelloList      `json:"lists"`
	Cards      []trelloCard      `json:"cards"`
	Labels     []trelloLabel     `json:"labels"`
	Checklists []trelloChecklist `json:"checklists"`
	Actions    []trelloAction    `json:"actions"`
	Members    []trelloMember    `json:"members"`
}

type trelloList struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Closed bool    `json:"closed"`
	Pos    float64 `json:"pos"`
}

type trelloCard struct {
	ID               string        `json:"id"`
	IDShort          int64         `json:"idShort"`
	Name             string        `json:"name"`
	Desc             string        `json:"desc"`
	Closed           bool          `json:"closed"`
	IDList           string        `json:"idList"`
	IDLabels         []string      `json:"idLabels"`
	Labels           []trelloLabel `json:"labels"`
	IDMembers        []string      `json:"idMembers"`
	IDChecklists     []string      `json:"idChecklists"`
	Due              *string       `json:"due"`
	Pos              float64       `json:"pos"`
	DateLastActivity *time.Time    `json:"dateLastActivity"`
}

type trelloLabel struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

type trelloChecklist struct {
	ID         string  `json:"id"`
	IDCard     string  `json:"idCard"`
	Name       string  `json:"name"`
	Pos        float64 `json:"pos"`
	CheckItems []struct {
		Name  string  `json:"name"`
		State string  `json:"state"`
		Pos   float64 `json:"pos"`
	} `json:"checkItems"`
}

type trelloAction struct {
	Type            string    `json:"type"`
	Date            time.Time `json:"date"`
	IDMemberCreator string    `json:"idMemberCreator"`
	Data            struct {
		Text string `json:"text"`
		Card struct {
			ID string `json:"id"`
		} `json:"card"`
	} `json:"data"`
	MemberCreator *trelloMember `json:"memberCreator"`
}

type trelloMember struct {
	ID       string `json:"id"`
	FullName string `json:"fullName"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

func (m trelloMember) person() Person {
	name := cleanLine(m.FullName, 80)
	if name == "" {
		name = cleanLine(m.Username, 80)
	}
	return Person{Email: cleanEmail(m.Email), Name: name}
}

// ReadTrello reads a Trello board export into a plan: open lists become
// columns in list order, open cards issues in card order, numbered by
// idShort (README "Export and import" has every rule).
func ReadTrello(data []byte) (*Plan, error) {
	var b trelloBoard
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&b); err != nil {
		return nil, fileError("the file is not a Trello board export (JSON): %v", err)
	}
	if b.Lists == nil || b.Cards == nil {
		return nil, fileError("the file is not a Trello board export: it has no lists and cards")
	}
	p := &Plan{Source: "Trello", Name: cleanLine(b.Name, maxName), Description: cleanText(b.Desc, maxProjectText)}
	sort.SliceStable(b.Lists, func(i, j int) bool { return b.Lists[i].Pos < b.Lists[j].Pos })
	column := map[string]string{} // open list id -> column key
	taken := map[string]bool{}
	closedLists := 0
	for _, l := range b.Lists {
		if l.Closed {
			closedLists++
			continue
		}
		if len(p.Columns) == maxColumns {
			return nil, fileError("the board has more than %d open lists", maxColumns)
		}
		name := cleanLine(l.Name, maxColumnName)
		if name == "" {
			name = "List"
		}
		key := columnKey(name, taken)
		column[l.ID] = key
		p.Columns = append(p.Columns, columnOf(key, name))
	}
	if len(p.Columns) == 0 {
		return nil, fileError("the board has no open lists")
	}
	labels := map[string]string{}
	for _, l := range b.Labels {
		labels[l.ID] = labelName(l)
	}
	members := map[string]Person{}
	for _, m := range b.Members {
		members[m.ID] = m.person()
		// The board's members with an address become editors when it is
		// an account's; the others are named where they appear.
		if pm := m.person(); pm.Email != "" {
			p.Members = append(p.Members, PlanMember{Person: pm, Role: models.RoleEditor})
		}
	}
	checklists := map[string][]trelloChecklist{}
	for _, c := range b.Checklists {
		checklists[c.IDCard] = append(checklists[c.IDCard], c)
	}
	comments := map[string][]PlanComment{}
	sort.SliceStable(b.Actions, func(i, j int) bool { return b.Actions[i].Date.Before(b.Actions[j].Date) })
	for _, a := range b.Actions {
		if a.Type != "commentCard" {
			continue
		}
		body := cleanText(a.Data.Text, maxText)
		if strings.TrimSpace(body) == "" {
			continue
		}
		who := members[a.IDMemberCreator] // the board's members may carry an email
		if who.empty() && a.MemberCreator != nil {
			who = a.MemberCreator.person()
		}
		comments[a.Data.Card.ID] = append(comments[a.Data.Card.ID], PlanComment{Author: who, Body: body, CreatedAt: a.Date.UTC()})
	}
	// Cards in list order, then card order within a list.
	order := map[string]int{}
	for i, l := range b.Lists {
		order[l.ID] = i
	}
	sort.SliceStable(b.Cards, func(i, j int) bool {
		ci, cj := b.Cards[i], b.Cards[j]
		if order[ci.IDList] != order[cj.IDList] {
			return order[ci.IDList] < order[cj.IDList]
		}
		return ci.Pos < cj.Pos
	})
	numbers := map[int64]bool{}
	closedCards := 0
	for _, c := range b.Cards {
		key, open := column[c.IDList]
		if c.Closed || !open {
			closedCards++
			continue
		}
		if c.IDShort < 1 || c.IDShort > maxNumber || numbers[c.IDShort] {
			p.warn("card %q skipped: its number %d is missing or repeated", clip(cleanLine(c.Name, 60), 60), c.IDShort)
			continue
		}
		numbers[c.IDShort] = true
		p.Issues = append(p.Issues, trelloIssue(p, c, key, labels, members, checklists[c.ID], comments[c.ID]))
	}
	if closedLists > 0 || closedCards > 0 {
		p.warn("archived items skipped: %d lists and %d cards", closedLists, closedCards)
	}
	return p, nil
}

func labelName(l trelloLabel) string {
	if n := cleanLine(l.Name, maxLabel); n != "" {
		return n
	}
	return cleanLine(l.Color, maxLabel)
}

func trelloIssue(p *Plan, c trelloCard, status string, labels map[string]string, members map[string]Person,
	lists []trelloChecklist, comments []PlanComment) PlanIssue {
	title := cleanLine(c.Name, maxTitle)
	if title == "" {
		title = "Card " + strconv.FormatInt(c.IDShort, 10)
	}
	created := trelloTime(c.ID)
	updated := created
	if c.DateLastActivity != nil && c.DateLastActivity.After(created) {
		updated = c.DateLastActivity.UTC()
	}
	pi := PlanIssue{Number: c.IDShort, Title: title, Status: status, Priority: "medium", CreatedAt: created,
		UpdatedAt: updated, Comments: comments}
	var names []string
	seen := map[string]bool{}
	for _, l := range c.Labels {
		seen[l.ID] = true
		names = append(names, labelName(l))
	}
	for _, id := range c.IDLabels {
		if !seen[id] && labels[id] != "" {
			names = append(names, labels[id])
		}
	}
	var dropped int
	if pi.Labels, dropped = cleanLabels(names); dropped > 0 {
		p.warn("card %d: %d labels over %d dropped", c.IDShort, dropped, maxLabels)
	}
	if c.Due != nil && *c.Due != "" {
		if t, err := time.Parse(time.RFC3339, *c.Due); err == nil {
			d := t.UTC().Format("2006-01-02")
			pi.DueDate = &d
		} else {
			p.warn("card %d: due date %q dropped", c.IDShort, clip(*c.Due, 30))
		}
	}
	if len(c.IDMembers) > 0 {
		pi.Assignee = members[c.IDMembers[0]]
		if pi.Assignee.empty() {
			pi.Assignee = Person{Name: "member " + clip(c.IDMembers[0], 24)}
		}
		for _, id := range c.IDMembers[1:] {
			if m := members[id]; !m.empty() {
				p.warn("card %d: only the first member is the assignee; %s is not carried", c.IDShort, m)
			}
		}
	}
	desc := cleanText(c.Desc, maxText)
	sort.SliceStable(lists, func(i, j int) bool { return lists[i].Pos < lists[j].Pos })
	for _, cl := range lists {
		var sb strings.Builder
		sb.WriteString("\n\n### " + cleanLine(cl.Name, maxName) + "\n")
		items := cl.CheckItems
		sort.SliceStable(items, func(i, j int) bool { return items[i].Pos < items[j].Pos })
		for _, it := range items {
			box := "[ ]"
			if it.State == "complete" {
				box = "[x]"
			}
			sb.WriteString("\n- " + box + " " + cleanLine(it.Name, 1000))
		}
		desc += sb.String()
	}
	pi.Description = strings.TrimLeft(clip(desc, maxText), "\n")
	return pi
}

// trelloTime is when a Trello object was made: the first 8 hex digits of
// its id are Unix seconds (a MongoDB ObjectId).
func trelloTime(id string) time.Time {
	if len(id) >= 8 {
		if s, err := strconv.ParseInt(id[:8], 16, 64); err == nil {
			return time.Unix(s, 0).UTC()
		}
	}
	return time.Time{}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
