package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// Group commit. Every change to a project goes through a writer: one
// goroutine that takes the changes queued while it was busy, runs them in
// one transaction with a savepoint around each, and commits once. A change
// that fails rolls back to its savepoint and changes nothing; the others
// still commit. Each change takes its own seq and writes its own event row
// inside its savepoint, so the log stays gap-free; the callers return (and
// announce) only after the shared COMMIT. A bare change (commitBare: one
// that writes nothing unless it succeeds, the PostgreSQL move) skips its
// savepoint.
//
// Why: a move is a handful of cheap statements, but each transaction pays
// BEGIN, COMMIT and the WAL write of every page it dirtied (on PostgreSQL,
// a commit fsync). With 16 concurrent movers, one commit for the batch
// instead of one per move is most of the difference between ~2,000 and
// many thousand moves per second. With one caller at a time the batch is
// that one change, without a savepoint: nothing changes for light load.
//
// SQLite has one writer (one connection): one writer goroutine. PostgreSQL
// gets writerShards goroutines, a project always on the same one, so
// changes of different projects do not queue behind each other and two
// batches never wait for each other's project locks.

const (
	maxBatch     = 64 // changes per transaction
	writerShards = 4  // PostgreSQL writer goroutines
)

// errClosed answers changes submitted after Close.
var errClosed = errors.New("models: the store is closed")

// writer is one group-commit loop.
type writer struct {
	s        *Store
	ops      chan *writeOp // unbuffered: blocked senders are the queue
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	waiting  atomic.Int64 // changes queued for the next transaction
	batches  atomic.Int64 // transactions run
	changes  atomic.Int64 // changes run in them
}

// writeOp is one change waiting for its batch.
type writeOp struct {
	ctx   context.Context
	fn    func(t *wtx) error
	bare  bool // runs without a savepoint (commitBare)
	err   error
	panic any
	done  chan struct{}
}

// refusal is the error of a bare change that wrote nothing.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }

// refuse marks err as a bare change's failure that wrote nothing.
func refuse(err error) error { return refusal{err} }

// wtx is a batch's transaction as one change sees it: GORM for ordinary
// statements, and the hot statements of the change path prepared once per
// writer connection (on SQLite, parsing and planning a statement cost more
// than running it).
type wtx struct {
	s     *Store
	ctx   context.Context
	gorm  *gorm.DB
	tx    *sql.Tx
	hot   *hotStatements
	bound map[string]*sql.Stmt // hot statements bound to tx, per batch
}

func (s *Store) startWriters() {
	n := 1
	if s.dialect == "postgres" {
		n = writerShards
	}
	s.writers = make([]*writer, n)
	for i := range s.writers {
		w := &writer{s: s, ops: make(chan *writeOp), quit: make(chan struct{}), done: make(chan struct{})}
		s.writers[i] = w
		go w.loop()
	}
	if s.dialect == "sqlite" {
		s.checkpointer = &checkpointer{s: s, quit: make(chan struct{}), done: make(chan struct{})}
		s.checkpointer.start()
	}
}

func (s *Store) stopWriters() {
	for _, w := range s.writers {
		w.stopOnce.Do(func() { close(w.quit) })
		<-w.done
	}
	if batches, changes := s.CommitStats(); batches > 0 {
		s.log.Info("group commit", "transactions", batches, "changes", changes,
			"changes_per_transaction", float64(changes)/float64(batches))
	}
	if c := s.checkpointer; c != nil {
		c.stopOnce.Do(func() { close(c.quit) })
		<-c.done
	}
}

// CommitStats counts the write transactions the writers have run and the
// changes they carried (their ratio is the group-commit batch size), for
// metrics.
func (s *Store) CommitStats() (transactions, changes int64) {
	for _, w := range s.writers {
		transactions, changes = transactions+w.batches.Load(), changes+w.changes.Load()
	}
	return transactions, changes
}

