package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// analyze runs ANALYZE on the database at dsn (its search_path: the
// bench's schema) once the board is seeded. A PostgreSQL whose autovacuum
// is off (as on the shared test server) would otherwise plan the moves on
// never analyzed tables: corkboard_move's neighbour query then scanned
// and sorted the project's issues instead of reading the last one of the
// column from issues_board, ~100 µs of postgres CPU a move that a
// production server, analyzing within a minute, does not spend.
func analyze(dsn string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("-pg-analyze: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("-pg-analyze: %w", err)
	}
	return nil
}
