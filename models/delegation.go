package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Delegation is a supervisor's handing of some supervision tasks for one
// supervisee, or one case, to an experienced worker until a date (Bolton
// B-CONF-1). Managerial tasks are never delegated; the API refuses them.
// It is a row, not a workflow: access rules read it, and every grant and
// revocation is an audit event in the chain.
type Delegation struct {
	ID           int64      `gorm:"primaryKey;autoIncrement" json:"id"`
	RequestID    string     `gorm:"not null;uniqueIndex:ux_delegations_request" json:"request_id"`
	Authority    string     `gorm:"not null;default:''" json:"authority"`
	PackVersion  string     `gorm:"not null;default:''" json:"pack_version"`
	RuleID       string     `gorm:"not null;default:''" json:"rule_id"`
	SupervisorID string     `gorm:"not null;index:ix_delegations_supervisor" json:"supervisor_id"` // who delegated (the actor)
	DelegateID   string     `gorm:"not null;index:ix_delegations_delegate" json:"delegate_id"`
	SuperviseeID string     `gorm:"not null;default:'';index:ix_delegations_supervisee" json:"supervisee_id,omitempty"`
	CaseID       string     `gorm:"not null;default:'';index:ix_delegations_case" json:"case_id,omitempty"`
	Tasks        []string   `gorm:"type:text;serializer:json;not null" json:"tasks"`
	Until        string     `gorm:"type:varchar(10);not null" json:"until"` // YYYY-MM-DD, the last day it holds
	Reason       string     `gorm:"type:text;not null" json:"reason"`
	CreatedAt    time.Time  `gorm:"not null" json:"created_at"`
	RevokedBy    string     `gorm:"not null;default:''" json:"revoked_by,omitempty"`
	RevokeReason string     `gorm:"type:text;not null;default:''" json:"revoke_reason,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

func (Delegation) TableName() string { return "delegations" }

// ActiveOn reports whether the delegation holds on day (YYYY-MM-DD).
func (d Delegation) ActiveOn(day string) bool { return d.RevokedAt == nil && d.Until >= day }

// Covers reports whether it hands over task.
func (d Delegation) Covers(task string) bool { return slices.Contains(d.Tasks, task) }

// DelegationModels are the tables of delegation.
func DelegationModels() []any { return []any{&Delegation{}} }

// ErrDelegationConflict: a request id reused with a different body, or a
// revocation of a delegation already revoked for another reason.
var ErrDelegationConflict = errors.New("delegation conflict")

// same reports whether two delegations say the same thing (a retried request).
func (d Delegation) same(o Delegation) bool {
	return d.SupervisorID == o.SupervisorID && d.DelegateID == o.DelegateID && d.SuperviseeID == o.SuperviseeID &&
		d.CaseID == o.CaseID && slices.Equal(d.Tasks, o.Tasks) && d.Until == o.Until && d.Reason == o.Reason
}

// Delegate stores a delegation and audits it in one transaction. The same
// request again returns the one it made (created false); the same request
// id with a different body is ErrDelegationConflict. As with holds, the
// audit row goes first: it claims the request id under the chain's lock.
func Delegate(ctx context.Context, db *gorm.DB, d Delegation) (out Delegation, created bool, err error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		detail, _ := json.Marshal(map[string]any{
			"request_id": d.RequestID, "delegate_id": d.DelegateID, "supervisee_id": d.SuperviseeID, "case_id": d.CaseID,
			"tasks": d.Tasks, "until": d.Until,
		})
		inserted, err := AppendAuditKeepingText(tx, &AuditEvent{
			EventID: "delegation:" + d.RequestID, StaffID: d.SuperviseeID, CaseID: d.CaseID, Actor: d.SupervisorID,
			Action: "delegation.granted", Reason: d.Reason, Authority: d.Authority, PackVersion: d.PackVersion, RuleID: d.RuleID,
			Detail: string(detail), OccurredAt: now, RecordedAt: now,
		})
		if err != nil {
			return err
		}
		if !inserted {
			if err := tx.Where("request_id = ?", d.RequestID).Take(&out).Error; err != nil {
				return fmt.Errorf("find delegation %q: %w", d.RequestID, err)
			}
			if !out.same(d) {
				return fmt.Errorf("%w: request %q delegated %v for %s%s to %s until %s", ErrDelegationConflict, d.RequestID, out.Tasks, out.SuperviseeID, out.CaseID, out.DelegateID, out.Until)
			}
			return nil
		}
		out, created = d, true
		out.ID, out.CreatedAt = 0, now
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("store delegation %q: %w", d.RequestID, err)
		}
		return nil
	})
	return out, created, err
}

// RevokeDelegation ends a delegation and audits it in one transaction.
// Revoking it again for the same reason returns it unchanged; for another
// reason is ErrDelegationConflict; an unknown one matches ErrNotFound.
func RevokeDelegation(ctx context.Context, db *gorm.DB, id int64, reason, actor string) (d Delegation, err error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&d).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("delegation %d: %w", id, ErrNotFound)
			}
			return fmt.Errorf("find delegation %d: %w", id, err)
		}
		detail, _ := json.Marshal(map[string]any{"delegation_id": id, "delegate_id": d.DelegateID, "tasks": d.Tasks})
		inserted, err := AppendAuditKeepingText(tx, &AuditEvent{
			EventID: "delegation:" + d.RequestID + ":revoked", StaffID: d.SuperviseeID, CaseID: d.CaseID, Actor: actor,
			Action: "delegation.revoked", Reason: reason, Authority: d.Authority, PackVersion: d.PackVersion, RuleID: d.RuleID,
			Detail: string(detail), OccurredAt: now, RecordedAt: now,
		})
		if err != nil {
			return err
		}
		if !inserted {
			if err := tx.Where("id = ?", id).Take(&d).Error; err != nil {
				return fmt.Errorf("find delegation %d: %w", id, err)
			}
			if d.RevokeReason != reason {
				return fmt.Errorf("%w: delegation %d was revoked by %s: %q", ErrDelegationConflict, id, d.RevokedBy, d.RevokeReason)
			}
			return nil
		}
		d.RevokedBy, d.RevokeReason, d.RevokedAt = actor, reason, &now
		return tx.Model(&Delegation{}).Where("id = ?", id).
			Updates(map[string]any{"revoked_by": actor, "revoke_reason": reason, "revoked_at": now}).Error
	})
	return d, err
}

// GetDelegation returns one delegation, or an error matching ErrNotFound.
func GetDelegation(ctx context.Context, db *gorm.DB, id int64) (*Delegation, error) {
	var d Delegation
	err := db.WithContext(ctx).Where("id = ?", id).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("delegation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get delegation %d: %w", id, err)
	}
	return &d, nil
}

// ListDelegations is every delegation a person gave, received or is the
// subject of, oldest first.
func ListDelegations(ctx context.Context, db *gorm.DB, staffID string) ([]Delegation, error) {
	ds := []Delegation{}
	err := db.WithContext(ctx).
		Where("supervisor_id = ? OR delegate_id = ? OR supervisee_id = ?", staffID, staffID, staffID).
		Order("id").Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("list delegations of %s: %w", staffID, err)
	}
	return ds, nil
}

// DelegationsTo is the delegations to delegate for a supervisee or a case
// that hold on day and hand over task.
func DelegationsTo(ctx context.Context, db *gorm.DB, delegate, superviseeID, caseID, task, day string) ([]Delegation, error) {
	var ds []Delegation
	q := db.WithContext(ctx).Where("delegate_id = ? AND revoked_at IS NULL AND until >= ?", delegate, day)
	switch {
	case superviseeID != "" && caseID != "":
		q = q.Where("(supervisee_id = ? OR case_id = ?)", superviseeID, caseID)
	case caseID != "":
		q = q.Where("case_id = ?", caseID)
	default:
		q = q.Where("supervisee_id = ?", superviseeID)
	}
	if err := q.Order("id").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("delegations to %s: %w", delegate, err)
	}
	out := ds[:0]
	for _, d := range ds {
		if task == "" || d.Covers(task) {
			out = append(out, d)
		}
	}
	return out, nil
}
