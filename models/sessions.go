package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// Session is a signed-in browser. Only a hash of its id is stored, so the
// table cannot be replayed as cookies.
type Session struct {
	IDHash      string `gorm:"column:id_hash;primaryKey"`
	UserID      uint
	CreatedAt   time.Time
	LastSeenAt  time.Time
	ExpiresAt   time.Time
	IDTokenHint string `gorm:"column:id_token_hint"` // for the provider's sign-out
	ClientIP    string
	UserAgent   string
	// User is read with the session, in one statement, on every request.
	User User `gorm:"foreignKey:UserID"`
}

// CreateSession stores a new session for the raw id the cookie carries.
func (s *Store) CreateSession(ctx context.Context, rawID string, userID uint, absolute time.Time, idTokenHint, ip, ua string) error {
	now := time.Now().UTC()
	err := s.db.WithContext(ctx).Create(&Session{
		IDHash: hashSecret(rawID), UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: absolute.UTC(),
		IDTokenHint: idTokenHint, ClientIP: truncate(ip, 64), UserAgent: truncate(ua, 300),
	}).Error
	return translate(err, "create session")
}

// SessionUser returns the session and its user when the session is live:
// not past its absolute expiry and seen within idle. It records the visit
// at most once a minute, so every request does not write.
func (s *Store) SessionUser(ctx context.Context, rawID string, idle time.Duration) (*Session, *User, error) {
	var sess Session
	db := s.db.WithContext(ctx)
	if err := db.Joins("User").Where("sessions.id_hash = ?", hashSecret(rawID)).Take(&sess).Error; err != nil {
		return nil, nil, translate(err, "session")
	}
	now := time.Now().UTC()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > idle {
		db.Where("id_hash = ?", sess.IDHash).Delete(&Session{})
		return nil, nil, fmt.Errorf("models: session expired: %w", catalog.ErrNotFound)
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := db.Model(&Session{}).Where("id_hash = ?", sess.IDHash).Update("last_seen_at", now).Error; err != nil {
			return nil, nil, translate(err, "touch session")
		}
	}
	if sess.User.ID == 0 { // the join is a LEFT JOIN: the user is gone
		return nil, nil, fmt.Errorf("models: session user: %w", catalog.ErrNotFound)
	}
	u := sess.User
	return &sess, &u, nil
}

// DeleteSession ends a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, rawID string) error {
	return translate(s.db.WithContext(ctx).Where("id_hash = ?", hashSecret(rawID)).Delete(&Session{}).Error, "delete session")
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle
// limit and stale sign-in attempts; returns how many sessions went.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idle time.Duration) (int64, error) {
	now := time.Now().UTC()
	res := s.db.WithContext(ctx).Where("expires_at < ? OR last_seen_at < ?", now, now.Add(-idle)).Delete(&Session{})
	if res.Error != nil {
		return 0, translate(res.Error, "expire sessions")
	}
	if err := s.db.WithContext(ctx).Where("expires_at < ?", now).Delete(&LoginAttempt{}).Error; err != nil {
		return 0, translate(err, "expire sign-in attempts")
	}
	return res.RowsAffected, nil
}

// LoginAttempt is a sign-in in progress: the state sent to the provider
// (stored hashed) with the nonce, PKCE verifier and where to go afterwards.
type LoginAttempt struct {
	StateHash string `gorm:"column:state_hash;primaryKey"`
	Nonce     string
	Verifier  string
	NextPath  string `gorm:"column:next_path"`
	ExpiresAt time.Time
}

// SaveLoginAttempt records a sign-in started with state.
func (s *Store) SaveLoginAttempt(ctx context.Context, state string, a LoginAttempt) error {
	a.StateHash = hashSecret(state)
	a.ExpiresAt = a.ExpiresAt.UTC()
	return translate(s.db.WithContext(ctx).Create(&a).Error, "save sign-in attempt")
}

// TakeLoginAttempt returns and deletes the attempt for state, so a callback
// can be used once: a replayed callback finds nothing.
func (s *Store) TakeLoginAttempt(ctx context.Context, state string) (*LoginAttempt, error) {
	var a LoginAttempt
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("state_hash = ?", hashSecret(state)).Take(&a).Error; err != nil {
			return err
		}
		res := tx.Where("state_hash = ?", a.StateHash).Delete(&LoginAttempt{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return gorm.ErrRecordNotFound // taken by a concurrent callback
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("models: sign-in attempt: %w", catalog.ErrNotFound)
		}
		return nil, translate(err, "take sign-in attempt")
	}
	if time.Now().After(a.ExpiresAt) {
		return nil, fmt.Errorf("models: sign-in attempt expired: %w", catalog.ErrNotFound)
	}
	return &a, nil
}
