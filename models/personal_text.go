package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// PersonalText is what a person wrote about a member of staff with a
// decision (why they left, an absence's reason, notes of a review): kept
// here, beside the person's records, and not in the audit log, which holds
// only PersonalTextRef in its place. The audit log outlives every purge; this
// table does not: a purge deletes the person's texts with their records.
type PersonalText struct {
	WorkflowID string    `gorm:"primaryKey" json:"workflow_id"` // the audit event's key
	EventID    string    `gorm:"primaryKey" json:"event_id"`
	StaffID    string    `gorm:"not null;index:ix_personal_texts_staff" json:"staff_id"`
	Text       string    `gorm:"type:text;not null" json:"text"`
	CreatedAt  time.Time `json:"created_at"`
}

func (PersonalText) TableName() string { return "personal_texts" }

// PersonalTextRef is the audit row's reason when the text is a PersonalText
// of the same (workflow id, event id).
const PersonalTextRef = "personal text: kept with the person's records under the same event, until their purge"

// AppendAuditKeepingText is AppendAudit for an event whose reason is text a
// person wrote about a member of staff outside a case (a delegation's or a
// legal hold's reason): the audit row gets PersonalTextRef and the text goes
// to personal_texts under the same key, where the person's purge reaches it.
func AppendAuditKeepingText(tx *gorm.DB, e *AuditEvent) (bool, error) {
	text := e.Reason
	if text == "" || e.StaffID == "" || e.CaseID != "" {
		return AppendAudit(tx, e)
	}
	e.Reason = PersonalTextRef
	inserted, err := AppendAudit(tx, e)
	if err != nil || !inserted {
		return inserted, err
	}
	if err := tx.Create(&PersonalText{WorkflowID: e.WorkflowID, EventID: e.EventID, StaffID: e.StaffID, Text: text, CreatedAt: e.OccurredAt}).Error; err != nil {
		return false, fmt.Errorf("insert personal text: %w", err)
	}
	return true, nil
}

// ResolvePersonalTexts puts back, for a reader of the trail, the text of
// every row whose reason is PersonalTextRef and whose text has not been
// purged; a purged one keeps the reference.
func ResolvePersonalTexts(ctx context.Context, db *gorm.DB, rows []AuditEvent) error {
	var staff []string
	for _, r := range rows {
		if r.Reason == PersonalTextRef {
			staff = append(staff, r.StaffID)
		}
	}
	if len(staff) == 0 {
		return nil
	}
	var texts []PersonalText
	if err := db.WithContext(ctx).Where("staff_id IN ?", staff).Find(&texts).Error; err != nil {
		return fmt.Errorf("read personal texts: %w", err)
	}
	by := map[[2]string]string{}
	for _, t := range texts {
		by[[2]string{t.WorkflowID, t.EventID}] = t.Text
	}
	for i, r := range rows {
		if text, ok := by[[2]string{r.WorkflowID, r.EventID}]; ok && r.Reason == PersonalTextRef {
			rows[i].Reason = text
		}
	}
	return nil
}
