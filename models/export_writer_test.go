package models

import "context"

// HoldWriter occupies the writer of projectID with a change that waits,
// so that the changes submitted meanwhile queue and then commit together.
// waiting reports how many are queued; release lets the writer go on.
func HoldWriter(s *Store, projectID string) (waiting func() int64, release func()) {
	held, rel := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.commit(context.Background(), projectID, func(*wtx) error {
			close(held)
			<-rel
			return nil
		})
	}()
	<-held
	w := s.writerOf(projectID)
	return w.waiting.Load, func() { close(rel) }
}

// WriterBatches is how many transactions the writer of projectID has run.
func WriterBatches(s *Store, projectID string) int64 { return s.writerOf(projectID).batches.Load() }

// BareChange submits a bare change (commitBare) of projectID that runs stmt
// (its one parameter is projectID; none if "") and then answers fail, as a
// refusal if refused.
func BareChange(ctx context.Context, s *Store, projectID, stmt string, fail error, refused bool) error {
	return s.commitBare(ctx, projectID, func(t *wtx) error {
		if stmt != "" {
			if _, err := t.exec(stmt, projectID); err != nil {
				return err
			}
		}
		if refused {
			return refuse(fail)
		}
		return fail
	})
}