// commit runs fn in a (possibly shared) transaction of the writer of
// projectID and returns once that transaction has committed or fn's
// change has been rolled back. fn runs on the writer's goroutine; a panic
// in it is re-raised here.
func (s *Store) commit(ctx context.Context, projectID string, fn func(t *wtx) error) error {
	return s.submit(ctx, projectID, &writeOp{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// commitBare is commit for a change that needs no savepoint: one that
// writes nothing until its last possible refusal, and returns refuse(err)
// for a refusal. In a batch that saves a round trip per change (the
// savepoint's). Should it fail after writing (any error not a refusal,
// or a panic), the writer rolls the transaction back and runs the rest
// of the batch again without it: its batch-mates still commit.
func (s *Store) commitBare(ctx context.Context, projectID string, fn func(t *wtx) error) error {
	return s.submit(ctx, projectID, &writeOp{ctx: ctx, fn: fn, bare: true, done: make(chan struct{})})
}

func (s *Store) submit(ctx context.Context, projectID string, op *writeOp) error {
	w := s.writerOf(projectID)
	w.waiting.Add(1)
	select {
	case w.ops <- op:
		w.waiting.Add(-1)
	case <-w.quit:
		w.waiting.Add(-1)
		return errClosed
	case <-ctx.Done():
		w.waiting.Add(-1)
		return ctx.Err()
	}
	// Once taken, the op's outcome is waited for even if ctx ends: the
	// caller must know whether the change committed.
	<-op.done
	if op.panic != nil {
		panic(op.panic)
	}
	return op.err
}

// writerOf is the writer that commits projectID's changes.
func (s *Store) writerOf(projectID string) *writer {
	if len(s.writers) == 1 {
		return s.writers[0]
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(projectID))
	return s.writers[h.Sum32()%uint32(len(s.writers))]
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case op := <-w.ops:
			batch = append(batch[:0], op)
		case <-w.quit:
			return
		}
		// Take what is queued. Then yield, once per change taken, so that
		// goroutines already runnable (requests on their way here) can
		// join this commit instead of paying for the next one: a yield
		// costs nothing when nobody else wants the CPU.
		for yields := 0; len(batch) < maxBatch; {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
				continue
			default:
			}
			if yields >= len(batch) {
				break
			}
			yields++
			runtime.Gosched()
		}
		w.run(batch)
		w.batches.Add(1)
		w.changes.Add(int64(len(batch)))
		for i, op := range batch {
			close(op.done)
			batch[i] = nil
		}
	}
}

// run executes a batch in one transaction and sets each op's outcome. A
// bare change that failed after writing leaves the transaction in a state
// no savepoint can undo: it is rolled back, and the others run again.
func (w *writer) run(batch []*writeOp) {
	for {
		dirty := w.runOnce(batch)
		if dirty < 0 {
			return
		}
		rest := make([]*writeOp, 0, len(batch)-1)
		for i, op := range batch {
			if i != dirty {
				op.err, op.panic = nil, nil
				rest = append(rest, op)
			}
		}
		batch = rest
	}
}

// runOnce runs batch in one transaction; it answers the index of a bare
// change that failed after writing (the transaction is rolled back), or -1.
func (w *writer) runOnce(batch []*writeOp) int {
	ctx := context.Background()
	hot := w.s.hotStatements(ctx)
	gtx := w.s.wdb.WithContext(ctx).Begin()
	if gtx.Error != nil {
		for _, op := range batch {
			op.err = gtx.Error
		}
		return -1
	}
	tx, ok := sqlTx(gtx.Statement.ConnPool)
	if !ok {
		gtx.Rollback()
		for _, op := range batch {
			op.err = fmt.Errorf("models: a transaction over %T, not *sql.Tx", gtx.Statement.ConnPool)
		}
		return -1
	}
	t := &wtx{s: w.s, ctx: ctx, gorm: gtx, tx: tx, hot: hot, bound: map[string]*sql.Stmt{}}
	alone := len(batch) == 1
	var fatal error // the transaction itself failed: nothing commits
	// One savepoint name serves every change. After a change succeeds its
	// savepoint is released together with the next one's start, and one
	// that failed is rolled back to, which leaves it in place for the next:
	// one statement per change (a round trip on PostgreSQL), not two. COMMIT
	// keeps whatever the last savepoint holds.
	const (
		open       = "SAVEPOINT cb_change"
		reopen     = "RELEASE SAVEPOINT cb_change; SAVEPOINT cb_change"
		rollBack   = "ROLLBACK TO SAVEPOINT cb_change"
		noPoint    = 0
		cleanPoint = 1
		usedPoint  = 2
	)
	point := noPoint
	for i, op := range batch {
		if fatal != nil {
			op.err = fatal
			continue
		}
		if err := op.ctx.Err(); err != nil {
			op.err = err
			continue
		}
		if alone {
			if op.err = op.call(t); op.err != nil {
				op.err = unrefused(op.err)
				gtx.Rollback()
				return -1
			}
			break
		}
		if op.bare {
			err := op.call(t)
			if r, ok := err.(refusal); ok {
				op.err = r.err
				continue
			}
			if op.err = err; err != nil {
				gtx.Rollback()
				return i
			}
			if point == cleanPoint { // a rollback to it would undo this change
				point = usedPoint
			}
			continue
		}
		if point != cleanPoint {
			q := open
			if point == usedPoint {
				q = reopen
			}
			if _, err := tx.ExecContext(ctx, q); err != nil {
				fatal, op.err = err, err
				continue
			}
			point = cleanPoint
		}
		if op.err = op.call(t); op.err == nil {
			point = usedPoint
		} else if _, err := tx.ExecContext(ctx, rollBack); err != nil {
			fatal = err
		}
	}
	if fatal != nil {
		gtx.Rollback()
		for _, op := range batch {
			if op.err == nil {
				op.err = fatal
			}
		}
		return -1
	}
	if err := gtx.Commit().Error; err != nil {
		for _, op := range batch {
			if op.err == nil {
				op.err = err
			}
		}
	}
	return -1
}

