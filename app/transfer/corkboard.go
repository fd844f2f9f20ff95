package transfer

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/corkboard/corkboard/models"
)

var (
	projectKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
	columnKeyPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,29}$`)
)

// ReadCorkboard reads a Corkboard export (Document) into a plan.
func ReadCorkboard(data []byte) (*Plan, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return nil, fileError("the file is not a Corkboard export (JSON): %v", err)
	}
	if d.Format != Format {
		return nil, fileError("the file is not a Corkboard export: format is %q, want %q", clip(d.Format, 40), Format)
	}
	p := &Plan{Source: "the exported project", Name: cleanLine(d.Project.Name, maxName),
		Description: cleanText(d.Project.Description, maxProjectText)}
	p.Key = strings.ToUpper(strings.TrimSpace(d.Project.Key))
	if !projectKeyPattern.MatchString(p.Key) {
		p.Key = ""
	}
	p.Settings = models.ProjectSettings{EstimateScale: d.Project.EstimateScale, UnestimatedEffort: d.Project.UnestimatedEffort,
		Timezone: d.Project.Timezone, CapacityPolicy: d.Project.CapacityPolicy}

	taken := map[string]bool{}
	for _, c := range d.Columns {
		if len(p.Columns) == maxColumns {
			return nil, fileError("the file has more than %d columns", maxColumns)
		}
		name := cleanLine(c.Name, maxColumnName)
		if name == "" {
			name = "Column"
		}
		key := c.Key
		if !columnKeyPattern.MatchString(key) || taken[key] {
			return nil, fileError("column %q has an invalid or repeated key", clip(c.Key, 40))
		}
		taken[key] = true
		cat := c.Category
		if cat != models.CategoryTodo && cat != models.CategoryStarted && cat != models.CategoryDone {
			cat = guessCategory(name)
		}
		wip := c.WIPLimit
		if wip != nil && (*wip < 1 || *wip > 1000) {
			wip = nil
		}
		p.Columns = append(p.Columns, models.Column{Key: key, Name: name, Category: cat, WIPLimit: wip})
	}
	if len(p.Columns) == 0 {
		return nil, fileError("the file has no columns")
	}
	for _, m := range d.Members {
		email := cleanEmail(m.Email)
		role := models.Role(m.Role)
		if email == "" || !role.Valid() {
			p.warn("member %q skipped: no valid email or role", clip(m.Email, 60))
			continue
		}
		p.Members = append(p.Members, PlanMember{Person: Person{Email: email, Name: cleanLine(m.DisplayName, 80)},
			Role: role, Capacity: capacity(m.Capacity)})
	}
	cycles := readDocCycles(p, d.Cycles)
	numbers := map[int64]bool{}
	for _, is := range d.Issues {
		pi, ok := readDocIssue(p, is, taken, cycles)
		if !ok {
			continue
		}
		if numbers[pi.Number] {
			p.warn("issue number %d appears twice: the second is skipped", pi.Number)
			continue
		}
		numbers[pi.Number] = true
		p.Issues = append(p.Issues, pi)
	}
	return p, nil
}

func capacity(c *int) *int {
	if c == nil || *c < 0 || *c > models.MaxCapacity {
		return nil
	}
	return c
}

func readDocCycles(p *Plan, in []DocCycle) map[int64]bool {
	have := map[int64]bool{}
	for _, c := range in {
		if c.Number < 1 || c.Number > maxNumber || have[c.Number] || !validDate(c.StartsOn) || !validDate(c.EndsOn) || c.EndsOn < c.StartsOn {
			p.warn("cycle %d skipped: invalid number or dates", c.Number)
			continue
		}
		overlap := false
		for _, o := range p.Cycles {
			if c.StartsOn <= o.EndsOn && o.StartsOn <= c.EndsOn {
				overlap = true
			}
		}
		if overlap {
			p.warn("cycle %d skipped: it overlaps another", c.Number)
			continue
		}
		pc := PlanCycle{Number: c.Number, Name: cleanLine(c.Name, maxName), StartsOn: c.StartsOn, EndsOn: c.EndsOn,
			Goal: cleanText(c.Goal, 2000), Capacities: map[string]int{}}
		if pc.Name == "" {
			pc.Name = "Cycle " + itoa64(c.Number)
		}
		for _, cp := range c.Capacities {
			if e := cleanEmail(cp.Email); e != "" && cp.Points >= 0 && cp.Points <= models.MaxCapacity {
				pc.Capacities[e] = cp.Points
			}
		}
		have[c.Number] = true
		p.Cycles = append(p.Cycles, pc)
	}
	return have
}

func readDocIssue(p *Plan, is DocIssue, columns map[string]bool, cycles map[int64]bool) (PlanIssue, bool) {
	title := cleanLine(is.Title, maxTitle)
	switch {
	case is.Number < 1 || is.Number > maxNumber:
		p.warn("an issue without a valid number is skipped (%q)", clip(title, 60))
		return PlanIssue{}, false
	case title == "":
		p.warn("issue %d skipped: no title", is.Number)
		return PlanIssue{}, false
	case !columns[is.Status]:
		p.warn("issue %d skipped: status %q is not a column", is.Number, clip(is.Status, 40))
		return PlanIssue{}, false
	case !validPriority(is.Priority):
		p.warn("issue %d skipped: priority %q", is.Number, clip(is.Priority, 20))
		return PlanIssue{}, false
	}
	pi := PlanIssue{Number: is.Number, Title: title, Description: cleanText(is.Description, maxText), Status: is.Status,
		Priority: is.Priority, Effort: is.Effort, Carryover: max(is.Carryover, 0),
		CreatedAt: is.CreatedAt, UpdatedAt: is.UpdatedAt}
	if is.AssigneeEmail != nil {
		pi.Assignee = Person{Email: cleanEmail(*is.AssigneeEmail)}
	}
	if is.AuthorEmail != nil {
		pi.Author = Person{Email: cleanEmail(*is.AuthorEmail)}
	}
	var dropped int
	if pi.Labels, dropped = cleanLabels(is.Labels); dropped > 0 {
		p.warn("issue %d: %d labels over %d dropped", is.Number, dropped, maxLabels)
	}
	if pi.Effort != nil && (*pi.Effort < 0 || *pi.Effort > maxEffort) {
		p.warn("issue %d: effort %d dropped", is.Number, *pi.Effort)
		pi.Effort = nil
	}
	if is.DueDate != nil {
		if validDate(*is.DueDate) {
			pi.DueDate = is.DueDate
		} else {
			p.warn("issue %d: due date %q dropped", is.Number, clip(*is.DueDate, 20))
		}
	}
	if is.CycleNumber != nil {
		if cycles[*is.CycleNumber] {
			pi.CycleNumber = is.CycleNumber
		} else {
			p.warn("issue %d: cycle %d is not in the file", is.Number, *is.CycleNumber)
		}
	}
	for _, c := range is.Comments {
		body := cleanText(c.Body, maxText)
		if strings.TrimSpace(body) == "" {
			continue
		}
		pi.Comments = append(pi.Comments, PlanComment{Author: Person{Email: cleanEmail(c.AuthorEmail)}, Body: body,
			CreatedAt: c.CreatedAt})
	}
	return pi, true
}

func validPriority(p string) bool {
	for _, q := range models.Priorities {
		if p == q {
			return true
		}
	}
	return false
}
