package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// StaffPeriod is one period of a person's employment: from a start to a
// leaving day ("" while still employed, or the day while it is ahead). A
// leaver who comes back is rehired into the next period; the staff row is
// the latest one.
type StaffPeriod struct {
	StaffID     string    `gorm:"primaryKey" json:"-"`
	Period      int       `gorm:"primaryKey;autoIncrement:false" json:"period"`
	Authority   string    `gorm:"not null;default:''" json:"authority"`
	Team        string    `gorm:"not null;default:''" json:"team"`
	Role        string    `gorm:"not null;default:''" json:"role"`
	StartDate   string    `gorm:"type:varchar(10);not null;default:''" json:"start_date"`        // YYYY-MM-DD
	LeftOn      string    `gorm:"type:varchar(10);not null;default:''" json:"left_on,omitempty"` // YYYY-MM-DD
	PackVersion string    `gorm:"not null;default:''" json:"pack_version"`
	CreatedAt   time.Time `json:"-"`
	UpdatedAt   time.Time `json:"-"`
}

func (StaffPeriod) TableName() string { return "staff_periods" }

// ListStaffPeriods is every period of a person's employment, first first.
func ListStaffPeriods(ctx context.Context, db *gorm.DB, staffID string) ([]StaffPeriod, error) {
	periods := []StaffPeriod{}
	if err := db.WithContext(ctx).Where("staff_id = ?", staffID).Order("period").Find(&periods).Error; err != nil {
		return nil, fmt.Errorf("periods of %s: %w", staffID, err)
	}
	return periods, nil
}
