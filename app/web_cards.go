package app

import (
	"html"
	"html/template"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
)

// cardsHTML renders a column's cards. The board is the one page whose size
// grows with the project (thousands of cards), and html/template's
// reflection and per-field escaping were 70% of its time, so cards are
// written here with explicit escaping of every value. The markup must match
// what static/js/board-cards.js expects and what its cardContent builds for live
// updates (same elements, classes and data attributes);
// TestPagesEscapeUserText and the browser tests cover both.
func cardsHTML(projectID string, issues []models.Issue, names map[string]string, edit bool, scale string) template.HTML {
	var b strings.Builder
	b.Grow(len(issues) * 520)
	esc := html.EscapeString
	for _, is := range issues {
		id, key := esc(is.ID), esc(is.Key)
		b.WriteString(`<li class="kcard" data-issue-id="`)
		b.WriteString(id)
		b.WriteString(`" data-key="`)
		b.WriteString(key)
		b.WriteString(`" data-rank="`)
		b.WriteString(esc(is.Rank))
		b.WriteString(`" data-version="`)
		b.WriteString(strconv.FormatInt(is.Version, 10))
		b.WriteString(`" data-effort="`)
		if is.Effort != nil {
			b.WriteString(strconv.Itoa(*is.Effort))
		}
		b.WriteString(`" data-cycle-id="`)
		if is.CycleID != nil {
			b.WriteString(esc(*is.CycleID))
		}
		b.WriteString(`" data-comment-count="`)
		b.WriteString(strconv.FormatInt(is.CommentCount, 10))
		b.WriteString(`"><a class="ktitle" href="/projects/`)
		b.WriteString(esc(projectID))
		b.WriteString(`/issues/`)
		b.WriteString(id)
		b.WriteString(`"><span class="kkey">`)
		b.WriteString(key)
		b.WriteString(`</span> `)
		b.WriteString(esc(is.Title))
		b.WriteString(`</a>`)
		if is.AssigneeID != nil {
			name := names[*is.AssigneeID]
			b.WriteString(`<span class="kavatar" data-assignee-id="`)
			b.WriteString(esc(*is.AssigneeID))
			b.WriteString(`" title="Assigned to `)
			b.WriteString(esc(name))
			b.WriteString(`">`)
			b.WriteString(esc(initials(name)))
			b.WriteString(`</span>`)
		}
		b.WriteString(`<div class="kmeta">`)
		if is.Effort != nil {
			b.WriteString(`<span class="kest" title="Estimate">`)
			b.WriteString(esc(planning.EffortLabel(scale, *is.Effort)))
			b.WriteString(`</span>`)
		}
		if is.Carryover > 0 {
			n := strconv.Itoa(is.Carryover)
			b.WriteString(`<span class="kcarry" data-carryover="`)
			b.WriteString(n)
			b.WriteString(`" title="Carried over unfinished from `)
			b.WriteString(n)
			b.WriteString(` earlier cycle(s)">↻ `)
			b.WriteString(n)
			b.WriteString(`</span>`)
		}
		b.WriteString(`<span class="badge badge-xs priority-`)
		b.WriteString(esc(is.Priority))
		b.WriteString(`">`)
		b.WriteString(esc(is.Priority))
		b.WriteString(`</span>`)
		for _, l := range is.Labels {
			b.WriteString(`<span class="badge badge-xs badge-outline">`)
			b.WriteString(esc(l))
			b.WriteString(`</span>`)
		}
		if is.CommentCount > 0 {
			b.WriteString(`<span class="kcomments" title="Comments">`)
			b.WriteString(strconv.FormatInt(is.CommentCount, 10))
			b.WriteString(`</span>`)
		}
		if is.DueDate != nil {
			b.WriteString(`<span class="kdue">due `)
			b.WriteString(esc(*is.DueDate))
			b.WriteString(`</span>`)
		}
		b.WriteString(`</div>`)
		if edit {
			b.WriteString(`<button type="button" class="kmove" data-move-button aria-haspopup="menu" aria-label="Move `)
			b.WriteString(key)
			b.WriteString(`…">⋯</button>`)
		}
		b.WriteString("</li>\n")
	}
	return template.HTML(b.String()) // #nosec G203: every value above is escaped
}
