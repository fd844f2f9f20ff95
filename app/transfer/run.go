package transfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
)

// Sources an import reads.
const (
	SourceCorkboard = "corkboard"
	SourceTrello    = "trello"
	SourceCSV       = "csv"
)

// ValidSource reports whether s is a source an import reads.
func ValidSource(s string) bool {
	return s == SourceCorkboard || s == SourceTrello || s == SourceCSV
}

// Read reads data from source into a plan; a *FileError says why a file
// cannot be imported at all.
func Read(source string, data []byte) (*Plan, error) {
	switch source {
	case SourceCorkboard:
		return ReadCorkboard(data)
	case SourceTrello:
		return ReadTrello(data)
	case SourceCSV:
		return ReadCSV(data)
	}
	return nil, fileError("unknown source %q", source)
}

// Store is what an import writes (models.Store; import_job.go there says
// how a project is written whole or not at all).
type Store interface {
	UsersByEmail(ctx context.Context, emails []string) (map[string]models.User, error)
	StartImport(ctx context.Context, jobID string, p models.ImportProject, total int) (string, map[int64]string, error)
	ImportIssues(ctx context.Context, jobID, projectID, projectKey string, cycleIDs map[int64]string, batch []models.ImportIssue, done, total int) error
	FinishImport(ctx context.Context, jobID, projectID, ownerID string, members []models.ImportMember, warnings []string) error
	FailImport(ctx context.Context, id, reason string) error
}

// Rules are the planning rules an import holds settings and efforts to
// (app/planning; the app passes them in).
type Rules struct {
	CheckSettings func(models.ProjectSettings) error
	CheckEffort   func(scale string, effort int) string
	CheckCycle    func(startsOn, endsOn string) string // what is wrong with the period ("" if nothing)
}

// Importer writes files as new projects.
type Importer struct {
	Store     Store
	Rules     Rules
	Now       func() time.Time
	Log       *slog.Logger
	BatchSize int // issues per transaction; 0: 250
}

// ErrStopped fails the jobs of a server that stops while they run.
var ErrStopped = errors.New("the server stopped during the import; upload the file again")

// Run imports data (from source) as a new project owned by owner, for job
// jobID. Any failure fails the job with a reason and leaves no project.
func (im *Importer) Run(ctx context.Context, jobID string, owner models.User, source, name string, data []byte) (err error) {
	defer func() {
		if v := recover(); v != nil { // a bug must fail the job, not the server
			err = fmt.Errorf("import: panic: %v", v)
			im.fail(ctx, jobID, err)
		}
	}()
	err = im.run(ctx, jobID, owner, source, name, data)
	if err != nil {
		im.fail(ctx, jobID, err)
	}
	return err
}

