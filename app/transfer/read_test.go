package transfer

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The mapping rules of each source, on files built for them, with plain
// calls (no database): what Read makes of a file is the whole rule.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrelloMapping(t *testing.T) {
	p, err := ReadTrello(readFixture(t, "trello_board.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Website Redesign" || p.Description != "The new site" {
		t.Fatalf("board: %q %q", p.Name, p.Description)
	}
	// Open lists only, in pos order (the file lists them out of order).
	var cols []string
	for _, c := range p.Columns {
		cols = append(cols, c.Key+"/"+c.Name+"/"+c.Category)
	}
	want := []string{"backlog/Backlog/todo", "to_do/To Do/todo", "doing/Doing/started", "done/Done/done"}
	if !reflect.DeepEqual(cols, want) {
		t.Fatalf("columns %v, want %v", cols, want)
	}
	// Open cards only, list by list, pos order within a list; idShort is
	// the number.
	var got []string
	for _, is := range p.Issues {
		got = append(got, is.Status+"#"+itoa64(is.Number)+" "+is.Title)
	}
	want = []string{"backlog#3 Write copy", "backlog#7 Set up CI", "doing#6 Review  PR", "done#9 Deploy"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("issues %q, want %q", got, want)
	}
	ci := p.Issues[1]
	if !reflect.DeepEqual(ci.Labels, []string{"Bug", "green"}) {
		t.Fatalf("labels (named, else the colour): %q", ci.Labels)
	}
	if ci.DueDate == nil || *ci.DueDate != "2026-02-03" {
		t.Fatalf("due %v", ci.DueDate)
	}
	if ci.Description != "Use GitHub Actions\n\n### Steps\n\n- [ ] Add badge\n- [x] Write workflow" {
		t.Fatalf("checklist as a task list: %q", ci.Description)
	}
	if ci.Assignee != (Person{Email: "alice@example.com", Name: "Alice A"}) {
		t.Fatalf("assignee %+v", ci.Assignee)
	}
	if len(ci.Comments) != 2 || ci.Comments[0].Body != "Started on it" || ci.Comments[1].Body != "Second comment" ||
		ci.Comments[0].Author.Email != "alice@example.com" || !ci.Comments[0].CreatedAt.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("comments (commentCard only, oldest first): %+v", ci.Comments)
	}
	if !ci.CreatedAt.Equal(time.Unix(0x5f5e1000, 0)) || !ci.UpdatedAt.Equal(time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("times %v %v", ci.CreatedAt, ci.UpdatedAt)
	}
	if wc := p.Issues[0]; wc.Assignee != (Person{Name: "Jane Doe"}) || len(wc.Comments) != 1 || wc.Comments[0].Author.Name != "Jane Doe" {
		t.Fatalf("unmatched people stay named: %+v", wc)
	}
	if rv := p.Issues[2]; rv.Description != "bad byte" {
		t.Fatalf("NUL and control characters removed: %q / %q", rv.Title, rv.Description)
	}
	if !contains(p.Warnings, "archived items skipped: 1 lists and 2 cards") {
		t.Fatalf("warnings %q", p.Warnings)
	}
}

