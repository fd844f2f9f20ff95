package models

import (
	"context"
	"github.com/google/uuid"

	"gorm.io/gorm"
)

// Member is a user's place in a project.
type Member struct {
	UserID      string `json:"user_id"`
	Email       string `json:"email"`
	Handle      string `json:"handle"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	Capacity    *int   `json:"capacity"` // points per cycle; nil: not set (no limit)
}

// MemberPatch changes a member's role and/or capacity; absent fields stay.
type MemberPatch struct {
	Role     *Role         `json:"role"`
	Capacity Optional[int] `json:"capacity"`
}

// MaxCapacity bounds a capacity (points per cycle).
const MaxCapacity = 100000

func validateCapacity(v *ValidationError, field string, c *int) {
	if c != nil && (*c < 0 || *c > MaxCapacity) {
		v.Add(field, "must be between 0 and "+itoa(MaxCapacity)+", or null for no capacity")
	}
}

func (s *Store) membersOf(db *gorm.DB, projectID string, userID string) ([]Member, error) {
	var out []Member
	q := db.Table("members").Select("members.user_id, users.email, users.handle, users.display_name, members.role, members.capacity").
		Joins("JOIN users ON users.id = members.user_id").Where("members.project_id = ?", projectID)
	if userID != "" {
		q = q.Where("members.user_id = ?", userID)
	}
	err := q.Order("lower(users.display_name), users.id").Scan(&out).Error
	return out, translate(err)
}

// ListMembers lists a project's members (any member may).
func (s *Store) ListMembers(ctx context.Context, userID, projectID string) ([]Member, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return nil, err
	}
	return s.membersOf(db, projectID, "")
}

// AddMember gives the account with email a role in the project (owner).
func (s *Store) AddMember(ctx context.Context, actor User, projectID, email string, role Role) (Member, Event, error) {
	if !role.Valid() {
		return Member{}, Event{}, invalid("role", "must be owner, editor or viewer")
	}
	if !validText(email) || len(email) > 254 {
		return Member{}, Event{}, invalid("email", "must be an email address")
	}
	var out Member
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		var u userRow
		err := c.tx.Where("email = ?", NormalizeEmail(email)).Take(&u).Error
		if err == gorm.ErrRecordNotFound {
			return "", nil, invalid("email", "no account has this email; ask them to register first")
		}
		if err != nil {
			return "", nil, err
		}
		if _, err := memberRole(c.tx, projectID, u.ID); err == nil {
			return "", nil, ErrConflict
		}
		if err := c.tx.Create(&memberRow{ProjectID: projectID, UserID: u.ID, Role: role, CreatedAt: c.s.now()}).Error; err != nil {
			return "", nil, err
		}
		out = Member{UserID: u.ID, Email: u.Email, Handle: u.Handle, DisplayName: u.DisplayName, Role: role}
		return EventMemberAdded, out, nil
	})
	return out, ev, err
}

// UpdateMember changes a member's role (owner). A project keeps at least one
// owner.
func (s *Store) UpdateMember(ctx context.Context, actor User, projectID, userID string, role Role) (Member, Event, error) {
	return s.PatchMember(ctx, actor, projectID, userID, MemberPatch{Role: &role})
}

// PatchMember changes a member's role and/or capacity (owner), in one
// member.updated event. A project keeps at least one owner.
func (s *Store) PatchMember(ctx context.Context, actor User, projectID, userID string, p MemberPatch) (Member, Event, error) {
	v := &ValidationError{}
	if p.Role != nil && !p.Role.Valid() {
		v.Add("role", "must be owner, editor or viewer")
	}
	if p.Capacity.Set {
		validateCapacity(v, "capacity", p.Capacity.Value)
	}
	if err := v.Err(); err != nil {
		return Member{}, Event{}, err
	}
	var out Member
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		m, err := c.member(userID)
		if err != nil {
			return "", nil, err
		}
		updates := map[string]any{}
		if p.Role != nil {
			if m.Role == RoleOwner && *p.Role != RoleOwner {
				if err := c.keepAnOwner(); err != nil {
					return "", nil, err
				}
			}
			updates["role"], m.Role = *p.Role, *p.Role
		}
		if p.Capacity.Set {
			updates["capacity"], m.Capacity = p.Capacity.Value, p.Capacity.Value
		}
		if len(updates) > 0 {
			if err := c.tx.Model(&memberRow{}).Where("project_id = ? AND user_id = ?", projectID, userID).
				Updates(updates).Error; err != nil {
				return "", nil, err
			}
		}
		out = m
		return EventMemberUpdated, out, nil
	})
	return out, ev, err
}

// RemoveMember takes a user out of a project: an owner may remove anyone,
// any member may remove themselves (leave). A project keeps at least one owner.
func (s *Store) RemoveMember(ctx context.Context, actor User, projectID, userID string) (Member, Event, error) {
	need := RoleOwner
	if userID == actor.ID {
		need = RoleViewer
	}
	var out Member
	ev, err := s.change(ctx, actor, projectID, need, func(c *change) (string, any, error) {
		m, err := c.member(userID)
		if err != nil {
			return "", nil, err
		}
		if m.Role == RoleOwner {
			if err := c.keepAnOwner(); err != nil {
				return "", nil, err
			}
		}
		if err := c.tx.Where("project_id = ? AND user_id = ?", projectID, userID).Delete(&memberRow{}).Error; err != nil {
			return "", nil, err
		}
		out = m
		return EventMemberRemoved, out, nil
	})
	return out, ev, err
}

func (c *change) member(userID string) (Member, error) {
	if _, err := uuid.Parse(userID); err != nil {
		return Member{}, ErrNotFound
	}
	ms, err := c.s.membersOf(c.tx, c.project.ID, userID)
	if err != nil {
		return Member{}, err
	}
	if len(ms) == 0 {
		return Member{}, ErrNotFound
	}
	return ms[0], nil
}

func (c *change) keepAnOwner() error {
	var owners int64
	if err := c.tx.Model(&memberRow{}).Where("project_id = ? AND role = ?", c.project.ID, RoleOwner).Count(&owners).Error; err != nil {
		return err
	}
	if owners <= 1 {
		return invalid("role", "a project needs at least one owner: make someone else owner first")
	}
	return nil
}
