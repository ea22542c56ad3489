package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Read helpers for the API. Reads may happen anywhere; writes happen only in
// activities. Every list comes back in a stable order (ties broken by id) so
// pages and tests are deterministic.

// ErrNotFound is gorm's not-found error, so callers may test for either.
var ErrNotFound = gorm.ErrRecordNotFound

// GetStaff returns one member of staff, or an error matching ErrNotFound.
func GetStaff(ctx context.Context, db *gorm.DB, id string) (*Staff, error) {
	var s Staff
	err := db.WithContext(ctx).Where("id = ?", id).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("staff %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get staff %q: %w", id, err)
	}
	return &s, nil
}

// ListDueForStaff returns every due item for a member of staff, whatever its
// status, soonest first.
func ListDueForStaff(ctx context.Context, db *gorm.DB, staffID string) ([]DueItem, error) {
	var items []DueItem
	err := db.WithContext(ctx).
		Where("staff_id = ?", staffID).
		Order(`due_on, workflow_id, "key", id`).
		Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list due items for staff %q: %w", staffID, err)
	}
	return items, nil
}

// ListDueForTeam returns a team's outstanding items (due or overdue) falling
// due on or before until (YYYY-MM-DD), soonest first. Overdue items are
// always in the past, so "until" also catches everything already late. A
// team's name is unique within its authority ("" for the name in every one).
func ListDueForTeam(ctx context.Context, db *gorm.DB, authority, team, until string) ([]DueItem, error) {
	if _, err := time.Parse(DateLayout, until); err != nil {
		return nil, fmt.Errorf("until %q is not a date in the form YYYY-MM-DD", until)
	}
	var items []DueItem
	err := inAuthority(db.WithContext(ctx), authority).
		Where("team = ? AND due_on <= ? AND status IN ?", team, until, []string{DueStatusDue, DueStatusOverdue}).
		Order(`due_on, staff_id, workflow_id, "key", id`).
		Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list due items for team %q: %w", team, err)
	}
	return items, nil
}

// ListSessions returns the sessions a member of staff has had, oldest first.
func ListSessions(ctx context.Context, db *gorm.DB, staffID string) ([]Session, error) {
	var sessions []Session
	err := db.WithContext(ctx).
		Where("staff_id = ?", staffID).
		Order("held_on, id").
		Find(&sessions).Error
	if err != nil {
		return nil, fmt.Errorf("list sessions for staff %q: %w", staffID, err)
	}
	return sessions, nil
}

// ListNotifications returns the notices raised about a member of staff,
// oldest first.
func ListNotifications(ctx context.Context, db *gorm.DB, staffID string) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).
		Where("staff_id = ?", staffID).
		Order("created_at, id").
		Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("list notifications about staff %q: %w", staffID, err)
	}
	return ns, nil
}

// ListNotificationsTo returns the notices addressed to a person (their
// inbox), oldest first.
func ListNotificationsTo(ctx context.Context, db *gorm.DB, recipient string) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).
		Where("recipient = ?", recipient).
		Order("created_at, id").
		Find(&ns).Error
	if err != nil {
		return nil, fmt.Errorf("list notifications to %q: %w", recipient, err)
	}
	return ns, nil
}

// ListAudit returns the decision trail about a member of staff in the order
// the decisions were taken (workflow time, then write order).
func ListAudit(ctx context.Context, db *gorm.DB, staffID string) ([]AuditEvent, error) {
	var evs []AuditEvent
	err := db.WithContext(ctx).
		Where("staff_id = ?", staffID).
		Order("occurred_at, id").
		Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("list audit events for staff %q: %w", staffID, err)
	}
	return evs, nil
}

// ListAuditForCase returns the decision trail about a child's case.
func ListAuditForCase(ctx context.Context, db *gorm.DB, caseID string) ([]AuditEvent, error) {
	var evs []AuditEvent
	err := db.WithContext(ctx).
		Where("case_id = ?", caseID).
		Order("occurred_at, id").
		Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("list audit events for case %q: %w", caseID, err)
	}
	return evs, nil
}

// ListSupervisorAssignments returns a member of staff's supervision history,
// earliest first; the open one (To == nil) is the current supervisor.
func ListSupervisorAssignments(ctx context.Context, db *gorm.DB, staffID string) ([]SupervisorAssignment, error) {
	var as []SupervisorAssignment
	err := db.WithContext(ctx).
		Where("staff_id = ?", staffID).
		Order("from_date, id").
		Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("list supervisor assignments for staff %q: %w", staffID, err)
	}
	return as, nil
}

// inAuthority narrows a query to one authority's rows ("" for every one).
func inAuthority(q *gorm.DB, authority string) *gorm.DB {
	if authority == "" {
		return q
	}
	return q.Where("authority = ?", authority)
}