func TestTrelloRefusals(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`[1,2]`, "not a Trello board export"},
		{`{"name":"x"}`, "no lists and cards"},
		{`{"lists":[{"id":"a","name":"L","closed":true}],"cards":[]}`, "no open lists"},
		{`{"lists":[` + strings.Repeat(`{"id":"a","name":"L"},`, 20) + `{"id":"b","name":"M"}],"cards":[]}`, "more than 20 open lists"},
	} {
		_, err := ReadTrello([]byte(tc.file))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestCSVEdgeCases(t *testing.T) {
	// Line numbers are the file's, as an editor shows them: the first
	// row's quoted field spans lines 2 and 3.
	file := "\xef\xbb\xbfTitle,STATUS,Priority,Assignee,Labels,Effort,Due_Date,Description,Colour\r\n" +
		"\"Comma, and \"\"quotes\"\"\",Open,high,Bob@Example.com,\"ui, bug, UI\",3,2026-01-31,\"two\r\nlines\",red\r\n" +
		"\r\n" + // an empty line is no row
		"Plain,In progress,,,,,,,\r\n" +
		"Bad date,open,,,,,2026-13-40,,\r\n" +
		"Bad priority,open,asap,,,,,,\r\n" +
		",open,,,,,,,\r\n" + // no title
		"Bad effort,open,,,,lots,,,\r\n" +
		"New column,Blocked,low,Jane Doe,,,,,\r\n" +
		"Short row\r\n" +
		"Extra fields,done,,,,,,,x,y,z\r\n" +
		"Bad \"quote,open\r\n" +
		"Last,blocked,,,,,,,\r\n"
	p, err := ReadCSV([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range p.Issues {
		got = append(got, is.Status+"#"+itoa64(is.Number)+" "+is.Title)
	}
	want := []string{`open#1 Comma, and "quotes"`, "open#4 Short row", "in_progress#2 Plain", "done#5 Extra fields",
		"blocked#3 New column", "blocked#6 Last"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("issues %q, want %q", got, want)
	}
	first := p.Issues[0]
	if first.Priority != "high" || first.Assignee.Email != "bob@example.com" || !reflect.DeepEqual(first.Labels, []string{"ui", "bug"}) ||
		*first.Effort != 3 || *first.DueDate != "2026-01-31" || first.Description != "two\nlines" {
		t.Fatalf("first row: %+v", first)
	}
	if p.Columns[3].Key != "blocked" || p.Columns[3].Name != "Blocked" || len(p.Columns) != 4 {
		t.Fatalf("an unknown status becomes a column: %+v", p.Columns)
	}
	if p.Issues[4].Assignee != (Person{Name: "Jane Doe"}) {
		t.Fatalf("an assignee that is not an email is kept as a name: %+v", p.Issues[4].Assignee)
	}
	for _, w := range []string{"CSV columns ignored: Colour", "line 6 skipped: due_date", "line 7 skipped: priority",
		"line 8 skipped: no title", "line 9 skipped: effort", `line 13 skipped: bare "`} {
		if !hasPrefix(p.Warnings, w) {
			t.Errorf("no warning %q in %q", w, p.Warnings)
		}
	}
}

func TestCSVRefusals(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"", "not CSV with a header row"},
		{"name,status\nA,open\n", "no title column"},
	} {
		_, err := ReadCSV([]byte(tc.file))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%q: %v, want %q", tc.file, err, tc.want)
		}
	}
	// Invalid UTF-8 is replaced, never stored as it came.
	p, err := ReadCSV([]byte("title\nab\xffc\n"))
	if err != nil || p.Issues[0].Title != "ab\uFFFDc" {
		t.Fatalf("%v %+v", err, p)
	}
}

func TestCorkboardRefusals(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"format":"corkboard.export/2"}`, "format is"},
		{`{"format":"corkboard.export/1","columns":[]}`, "no columns"},
		{`{"format":"corkboard.export/1","columns":[{"key":"Bad Key","name":"x"}]}`, "invalid or repeated key"},
		{`{"format":`, "not a Corkboard export"},
	} {
		_, err := ReadCorkboard([]byte(tc.file))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want %q", tc.file, err, tc.want)
		}
	}
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// Numbers near the top of int64 would leave the project's counters with
// no room: the next issue or cycle created by hand would fail (a 500).
// Such items are skipped with a warning.
func TestHugeNumbersSkipped(t *testing.T) {
	const huge = "9223372036854775807"
	p, err := ReadCorkboard([]byte(`{"format":"corkboard.export/1","columns":[{"key":"todo","name":"To do"}],
		"cycles":[{"number":` + huge + `,"name":"C","starts_on":"2099-01-01","ends_on":"2099-01-05"}],
		"issues":[{"number":` + huge + `,"title":"Huge","status":"todo","priority":"low"},
		{"number":2,"title":"Fine","status":"todo","priority":"low"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Issues) != 1 || p.Issues[0].Number != 2 || len(p.Cycles) != 0 || len(p.Warnings) != 2 {
		t.Fatalf("corkboard: issues %+v cycles %+v warnings %q", p.Issues, p.Cycles, p.Warnings)
	}
	p, err = ReadTrello([]byte(`{"lists":[{"id":"l","name":"L"}],"cards":[
		{"id":"a","idShort":` + huge + `,"name":"Huge","idList":"l"},{"id":"b","idShort":3,"name":"Fine","idList":"l"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Issues) != 1 || p.Issues[0].Number != 3 || !hasPrefix(p.Warnings, `card "Huge" skipped`) {
		t.Fatalf("trello: issues %+v warnings %q", p.Issues, p.Warnings)
	}
}
