package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// User is a person known from a sign-in (issuer + subject is the identity).
type User struct {
	ID          uint   `gorm:"primaryKey"`
	Issuer      string `gorm:"size:500;not null"`
	Subject     string `gorm:"size:255;not null"`
	Email       string `gorm:"size:320;not null;default:''"`
	Name        string `gorm:"size:200;not null;default:''"`
	GroupsJSON  string `gorm:"column:groups_json;type:text;not null;default:'[]'"`
	Admin       bool   `gorm:"not null;default:false"`
	Governance  bool   `gorm:"not null;default:false"`
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

// Groups returns the IdP groups seen at the last sign-in.
func (u *User) Groups() []string {
	var g []string
	_ = json.Unmarshal([]byte(u.GroupsJSON), &g) // written by us; a bad row means no groups
	return g
}

// Display is how the user appears in pages and the audit log.
func (u *User) Display() string {
	switch {
	case u.Email != "":
		return u.Email
	case u.Name != "":
		return u.Name
	}
	return u.Subject
}

// Identity is what a sign-in tells about a person; it refreshes the user
// row at every sign-in.
type Identity struct {
	Issuer, Subject, Email, Name string
	Groups                       []string
	Admin, Governance            bool
}

// UpsertUser creates the user on first sign-in and refreshes name, email,
// groups and global roles on every later one; team memberships that follow
// IdP groups are synchronised in the same transaction.
func (s *Store) UpsertUser(ctx context.Context, id Identity) (*User, error) {
	groups, _ := json.Marshal(nonNil(id.Groups))
	now := time.Now().UTC()
	var u User
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("issuer = ? AND subject = ?", id.Issuer, id.Subject).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			u = User{Issuer: id.Issuer, Subject: id.Subject}
		} else if err != nil {
			return err
		}
		u.Email, u.Name, u.GroupsJSON = truncate(id.Email, 320), truncate(id.Name, 200), string(groups)
		u.Admin, u.Governance, u.LastLoginAt = id.Admin, id.Governance, &now
		if err := tx.Save(&u).Error; err != nil {
			return err
		}
		return syncGroupMemberships(tx, u.ID, id.Groups)
	})
	if err != nil {
		return nil, translate(err, "save user")
	}
	return &u, nil
}

// syncGroupMemberships makes the user a member of exactly the teams linked
// to one of their IdP groups, leaving memberships added by hand alone.
func syncGroupMemberships(tx *gorm.DB, userID uint, groups []string) error {
	var linked []uint
	if len(groups) > 0 {
		if err := tx.Table("teams").Where("idp_group IN ? AND idp_group <> ''", groups).Pluck("id", &linked).Error; err != nil {
			return err
		}
	}
	del := tx.Where("user_id = ? AND source = ?", userID, MemberSourceGroup)
	if len(linked) > 0 {
		del = del.Where("team_id NOT IN ?", linked)
	}
	if err := del.Delete(&TeamMember{}).Error; err != nil {
		return err
	}
	for _, teamID := range linked {
		var n int64
		if err := tx.Model(&TeamMember{}).Where("team_id = ? AND user_id = ?", teamID, userID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			if err := tx.Create(&TeamMember{TeamID: teamID, UserID: userID, Role: "member", Source: MemberSourceGroup}).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// GetUser loads a user by id.
func (s *Store) GetUser(ctx context.Context, id uint) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Take(&u, id).Error; err != nil {
		return nil, translate(err, "get user")
	}
	return &u, nil
}

// FindUserByEmail loads a user by email (for adding team members by hand).
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("LOWER(email) = LOWER(?)", email).Order("id").Take(&u).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("user %q", email))
	}
	return &u, nil
}

// Member sources: added by an owner or admin, or following an IdP group.
const (
	MemberSourceManual = "manual"
	MemberSourceGroup  = "group"
)