// fail fails the job with a reason for its creator.
func (im *Importer) fail(ctx context.Context, jobID string, err error) {
	reason := "the import failed; nothing was created"
	var fe *FileError
	switch {
	case errors.As(err, &fe):
		reason = fe.Error()
	case ctx.Err() != nil:
		reason = ErrStopped.Error()
	default:
		im.Log.Error("import failed", "job", jobID, "err", err)
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if ferr := im.Store.FailImport(fctx, jobID, reason); ferr != nil {
		im.Log.Error("failing an import", "job", jobID, "err", ferr) // a restart's sweep finishes it
	}
}

func (im *Importer) run(ctx context.Context, jobID string, owner models.User, source, name string, data []byte) error {
	plan, err := Read(source, data)
	if err != nil {
		return err
	}
	if n := cleanLine(name, maxName); n != "" {
		plan.Name = n
	}
	if plan.Name == "" {
		plan.Name = "Imported board"
	}
	if plan.Key == "" {
		plan.Key = deriveKey(plan.Name)
	}
	if plan.Settings != (models.ProjectSettings{}) && im.Rules.CheckSettings != nil {
		if err := im.Rules.CheckSettings(plan.Settings); err != nil {
			plan.warn("the project's planning settings were invalid (%v): the defaults are used", err)
			plan.Settings = models.ProjectSettings{}
		}
	}
	im.checkCycles(plan)
	w, err := im.resolve(ctx, plan, owner)
	if err != nil {
		return err
	}
	now := im.now()
	issues := w.issues(plan, now)
	sequence(issues, now)
	total := len(issues)
	pid, cycleIDs, err := im.Store.StartImport(ctx, jobID, w.project(plan), total)
	if err != nil {
		return err
	}
	size := im.BatchSize
	if size <= 0 {
		size = 250
	}
	for start := 0; start < total; start += size {
		end := min(start+size, total)
		if err := im.Store.ImportIssues(ctx, jobID, pid, plan.Key, cycleIDs, issues[start:end], end, total); err != nil {
			return err
		}
	}
	return im.Store.FinishImport(ctx, jobID, pid, owner.ID, w.memberList(), w.warnings(plan))
}

// checkCycles drops the cycles the planning rules refuse (too long), and
// takes their issues out of them, with warnings.
func (im *Importer) checkCycles(plan *Plan) {
	if im.Rules.CheckCycle == nil {
		return
	}
	dropped := map[int64]bool{}
	kept := plan.Cycles[:0]
	for _, c := range plan.Cycles {
		if msg := im.Rules.CheckCycle(c.StartsOn, c.EndsOn); msg != "" {
			plan.warn("cycle %d skipped: %s", c.Number, msg)
			dropped[c.Number] = true
			continue
		}
		kept = append(kept, c)
	}
	plan.Cycles = kept
	for i := range plan.Issues {
		if n := plan.Issues[i].CycleNumber; n != nil && dropped[*n] {
			plan.Issues[i].CycleNumber = nil
		}
	}
}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now().UTC()
	}
	return time.Now().UTC()
}

// people matches a plan's people to accounts and collects the members.
type people struct {
	im        *Importer
	owner     models.User
	users     map[string]models.User // by email
	members   map[string]models.ImportMember
	unmatched map[string]int // who the file names without an account, and how often
}

func (im *Importer) resolve(ctx context.Context, plan *Plan, owner models.User) (*people, error) {
	seen := map[string]bool{}
	var emails []string
	add := func(p Person) {
		if p.Email != "" && !seen[p.Email] {
			seen[p.Email] = true
			emails = append(emails, p.Email)
		}
	}
	for _, m := range plan.Members {
		add(m.Person)
	}
	for _, is := range plan.Issues {
		add(is.Assignee)
		add(is.Author)
		for _, c := range is.Comments {
			add(c.Author)
		}
	}
	users, err := im.Store.UsersByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	w := &people{im: im, owner: owner, users: users, members: map[string]models.ImportMember{}, unmatched: map[string]int{}}
	for _, m := range plan.Members {
		if u, ok := users[m.Email]; ok {
			w.members[u.ID] = models.ImportMember{UserID: u.ID, Role: m.Role, Capacity: m.Capacity}
		} else {
			w.unmatched[m.Person.String()]++
		}
	}
	return w, nil
}

// match is the account of p, if it has one; p is otherwise counted as
// unmatched (when the file names anyone).
func (w *people) match(p Person) (models.User, bool) {
	if u, ok := w.users[p.Email]; ok && p.Email != "" {
		return u, true
	}
	if !p.empty() {
		w.unmatched[p.String()]++
	}
	return models.User{}, false
}

func (w *people) project(plan *Plan) models.ImportProject {
	p := models.ImportProject{Name: plan.Name, Key: plan.Key, Description: plan.Description, Settings: plan.Settings,
		Columns: plan.Columns}
	for _, c := range plan.Cycles {
		ic := models.TransferCycle{Number: c.Number, Name: c.Name, StartsOn: c.StartsOn, EndsOn: c.EndsOn, Goal: c.Goal,
			Capacities: map[string]int{}}
		for email, pts := range c.Capacities {
			if u, ok := w.users[email]; ok {
				if _, member := w.members[u.ID]; member || u.ID == w.owner.ID {
					ic.Capacities[u.ID] = pts
				}
			}
		}
		p.Cycles = append(p.Cycles, ic)
	}
	return p
}

