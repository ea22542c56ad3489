package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Case statuses.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// Case is the projection of one child's case lifecycle: who holds it, in
// which category, and what is next due. The Case workflow writes it with
// each decision; caseload checks count it.
type Case struct {
	ID           string    `gorm:"primaryKey" json:"id"`
	WorkflowID   string    `gorm:"not null;default:''" json:"workflow_id"`
	Authority    string    `gorm:"not null;default:''" json:"authority"`
	Team         string    `gorm:"not null;default:'';index:ix_cases_team_status,priority:1" json:"team"`
	Category     string    `gorm:"not null;default:''" json:"category"`
	WorkerID     string    `gorm:"not null;default:'';index:ix_cases_worker_status,priority:1" json:"worker_id"` // the allocated (case-holding) worker
	InvolvedID   string    `gorm:"not null;default:''" json:"involved_id,omitempty"`                             // a student involved, not allocated
	JointWorker  string    `gorm:"not null;default:''" json:"joint_worker_id,omitempty"`                         // the other worker when joint worked
	LeadWorker   string    `gorm:"not null;default:''" json:"lead_worker_id,omitempty"`
	SupervisorID string    `gorm:"not null;default:''" json:"supervisor_id"` // who supervises the case
	Status       string    `gorm:"not null;default:'';index:ix_cases_worker_status,priority:2;index:ix_cases_team_status,priority:2" json:"status"`
	AllocatedOn  string    `gorm:"type:varchar(10);not null;default:''" json:"allocated_on"` // YYYY-MM-DD
	ClosedOn     string    `gorm:"type:varchar(10);not null;default:''" json:"closed_on,omitempty"`
	NextDue      string    `gorm:"type:varchar(10);not null;default:''" json:"next_supervision_due,omitempty"` // "" when as required
	OverMaxNote  string    `gorm:"type:text;not null;default:''" json:"over_max_reason,omitempty"`
	PackVersion  string    `gorm:"not null;default:''" json:"pack_version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (Case) TableName() string { return "cases" }

// CaseAction is a SMART action set in case supervision: what, who, by when,
// and where it stands ("open", "done", "flagged": past its date without
// progress at a supervision).
type CaseAction struct {
	ID         int64     `gorm:"primaryKey;autoIncrement" json:"-"`
	CaseID     string    `gorm:"not null;uniqueIndex:ux_case_actions_key,priority:1" json:"case_id"`
	Key        string    `gorm:"not null;uniqueIndex:ux_case_actions_key,priority:2" json:"key"`
	WorkflowID string    `gorm:"not null;default:''" json:"workflow_id"`
	What       string    `gorm:"type:text;not null;default:''" json:"what"`
	Who        string    `gorm:"not null;default:''" json:"who"`
	ByWhen     string    `gorm:"type:varchar(10);not null;default:''" json:"by_when"`
	Status     string    `gorm:"not null;default:''" json:"status"`
	SetOn      string    `gorm:"type:varchar(10);not null;default:''" json:"set_on"`
	DoneOn     string    `gorm:"type:varchar(10);not null;default:''" json:"done_on,omitempty"`
	RuleID     string    `gorm:"not null;default:''" json:"rule_id"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (CaseAction) TableName() string { return "case_actions" }

// CaseModels are the case tables, in creation order (migration 3).
func CaseModels() []any { return []any{&Case{}, &CaseAction{}} }

// GetCase returns one case, or an error matching ErrNotFound.
func GetCase(ctx context.Context, db *gorm.DB, id string) (*Case, error) {
	var c Case
	err := db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("case %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get case %q: %w", id, err)
	}
	return &c, nil
}

// ListOpenCasesForWorker is a worker's caseload: the open cases allocated to
// them, oldest allocation first.
func ListOpenCasesForWorker(ctx context.Context, db *gorm.DB, workerID string) ([]Case, error) {
	var cs []Case
	err := db.WithContext(ctx).
		Where("worker_id = ? AND status = ?", workerID, CaseOpen).
		Order("allocated_on, id").
		Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("list cases of %q: %w", workerID, err)
	}
	return cs, nil
}

// CountOpenCases is the size of a worker's caseload.
func CountOpenCases(ctx context.Context, db *gorm.DB, workerID string) (int, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Case{}).Where("worker_id = ? AND status = ?", workerID, CaseOpen).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count cases of %q: %w", workerID, err)
	}
	return int(n), nil
}

// ListCaseActions returns a case's SMART actions in the order they were set.
func ListCaseActions(ctx context.Context, db *gorm.DB, caseID string) ([]CaseAction, error) {
	var as []CaseAction
	err := db.WithContext(ctx).Where("case_id = ?", caseID).Order("set_on, id").Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("list actions of case %q: %w", caseID, err)
	}
	return as, nil
}
