package app

import (
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
	return c.JSON(b)
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