func (w *people) issues(plan *Plan, now time.Time) []models.ImportIssue {
	out := make([]models.ImportIssue, 0, len(plan.Issues))
	last := map[string]string{} // column -> the rank of its last issue
	for _, pi := range plan.Issues {
		is := models.ImportIssue{Number: pi.Number, Title: pi.Title, Status: pi.Status, Priority: pi.Priority,
			Labels: pi.Labels, Effort: pi.Effort, DueDate: pi.DueDate, CycleNumber: pi.CycleNumber,
			Carryover: pi.Carryover, CreatedAt: pi.CreatedAt, UpdatedAt: pi.UpdatedAt}
		var notes []string
		if u, ok := w.match(pi.Assignee); ok {
			is.AssigneeID = &u.ID
			w.join(u)
		} else if !pi.Assignee.empty() {
			notes = append(notes, "_Assigned to "+pi.Assignee.String()+" in "+plan.Source+"._")
		}
		is.Actor = w.owner // who created it, as the log tells: its author, else the importer
		if u, ok := w.match(pi.Author); ok {
			is.AuthorID, is.Actor = &u.ID, u
		} else if !pi.Author.empty() {
			notes = append(notes, "_Created by "+pi.Author.String()+" in "+plan.Source+"._")
		} else if plan.Source != "the exported project" {
			is.AuthorID = &w.owner.ID
		}
		is.Description = withNotes(pi.Description, notes)
		if is.Effort != nil && w.im.Rules.CheckEffort != nil && plan.Settings.EstimateScale != "" {
			if msg := w.im.Rules.CheckEffort(plan.Settings.EstimateScale, *is.Effort); msg != "" {
				plan.warn("issue %d: effort %d dropped (%s)", pi.Number, *is.Effort, msg)
				is.Effort = nil
			}
		}
		if is.CreatedAt.IsZero() {
			is.CreatedAt = now
		}
		if is.UpdatedAt.Before(is.CreatedAt) {
			is.UpdatedAt = is.CreatedAt
		}
		rank, _ := models.RankBetween(last[pi.Status], "") // always after a valid key
		last[pi.Status], is.Rank = rank, rank
		for _, c := range pi.Comments {
			ic := models.ImportComment{Body: c.Body, CreatedAt: c.CreatedAt}
			if u, ok := w.match(c.Author); ok {
				ic.Author = u
				if plan.Source != "the exported project" { // its members list says who is one
					w.join(u)
				}
			} else {
				ic.Author = w.owner
				if !c.Author.empty() {
					ic.Body = clip("**"+c.Author.String()+"** wrote in "+plan.Source+":\n\n"+c.Body, maxText)
				}
			}
			if ic.CreatedAt.IsZero() {
				ic.CreatedAt = now
			}
			is.Comments = append(is.Comments, ic)
		}
		out = append(out, is)
	}
	return out
}

// join makes u a member (an editor) unless they are one already.
func (w *people) join(u models.User) {
	if _, member := w.members[u.ID]; !member && u.ID != w.owner.ID {
		w.members[u.ID] = models.ImportMember{UserID: u.ID, Role: models.RoleEditor}
	}
}

// withNotes appends notes to a description, clipping the description to
// keep it within the limit.
func withNotes(desc string, notes []string) string {
	if len(notes) == 0 {
		return desc
	}
	tail := strings.Join(notes, "\n")
	room := maxText - len([]rune(tail)) - 2
	desc = strings.TrimRight(clip(desc, max(room, 0)), "\n")
	if desc == "" {
		return clip(tail, maxText)
	}
	return desc + "\n\n" + tail
}

func (w *people) memberList() []models.ImportMember {
	out := make([]models.ImportMember, 0, len(w.members))
	for _, m := range w.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

func (w *people) warnings(plan *Plan) []string {
	out := append([]string(nil), plan.Warnings...)
	names := make([]string, 0, len(w.unmatched))
	for n := range w.unmatched {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, fmt.Sprintf("%s has no account here: kept as text (%d mentions)", n, w.unmatched[n]))
	}
	return out
}
