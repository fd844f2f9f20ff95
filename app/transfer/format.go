// Package transfer is how a project gets in and out of Corkboard: the
// export document (JSON and CSV, streamed from the store a page at a time)
// and imports from that document, a Trello board's JSON export or a CSV
// file, each read into one Plan that Importer writes as a new project. No
// HTTP here: the API and the import page call it (README "Export and
// import" states the mapping rules).
package transfer

import "time"

// Format is the value of a Corkboard export's "format".
const Format = "corkboard.export/1"

// CSVHeader is the header row of a CSV export, exactly.
var CSVHeader = []string{"key", "title", "status", "priority", "assignee", "labels", "effort", "due_date", "cycle",
	"created_at", "updated_at", "description"}

// Document is the JSON export (DESIGN "Getting in and out"). Issues are in
// board order, column by column. The export writes it field by field; the
// corkboard import reads it whole.
type Document struct {
	Format     string      `json:"format"`
	ExportedAt time.Time   `json:"exported_at"`
	Project    DocProject  `json:"project"`
	Columns    []DocColumn `json:"columns"`
	Members    []DocMember `json:"members"`
	Cycles     []DocCycle  `json:"cycles"`
	Issues     []DocIssue  `json:"issues"`
}

// DocProject is the project and its planning settings.
type DocProject struct {
	Key               string `json:"key"`
	Name              string `json:"name"`
	Description       string `json:"description"`
	Timezone          string `json:"timezone"`
	EstimateScale     string `json:"estimate_scale"`
	UnestimatedEffort int    `json:"unestimated_effort"`
	CapacityPolicy    string `json:"capacity_policy"`
}

// DocColumn is a column, in board order.
type DocColumn struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Category string `json:"category"`
	WIPLimit *int   `json:"wip_limit"`
}

// DocMember is a member, named by email.
type DocMember struct {
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Handle      string `json:"handle"`
	Role        string `json:"role"`
	Capacity    *int   `json:"capacity"`
}

// DocCycle is a cycle. Capacities (per-cycle overrides of members'
// capacities) are an addition to DESIGN's list, so that planning data
// survives a round trip.
type DocCycle struct {
	Number     int64         `json:"number"`
	Name       string        `json:"name"`
	StartsOn   string        `json:"starts_on"`
	EndsOn     string        `json:"ends_on"`
	Goal       string        `json:"goal"`
	Capacities []DocCapacity `json:"capacities"`
}

// DocCapacity is a member's capacity in one cycle.
type DocCapacity struct {
	Email  string `json:"email"`
	Points int    `json:"points"`
}

// DocIssue is an issue with its comments, oldest first.
type DocIssue struct {
	Number        int64        `json:"number"`
	Title         string       `json:"title"`
	Description   string       `json:"description"`
	Status        string       `json:"status"`
	Priority      string       `json:"priority"`
	AssigneeEmail *string      `json:"assignee_email"`
	Labels        []string     `json:"labels"`
	Effort        *int         `json:"effort"`
	DueDate       *string      `json:"due_date"`
	CycleNumber   *int64       `json:"cycle_number"`
	Carryover     int          `json:"carryover"`
	AuthorEmail   *string      `json:"author_email"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	Comments      []DocComment `json:"comments"`
}

// DocComment is a comment.
type DocComment struct {
	AuthorEmail string    `json:"author_email"`
	Body        string    `json:"body"`
	CreatedAt   time.Time `json:"created_at"`
}
