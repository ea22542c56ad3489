package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// ListOverdueForTeam returns a team's overdue items (in one authority, or
// "" for every one), longest overdue first.
func ListOverdueForTeam(ctx context.Context, db *gorm.DB, authority, team string) ([]DueItem, error) {
	var items []DueItem
	err := inAuthority(db.WithContext(ctx), authority).
		Where("team = ? AND status = ?", team, DueStatusOverdue).
		Order(`due_on, staff_id, workflow_id, "key", id`).
		Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list overdue items for team %q: %w", team, err)
	}
	return items, nil
}

// ListOpenItems returns a person's due and overdue items from workflows
// whose ID starts with prefix ("SignOff:"), soonest first.
func ListOpenItems(ctx context.Context, db *gorm.DB, staffID, prefix string) ([]DueItem, error) {
	var items []DueItem
	err := db.WithContext(ctx).
		Where("staff_id = ? AND workflow_id LIKE ? AND status IN ?", staffID, prefix+"%", []string{DueStatusDue, DueStatusOverdue}).
		Order(`due_on, workflow_id, "key", id`).
		Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list open items for staff %q: %w", staffID, err)
	}
	return items, nil
}
