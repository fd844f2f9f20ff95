package models_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

func TestColumns(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		keys := func() string {
			t.Helper()
			p, err := s.GetProject(ctx, f.viewer.ID, f.p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ks []string
			for _, c := range p.Columns {
				ks = append(ks, c.Key)
			}
			return strings.Join(ks, ",")
		}
		column := func(key string) models.Column {
			t.Helper()
			p, _ := s.GetProject(ctx, f.viewer.ID, f.p.ID)
			for _, c := range p.Columns {
				if c.Key == key {
					return c
				}
			}
			t.Fatalf("no column %s", key)
			return models.Column{}
		}

		// Add: the key is derived from the name, the column goes last.
		out, _, err := s.AddColumn(ctx, f.owner, f.p.ID, models.ColumnInput{Name: "Code review", WIPLimit: ptr(3)})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out.Column, models.Column{Key: "code_review", Name: "Code review", WIPLimit: ptr(3), Category: "todo"}) ||
			len(out.Columns) != 4 || keys() != "open,in_progress,done,code_review" {
			t.Fatalf("added %+v; board %s", out, keys())
		}
		seq := f.seq()
		for _, c := range []struct {
			name  string
			in    models.ColumnInput
			field string
		}{
			{"duplicate key", models.ColumnInput{Name: "Again", Key: "code_review"}, "key"},
			{"duplicate derived key", models.ColumnInput{Name: "Open"}, "key"},
			{"bad key", models.ColumnInput{Name: "x", Key: "Bad Key"}, "key"},
			{"empty name", models.ColumnInput{Name: " ", Key: "blank"}, "name"},
			{"zero WIP", models.ColumnInput{Name: "QA", WIPLimit: ptr(0)}, "wip_limit"},
		} {
			_, _, err := s.AddColumn(ctx, f.owner, f.p.ID, c.in)
			wantInvalid(t, err, c.field)
		}
		_, _, err = s.AddColumn(ctx, f.editor, f.p.ID, models.ColumnInput{Name: "QA"})
		wantErr(t, err, models.ErrForbidden)
		if f.seq() != seq || keys() != "open,in_progress,done,code_review" {
			t.Fatalf("refused additions changed the board: seq %d -> %d, %s", seq, f.seq(), keys())
		}

		// Update: name and WIP limit; an absent WIP limit stays, Null clears it.
		out, _, err = s.UpdateColumn(ctx, f.owner, f.p.ID, "code_review",
			models.ColumnPatch{Name: ptr("Review"), WIPLimit: models.Some(5)})
		if err != nil || !reflect.DeepEqual(out.Column, models.Column{Key: "code_review", Name: "Review", WIPLimit: ptr(5), Category: "todo"}) {
			t.Fatalf("update: %+v, %v", out.Column, err)
		}
		if _, _, err := s.UpdateColumn(ctx, f.owner, f.p.ID, "code_review", models.ColumnPatch{Name: ptr("In review")}); err != nil {
			t.Fatal(err)
		}
		if c := column("code_review"); c.Name != "In review" || c.WIPLimit == nil || *c.WIPLimit != 5 {
			t.Fatalf("a name-only patch changed the WIP limit: %+v", c)
		}
		out, _, err = s.UpdateColumn(ctx, f.owner, f.p.ID, "code_review", models.ColumnPatch{WIPLimit: models.Null[int]()})
		if err != nil || out.Column.WIPLimit != nil || column("code_review").WIPLimit != nil {
			t.Fatalf("clearing the WIP limit: %+v, %v", out.Column, err)
		}
		_, _, err = s.UpdateColumn(ctx, f.owner, f.p.ID, "code_review", models.ColumnPatch{WIPLimit: models.Some(1001)})
		wantInvalid(t, err, "wip_limit")
		_, _, err = s.UpdateColumn(ctx, f.owner, f.p.ID, "nope", models.ColumnPatch{Name: ptr("x")})
		wantErr(t, err, models.ErrNotFound)

		// Reorder: keys must be a permutation of the board's columns.
		for _, bad := range [][]string{
			{},
			{"done", "open"},
			{"open", "in_progress", "done", "code_review", "extra"},
			{"open", "open", "done", "code_review"},
			{"open", "in_progress", "done", "nope"},
		} {
			_, _, err := s.ReorderColumns(ctx, f.owner, f.p.ID, bad)
			wantInvalid(t, err, "keys")
		}
		if keys() != "open,in_progress,done,code_review" {
			t.Fatalf("refused reorders changed the order: %s", keys())
		}
		out, _, err = s.ReorderColumns(ctx, f.owner, f.p.ID, []string{"code_review", "done", "open", "in_progress"})
		if err != nil || keys() != "code_review,done,open,in_progress" || out.Columns[0].Key != "code_review" {
			t.Fatalf("reorder: %+v, %v; board %s", out.Columns, err, keys())
		}
		// A new issue with no status goes to the first column.
		if is := f.issue("first column", ""); is.Status != "code_review" {
			t.Fatalf("new issue in %s, want code_review", is.Status)
		}

		// Delete: only empty columns, never the last one.
		busy := f.issue("busy", "done")
		_, _, err = s.DeleteColumn(ctx, f.owner, f.p.ID, "done")
		wantInvalid(t, err, "key")
		_, _, err = s.DeleteColumn(ctx, f.owner, f.p.ID, "nope")
		wantErr(t, err, models.ErrNotFound)
		out, _, err = s.DeleteColumn(ctx, f.owner, f.p.ID, "in_progress")
		if err != nil || out.Column.Key != "in_progress" || len(out.Columns) != 3 || keys() != "code_review,done,open" {
			t.Fatalf("delete empty column: %+v, %v; board %s", out, err, keys())
		}
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, busy.ID); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"done", "open"} {
			if _, _, err := s.DeleteColumn(ctx, f.owner, f.p.ID, k); err != nil {
				t.Fatalf("delete %s: %v", k, err)
			}
		}
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, f.board()[0].ID); err != nil {
			t.Fatal(err)
		}
		seq = f.seq()
		_, _, err = s.DeleteColumn(ctx, f.owner, f.p.ID, "code_review")
		wantInvalid(t, err, "key")
		if keys() != "code_review" || f.seq() != seq {
			t.Fatalf("the last column was deleted or seq moved: %s, seq %d -> %d", keys(), seq, f.seq())
		}
	})
}
