package models_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// jsonIssueTexts is user text encoding has to get right: JSON's own
// specials, HTML's (the JSON may sit in a page), control characters,
// non-ASCII, JavaScript's line separators, and bytes that are not UTF-8.
var jsonIssueTexts = []string{"", "plain", `quote " back \ slash /`, "</script><!-- & -->", "<b>&amp;</b>",
	"tab\t nl\n cr\r bs\b ff\f nul\x00 \x01\x1f del\x7f", "ünï©ødé 日本語 🎉", "\u2028line\u2029para",
	"bad \xff\xfe utf8 \xe2\x82", "trunc \xf0\x9f\x8e", "\ufffd", "ends in \\"}

func TestAppendIssueJSON(t *testing.T) {
	effort, zero, due, id := 13, 0, "2026-12-31", "0b0e6f6a-3c8e-4a57-9a53-7a1c2a0f1b11"
	berlin := time.FixedZone("CET", 3600)
	base := models.Issue{ID: id, ProjectID: id, Number: 42, Key: "CORK-42", Status: "open", Priority: "high", Rank: "a0V",
		Version: 7, CreatedAt: time.Date(2026, 12, 6, 2, 25, 38, 123456789, time.UTC),
		UpdatedAt: time.Date(2026, 12, 6, 2, 25, 38, 0, berlin), Labels: []string{}}
	var cases []models.Issue
	for _, text := range jsonIssueTexts {
		is := base
		is.Title, is.Description, is.Labels, is.Rank, is.Key = text, text+text, []string{text, "b"}, text, text
		is.AssigneeID, is.DueDate, is.CycleID = &text, &text, &text
		cases = append(cases, is)
	}
	full := base
	full.AssigneeID, full.AuthorID, full.Effort, full.DueDate, full.CycleID = &id, &id, &effort, &due, &id
	full.Carryover, full.CommentCount, full.Number, full.Version = 3, 1<<40, -1, 1<<62
	nilLabels := base
	nilLabels.Labels, nilLabels.Effort = nil, &zero
	zeroTime := base
	zeroTime.CreatedAt, zeroTime.UpdatedAt = time.Time{}, time.Date(2026, 1, 1, 0, 0, 0, 100, time.FixedZone("", -(9*3600+30*60)))
	edges := base
	edges.CreatedAt, edges.UpdatedAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 10, time.UTC)
	utcNamed := base
	utcNamed.CreatedAt = time.Date(2026, 7, 1, 12, 0, 0, 120000000, time.FixedZone("UTC", 0))
	cases = append(cases, base, full, nilLabels, zeroTime, edges, utcNamed)
	for _, is := range cases {
		want, err := json.Marshal(is)
		if err != nil {
			t.Fatal(err)
		}
		got, err := models.AppendIssueJSON([]byte("prefix"), &is)
		if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("AppendIssueJSON = %s, %v\njson.Marshal   = prefix%s", got, err, want)
		}
	}
	// Times json.Marshal refuses are refused, not written some other way.
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))} {
		is := base
		is.UpdatedAt = tm
		_, merr := json.Marshal(is)
		if _, err := models.AppendIssueJSON(nil, &is); (err == nil) != (merr == nil) {
			t.Errorf("%v: AppendIssueJSON error %v, json.Marshal error %v", tm, err, merr)
		}
	}
}

// FuzzAppendIssueJSON holds the hand-written encoder to json.Marshal for
// any text and any time.
func FuzzAppendIssueJSON(f *testing.F) {
	for i, text := range jsonIssueTexts {
		f.Add(text, text+"x", int64(i)*1e17, int32(i*3600))
	}
	f.Fuzz(func(t *testing.T, title, label string, nanos int64, offset int32) {
		tm := time.Unix(0, nanos).In(time.FixedZone("", int(offset%(30*3600))))
		is := models.Issue{Title: title, Description: label + title, Labels: []string{label}, AssigneeID: &label,
			CreatedAt: tm, UpdatedAt: tm.UTC()}
		want, merr := json.Marshal(is)
		got, err := models.AppendIssueJSON(nil, &is)
		if (err == nil) != (merr == nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("AppendIssueJSON = %s, %v\njson.Marshal   = %s, %v", got, err, want, merr)
		}
	})
}
