package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/steward-governance/steward/catalog"
)

// audit writes one audit record inside the transaction of the change it
// describes, so a change and its record are committed or lost together.
func audit(tx *gorm.DB, actor catalog.Actor, action, objectType, objectKey string, before, after any) error {
	detail := map[string]any{}
	if before != nil {
		detail["before"] = before
	}
	if after != nil {
		detail["after"] = after
	}
	if actor.Token != "" {
		detail["token"] = actor.Token
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	name := actor.Name
	if name == "" {
		name = "anonymous"
	}
	ev := AuditEvent{
		At: time.Now().UTC(), Actor: name, Action: action, ObjectType: objectType, ObjectKey: objectKey,
		Detail: string(b), RequestID: actor.RequestID, ClientIP: actor.ClientIP, TokenName: actor.Token,
	}
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditFor lists the newest audit records of one object.
func (s *Store) AuditFor(ctx context.Context, objectType, objectKey string, limit int) ([]AuditEvent, error) {
	var out []AuditEvent
	err := s.db.WithContext(ctx).Where("object_type = ? AND object_key = ?", objectType, objectKey).Order("at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate(err, "list audit")
}

// AuditFilter narrows the audit log; empty fields match everything.
type AuditFilter struct {
	Actor, Action, ObjectType, ObjectKey string
	Limit, Offset                        int
}

// ListAudit returns one page of the audit log, newest first, and the total.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, int64, error) {
	q := s.db.WithContext(ctx).Model(&AuditEvent{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectKey != "" {
		q = q.Where("object_key = ?", f.ObjectKey)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate(err, "count audit")
	}
	var out []AuditEvent
	err := q.Order("at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, total, translate(err, "list audit")
}
