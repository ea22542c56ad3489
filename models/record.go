package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SupervisionRecord is the record one supervision session made, as its
// SignOff lifecycle last wrote it. Its text lives in RecordVersion rows:
// every version is kept.
type SupervisionRecord struct {
	ID                string     `gorm:"primaryKey" json:"id"` // "<staff id>.<session request id>"
	WorkflowID        string     `gorm:"not null" json:"workflow_id"`
	StaffID           string     `gorm:"not null;index:ix_records_staff_held,priority:1" json:"staff_id"`
	SupervisorID      string     `gorm:"not null;default:'';index:ix_records_supervisor" json:"supervisor_id"`
	ManagerID         string     `gorm:"not null;default:''" json:"manager_id,omitempty"`
	Team              string     `gorm:"not null;default:''" json:"team"`
	Authority         string     `gorm:"not null;default:''" json:"authority"`
	PackVersion       string     `gorm:"not null;default:''" json:"pack_version"`
	SessionWorkflowID string     `gorm:"not null;default:''" json:"session_workflow_id"`
	SessionKind       string     `gorm:"not null;default:''" json:"session_kind"`
	HeldOn            string     `gorm:"type:varchar(10);not null;index:ix_records_staff_held,priority:2" json:"held_on"` // YYYY-MM-DD
	DueOn             string     `gorm:"type:varchar(10);not null;default:''" json:"due_on"`                              // YYYY-MM-DD; signed by both by then
	RuleID            string     `gorm:"not null;default:''" json:"rule_id"`
	PreviousRecordID  string     `gorm:"not null;default:''" json:"previous_record_id,omitempty"`
	Status            string     `gorm:"not null" json:"status"`
	Outcome           string     `gorm:"not null;default:''" json:"outcome,omitempty"`
	CurrentVersion    int        `gorm:"not null;default:0" json:"current_version"`
	SignedOn          string     `gorm:"type:varchar(10);not null;default:''" json:"signed_on,omitempty"` // both signed
	FinalisedBy       string     `gorm:"not null;default:''" json:"finalised_by,omitempty"`
	FinalisedAt       *time.Time `json:"finalised_at,omitempty"`
	ClosedReason      string     `gorm:"type:text;not null;default:''" json:"closed_reason,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func (SupervisionRecord) TableName() string { return "supervision_records" }

// RecordVersion is one version of a record's text, never changed once written.
type RecordVersion struct {
	ID             int64     `gorm:"primaryKey;autoIncrement" json:"-"`
	RecordID       string    `gorm:"not null;uniqueIndex:ux_record_versions,priority:1" json:"-"`
	Version        int       `gorm:"not null;uniqueIndex:ux_record_versions,priority:2" json:"version"`
	Kind           string    `gorm:"not null" json:"kind"`
	Text           string    `gorm:"type:text;not null;default:''" json:"text"`
	SupervisorView string    `gorm:"type:text;not null;default:''" json:"supervisor_view,omitempty"`
	SuperviseeView string    `gorm:"type:text;not null;default:''" json:"supervisee_view,omitempty"`
	AuthorID       string    `gorm:"not null;default:''" json:"author_id"`
	WorkflowID     string    `gorm:"not null" json:"-"`
	EventID        string    `gorm:"not null" json:"-"`
	WrittenAt      time.Time `gorm:"not null" json:"written_at"`
}

func (RecordVersion) TableName() string { return "record_versions" }

// RecordSignature is one party's signature on one version.
type RecordSignature struct {
	ID         int64     `gorm:"primaryKey;autoIncrement" json:"-"`
	RecordID   string    `gorm:"not null;uniqueIndex:ux_record_signatures,priority:1" json:"-"`
	Version    int       `gorm:"not null;uniqueIndex:ux_record_signatures,priority:2" json:"version"`
	Role       string    `gorm:"not null;uniqueIndex:ux_record_signatures,priority:3" json:"role"`
	SignerID   string    `gorm:"not null" json:"signer_id"`
	WorkflowID string    `gorm:"not null" json:"-"`
	EventID    string    `gorm:"not null" json:"-"`
	SignedAt   time.Time `gorm:"not null" json:"signed_at"`
}

func (RecordSignature) TableName() string { return "record_signatures" }

// RecordDispute is the supervisee's disagreement with one version, in their words.
type RecordDispute struct {
	ID         int64     `gorm:"primaryKey;autoIncrement" json:"-"`
	RecordID   string    `gorm:"not null;uniqueIndex:ux_record_disputes,priority:1" json:"-"`
	Version    int       `gorm:"not null;uniqueIndex:ux_record_disputes,priority:2" json:"version"`
	View       string    `gorm:"type:text;not null" json:"view"`
	RaisedBy   string    `gorm:"not null" json:"raised_by"`
	WorkflowID string    `gorm:"not null" json:"-"`
	EventID    string    `gorm:"not null" json:"-"`
	RaisedAt   time.Time `gorm:"not null" json:"raised_at"`
}

func (RecordDispute) TableName() string { return "record_disputes" }

// RecordModels are the tables of supervision records (schema version 2).
func RecordModels() []any {
	return []any{&SupervisionRecord{}, &RecordVersion{}, &RecordSignature{}, &RecordDispute{}}
}

// RecordView is one record with every version, signature and dispute.
type RecordView struct {
	SupervisionRecord
	Versions   []RecordVersion   `json:"versions"`
	Signatures []RecordSignature `json:"signatures"`
	Disputes   []RecordDispute   `json:"disputes"`
}

// GetRecord returns a record with its history, or an error matching ErrNotFound.
func GetRecord(ctx context.Context, db *gorm.DB, id string) (*RecordView, error) {
	db = db.WithContext(ctx)
	var v RecordView
	err := db.Where("id = ?", id).Take(&v.SupervisionRecord).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("record %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get record %q: %w", id, err)
	}
	if err := db.Where("record_id = ?", id).Order("version, id").Find(&v.Versions).Error; err != nil {
		return nil, fmt.Errorf("list versions of record %q: %w", id, err)
	}
	if err := db.Where("record_id = ?", id).Order("version, signed_at, id").Find(&v.Signatures).Error; err != nil {
		return nil, fmt.Errorf("list signatures of record %q: %w", id, err)
	}
	if err := db.Where("record_id = ?", id).Order("version, id").Find(&v.Disputes).Error; err != nil {
		return nil, fmt.Errorf("list disputes of record %q: %w", id, err)
	}
	return &v, nil
}

// GetRecordRow returns a record's row alone, or an error matching ErrNotFound.
func GetRecordRow(ctx context.Context, db *gorm.DB, id string) (*SupervisionRecord, error) {
	var r SupervisionRecord
	err := db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("record %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get record %q: %w", id, err)
	}
	return &r, nil
}
