package models

import "context"

// CountProjectRows counts the rows of a table that belong to a project. It
// exists for the black-box tests (models_test) to check that deleting a
// project removes its rows, which no public method can show.
func CountProjectRows(ctx context.Context, s *Store, table, projectID string) (int64, error) {
	var n int64
	err := s.read(ctx).Table(table).Where("project_id = ?", projectID).Count(&n).Error
	return n, err
}