// sqlTx is the database/sql transaction under a GORM one (PrepareStmt
// mode wraps it).
func sqlTx(pool gorm.ConnPool) (*sql.Tx, bool) {
	switch p := pool.(type) {
	case *sql.Tx:
		return p, true
	case *gorm.PreparedStmtTX:
		tx, ok := p.Tx.(*sql.Tx)
		return tx, ok
	}
	return nil, false
}

// unrefused is err without its refusal mark.
func unrefused(err error) error {
	if r, ok := err.(refusal); ok {
		return r.err
	}
	return err
}

func (op *writeOp) call(t *wtx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			op.panic = p
			err = fmt.Errorf("models: change panicked: %v", p)
		}
	}()
	return op.fn(t)
}

// hotStatements are the hot queries prepared on the writer pool; nil until
// they could be prepared (the tables exist once Migrate has run).
type hotStatements struct {
	byQuery map[string]*sql.Stmt
}

type hotCache struct {
	mu    sync.Mutex
	stmts *hotStatements
}

// hotStatements prepares the hot queries once, before a batch begins. If
// that fails (no tables yet), changes run the queries unprepared and the
// next batch tries again.
func (s *Store) hotStatements(ctx context.Context) *hotStatements {
	s.hot.mu.Lock()
	defer s.hot.mu.Unlock()
	if s.hot.stmts != nil {
		return s.hot.stmts
	}
	sqlDB, err := s.wdb.DB()
	if err != nil {
		return nil
	}
	h := &hotStatements{byQuery: make(map[string]*sql.Stmt, len(hotQueries))}
	for _, q := range hotQueries {
		st, err := sqlDB.PrepareContext(ctx, s.rebind(q))
		if err != nil {
			for _, st := range h.byQuery {
				st.Close()
			}
			return nil
		}
		h.byQuery[q] = st
	}
	s.hot.stmts = h
	return h
}

func (s *Store) closeHotStatements() {
	s.hot.mu.Lock()
	defer s.hot.mu.Unlock()
	if s.hot.stmts != nil {
		for _, st := range s.hot.stmts.byQuery {
			st.Close()
		}
		s.hot.stmts = nil
	}
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, ... (the hot
// queries hold no ? in literals).
func (s *Store) rebind(q string) string {
	if s.dialect != "postgres" || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stmt is the hot statement for query, bound to this transaction.
func (t *wtx) stmt(query string) *sql.Stmt {
	if st, ok := t.bound[query]; ok {
		return st
	}
	if t.hot == nil || t.hot.byQuery[query] == nil {
		return nil
	}
	st := t.tx.StmtContext(t.ctx, t.hot.byQuery[query])
	t.bound[query] = st
	return st
}

func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	if st := t.stmt(query); st != nil {
		return st.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, t.s.rebind(query), args...)
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	if st := t.stmt(query); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, t.s.rebind(query), args...)
}
