package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// LeaveBlockers are what must be moved before a person can leave: the
// supervisees still theirs and the delegations they gave or hold that are
// still active on day (YYYY-MM-DD). Open cases are ListOpenCasesForWorker.
type LeaveBlockers struct {
	Supervisees []string `json:"supervisees"`
	Delegations []int64  `json:"delegations"`
}

// BlockersToLeaving reads a person's LeaveBlockers.
func BlockersToLeaving(ctx context.Context, db *gorm.DB, staffID, day string) (LeaveBlockers, error) {
	var b LeaveBlockers
	db = db.WithContext(ctx)
	if err := db.Model(&Staff{}).Where("supervisor_id = ? AND status <> ?", staffID, "left").
		Order("id").Pluck("id", &b.Supervisees).Error; err != nil {
		return b, fmt.Errorf("supervisees of %s: %w", staffID, err)
	}
	if err := db.Model(&Delegation{}).Where("(supervisor_id = ? OR delegate_id = ?) AND revoked_at IS NULL AND until >= ?", staffID, staffID, day).
		Order("id").Pluck("id", &b.Delegations).Error; err != nil {
		return b, fmt.Errorf("delegations of %s: %w", staffID, err)
	}
	return b, nil
}

// LatestActivity is the last day (YYYY-MM-DD) anything shows the person at
// work, and what it was: a session held (as supervisee or supervisor), a
// supervision record, a case allocated to them or closed. "" when none.
func LatestActivity(ctx context.Context, db *gorm.DB, staffID string) (day, what string, err error) {
	db = db.WithContext(ctx)
	for _, q := range []struct {
		what string
		q    *gorm.DB
	}{
		{"a supervision session held", db.Model(&Session{}).Where("staff_id = ? OR supervisor_id = ?", staffID, staffID).Select("MAX(held_on)")},
		{"a supervision record", db.Model(&SupervisionRecord{}).Where("staff_id = ? OR supervisor_id = ?", staffID, staffID).Select("MAX(held_on)")},
		{"a case allocated", db.Model(&Case{}).Where("worker_id = ?", staffID).Select("MAX(allocated_on)")},
		{"a case closed", db.Model(&Case{}).Where("worker_id = ? AND closed_on <> ''", staffID).Select("MAX(closed_on)")},
	} {
		var d *string
		if err := q.q.Scan(&d).Error; err != nil {
			return "", "", fmt.Errorf("latest activity of %s: %w", staffID, err)
		}
		if d != nil && *d > day {
			day, what = *d, q.what
		}
	}
	return day, what, nil
}
