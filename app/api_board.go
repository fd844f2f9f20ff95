package app

import (
	"encoding/json"
	"sync"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// boardResponse is the whole board in one read: what a live client reloads
// when the server tells it to resync. Project.Seq is read before the
// issues, so events after it can be applied on top without a gap.
type boardResponse struct {
	Project models.Project  `json:"project"`
	Issues  []models.Issue  `json:"issues"`
	Members []models.Member `json:"members"` // with their capacity
	// Cycles are the cycles that are not completed, by start date;
	// Capacities their per-member overrides.
	Cycles     []models.Cycle         `json:"cycles"`
	Capacities []models.CycleCapacity `json:"capacities"`
}

func (s *Server) apiBoard(c *fiber.Ctx) error {
	b, err := s.loadBoard(c)
	if err != nil {
		return err
	}
	res := c.Response()
	res.ResetBody()
	if err := b.writeJSON(res.AppendBody); err != nil {
		res.ResetBody()
		return c.JSON(b) // json.Marshal's answer to what the encoder refused
	}
	res.Header.SetContentType(fiber.MIMEApplicationJSON)
	return nil
}

// writeJSON writes b as encoding/json's Marshal does, byte for byte
// (TestBoardJSONMatchesMarshal), in pieces of about 64 KB to write (the
// response's pooled body buffer): the issues, nearly all of a large
// board's bytes, by models.AppendIssueJSON instead of reflection.
func (b *boardResponse) writeJSON(write func([]byte)) error {
	buf := boardBufs.Get().(*[]byte)
	defer boardBufs.Put(buf)
	out := append((*buf)[:0], `{"project":`...)
	out, err := appendMarshal(out, b.Project)
	if err != nil {
		return err
	}
	out = append(out, `,"issues":`...)
	if b.Issues == nil {
		out = append(out, "null"...)
	} else {
		out = append(out, '[')
		for i := range b.Issues {
			if i > 0 {
				out = append(out, ',')
			}
			if out, err = models.AppendIssueJSON(out, &b.Issues[i]); err != nil {
				return err
			}
			if len(out) >= boardChunk {
				write(out)
				out = out[:0]
			}
		}
		out = append(out, ']')
	}
	for _, part := range []struct {
		name string
		v    any
	}{{`,"members":`, b.Members}, {`,"cycles":`, b.Cycles}, {`,"capacities":`, b.Capacities}} {
		out = append(out, part.name...)
		if out, err = appendMarshal(out, part.v); err != nil {
			return err
		}
	}
	out = append(out, '}')
	write(out)
	*buf = out
	return nil
}

const boardChunk = 64 << 10

var boardBufs = sync.Pool{New: func() any { b := make([]byte, 0, boardChunk+8<<10); return &b }}

func appendMarshal(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	return append(b, j...), err
}

// loadBoard reads the board of the route's project for the current user:
// the project (seq first), its issues in board order, and its members.
func (s *Server) loadBoard(c *fiber.Ctx) (boardResponse, error) {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	p, issues, err := s.store.Board(c.UserContext(), user.ID, pid)
	if err != nil {
		return boardResponse{}, err
	}
	members, err := s.store.ListMembers(c.UserContext(), user.ID, pid)
	if err != nil {
		return boardResponse{}, err
	}
	cycles, caps, err := s.store.PlanningBoard(c.UserContext(), user.ID, pid)
	if err != nil {
		return boardResponse{}, err
	}
	return boardResponse{Project: p, Issues: issues, Members: members, Cycles: cycles, Capacities: caps}, nil
}