// TeamMember is one person's role in one team.
type TeamMember struct {
	TeamID    uint   `gorm:"primaryKey"`
	UserID    uint   `gorm:"primaryKey"`
	Role      string `gorm:"size:20;not null"`
	Source    string `gorm:"size:20;not null"`
	CreatedAt time.Time
}

// MemberRow is a team member with the user's name, for team pages.
type MemberRow struct {
	UserID uint
	Email  string
	Name   string
	Role   string
	Source string
}

// TeamRoles returns the user's role in each team, by team slug.
func (s *Store) TeamRoles(ctx context.Context, userID uint) (map[string]string, error) {
	var rows []struct{ Slug, Role string }
	err := s.db.WithContext(ctx).Table("team_members").Select("teams.slug, team_members.role").
		Joins("JOIN teams ON teams.id = team_members.team_id").Where("team_members.user_id = ?", userID).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "team roles")
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Slug] = r.Role
	}
	return out, nil
}

// ListMembers lists a team's members, owners first.
func (s *Store) ListMembers(ctx context.Context, teamSlug string) ([]MemberRow, error) {
	var rows []MemberRow
	err := s.db.WithContext(ctx).Table("team_members").
		Select("users.id AS user_id, users.email, users.name, team_members.role, team_members.source").
		Joins("JOIN users ON users.id = team_members.user_id").
		Joins("JOIN teams ON teams.id = team_members.team_id").
		Where("teams.slug = ?", teamSlug).Order("team_members.role DESC, users.email").Scan(&rows).Error
	return rows, translate(err, "list members")
}

// SetMember adds a user to a team or changes their role; audited.
func (s *Store) SetMember(ctx context.Context, actor catalog.Actor, teamSlug string, userID uint, role string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		teamID, err := teamIDBySlug(tx, teamSlug)
		if err != nil {
			return err
		}
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		var cur TeamMember
		err = tx.Where("team_id = ? AND user_id = ?", teamID, userID).Take(&cur).Error
		var before any
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			cur = TeamMember{TeamID: teamID, UserID: userID, Role: role, Source: MemberSourceManual}
			err = tx.Create(&cur).Error
		case err == nil:
			before = map[string]any{"user": u.Display(), "role": cur.Role}
			// A hand-set role outlives the group sync from now on.
			err = tx.Model(&cur).Where("team_id = ? AND user_id = ?", teamID, userID).Updates(map[string]any{"role": role, "source": MemberSourceManual}).Error
		}
		if err != nil {
			return err
		}
		return audit(tx, actor, "team.member.set", "team", teamSlug, before, map[string]any{"user": u.Display(), "role": role})
	})
	return translate(err, "set member")
}

// RemoveMember takes a user out of a team; audited.
func (s *Store) RemoveMember(ctx context.Context, actor catalog.Actor, teamSlug string, userID uint) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		teamID, err := teamIDBySlug(tx, teamSlug)
		if err != nil {
			return err
		}
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		res := tx.Where("team_id = ? AND user_id = ?", teamID, userID).Delete(&TeamMember{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%s is not a member: %w", u.Display(), catalog.ErrNotFound)
		}
		return audit(tx, actor, "team.member.remove", "team", teamSlug, map[string]any{"user": u.Display()}, nil)
	})
	return translate(err, "remove member")
}

// SetTeamGroup links a team to an IdP group (empty to unlink); audited.
func (s *Store) SetTeamGroup(ctx context.Context, actor catalog.Actor, teamSlug, group string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Team
		if err := tx.Where("slug = ?", teamSlug).Take(&t).Error; err != nil {
			return err
		}
		before := t.IDPGroup
		if err := tx.Model(&t).Update("idp_group", group).Error; err != nil {
			return err
		}
		return audit(tx, actor, "team.group", "team", teamSlug, map[string]any{"idp_group": before}, map[string]any{"idp_group": group})
	})
	return translate(err, "link team group")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hashSecret is how session ids and token secrets are stored: a leaked
// database row does not give a usable cookie or token.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
