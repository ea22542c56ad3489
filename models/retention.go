package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// LegalHold stops the purge of a person's personal supervision records
// until it is lifted (litigation, a grievance, an inquiry). A hold is
// placed on anyone, leaver or not: it is a row here, not a workflow, and
// the Retention lifecycle reads it (through an activity) when a purge falls due.
type LegalHold struct {
	ID         int64      `gorm:"primaryKey;autoIncrement" json:"id"`
	RequestID  string     `gorm:"not null;uniqueIndex:ux_legal_holds_request" json:"request_id"`
	StaffID    string     `gorm:"not null;index:ix_legal_holds_staff" json:"staff_id"`
	Reason     string     `gorm:"type:text;not null" json:"reason"`
	PlacedBy   string     `gorm:"not null" json:"placed_by"`
	PlacedAt   time.Time  `gorm:"not null" json:"placed_at"`
	LiftedBy   string     `gorm:"not null;default:''" json:"lifted_by,omitempty"`
	LiftReason string     `gorm:"type:text;not null;default:''" json:"lift_reason,omitempty"`
	LiftedAt   *time.Time `json:"lifted_at,omitempty"`
}

func (LegalHold) TableName() string { return "legal_holds" }

// Active reports whether the hold still stops a purge.
func (h LegalHold) Active() bool { return h.LiftedAt == nil }

// RetentionModels are the tables of retention.
func RetentionModels() []any { return []any{&LegalHold{}} }

// ErrHoldConflict: a request id reused with a different body, or a lift of
// a hold already lifted for another reason.
var ErrHoldConflict = errors.New("hold conflict")

// HoldRequest is a hold to place.
type HoldRequest struct {
	RequestID, StaffID, Reason, Actor string
}

// PlaceHold places a hold and audits it in one transaction. The same
// request again returns the hold it made (created false); the same request
// id with another staff id or reason is ErrHoldConflict.
//
// The audit row goes first: it claims the request id under the audit
// chain's lock, so concurrent retries serialise and only one places the hold.
func PlaceHold(ctx context.Context, db *gorm.DB, r HoldRequest) (hold LegalHold, created bool, err error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		detail, _ := json.Marshal(map[string]string{"request_id": r.RequestID})
		inserted, err := AppendAuditKeepingText(tx, &AuditEvent{
			EventID: "hold:" + r.RequestID, StaffID: r.StaffID, Actor: r.Actor,
			Action: "retention.hold_placed", Reason: r.Reason, Detail: string(detail),
			OccurredAt: now, RecordedAt: now,
		})
		if err != nil {
			return err
		}
		if !inserted {
			if err := tx.Where("request_id = ?", r.RequestID).Take(&hold).Error; err != nil {
				return fmt.Errorf("find hold %q: %w", r.RequestID, err)
			}
			if hold.StaffID != r.StaffID || hold.Reason != r.Reason {
				return fmt.Errorf("%w: request %q placed a hold on %s for %q", ErrHoldConflict, r.RequestID, hold.StaffID, hold.Reason)
			}
			return nil
		}
		hold = LegalHold{RequestID: r.RequestID, StaffID: r.StaffID, Reason: r.Reason, PlacedBy: r.Actor, PlacedAt: now}
		created = true
		if err := tx.Create(&hold).Error; err != nil {
			return fmt.Errorf("place hold %q: %w", r.RequestID, err)
		}
		return nil
	})
	return hold, created, err
}

// LiftHold lifts a hold and audits it in one transaction. Lifting it again
// for the same reason returns it unchanged (lifted false); for another
// reason is ErrHoldConflict; an unknown hold matches ErrNotFound.
func LiftHold(ctx context.Context, db *gorm.DB, id int64, reason, actor string) (hold LegalHold, lifted bool, err error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&hold).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("hold %d: %w", id, ErrNotFound)
			}
			return fmt.Errorf("find hold %d: %w", id, err)
		}
		detail, _ := json.Marshal(map[string]any{"hold_id": id}) // the reasons stay out of the audit log
		inserted, err := AppendAuditKeepingText(tx, &AuditEvent{
			EventID: fmt.Sprintf("hold:%s:lifted", hold.RequestID), StaffID: hold.StaffID, Actor: actor,
			Action: "retention.hold_lifted", Reason: reason, Detail: string(detail),
			OccurredAt: now, RecordedAt: now,
		})
		if err != nil {
			return err
		}
		if !inserted {
			// Lifted before (perhaps a moment ago, by a racing retry): read it again.
			if err := tx.Where("id = ?", id).Take(&hold).Error; err != nil {
				return fmt.Errorf("find hold %d: %w", id, err)
			}
			if hold.LiftReason != reason {
				return fmt.Errorf("%w: hold %d was lifted by %s: %q", ErrHoldConflict, id, hold.LiftedBy, hold.LiftReason)
			}
			return nil
		}
		hold.LiftedBy, hold.LiftReason, hold.LiftedAt = actor, reason, &now
		lifted = true
		return tx.Model(&LegalHold{}).Where("id = ?", id).
			Updates(map[string]any{"lifted_by": actor, "lift_reason": reason, "lifted_at": now}).Error
	})
	return hold, lifted, err
}

// ListHolds is every hold on a person, active or lifted, oldest first.
func ListHolds(ctx context.Context, db *gorm.DB, staffID string) ([]LegalHold, error) {
	holds := []LegalHold{}
	if err := db.WithContext(ctx).Where("staff_id = ?", staffID).Order("id").Find(&holds).Error; err != nil {
		return nil, fmt.Errorf("list holds on %s: %w", staffID, err)
	}
	return holds, nil
}

// ActiveHolds is the holds on a person not yet lifted.
func ActiveHolds(ctx context.Context, db *gorm.DB, staffID string) ([]LegalHold, error) {
	holds := []LegalHold{}
	if err := db.WithContext(ctx).Where("staff_id = ? AND lifted_at IS NULL", staffID).Order("id").Find(&holds).Error; err != nil {
		return nil, fmt.Errorf("list active holds on %s: %w", staffID, err)
	}
	return holds, nil
}

// PersonalSessionKinds are the session kinds of personal supervision
// records (models.SupervisionRecord.SessionKind): what HR retention purges.
// Case supervision is on the child's file and follows its retention.
var PersonalSessionKinds = []string{"personal", "asye"}

// PurgePersonalRecords deletes, inside tx, a person's personal supervision
// records (every version, signature and dispute), their personal and ASYE
// session rows, and everything else naming them outside a case: due items,
// notifications (and their deliveries), personal texts. Case rows are never touched: a case session's kind is
// "case:..." and its workflow a Case lifecycle. Nothing in the audit log is
// deleted: the chain must outlive every purge.
func PurgePersonalRecords(tx *gorm.DB, staffID string) (Purged, error) {
	var p Purged
	if err := tx.Model(&SupervisionRecord{}).
		Where("staff_id = ? AND session_kind IN ?", staffID, PersonalSessionKinds).
		Order("id").Pluck("id", &p.RecordIDs).Error; err != nil {
		return p, fmt.Errorf("find personal records of %s: %w", staffID, err)
	}
	if p.RecordIDs == nil {
		p.RecordIDs = []string{}
	}
	del := func(n *int64, model any, what string, where string, args ...any) error {
		res := tx.Where(where, args...).Delete(model)
		if res.Error != nil {
			return fmt.Errorf("purge %s of %s: %w", what, staffID, res.Error)
		}
		*n = res.RowsAffected
		return nil
	}
	if len(p.RecordIDs) > 0 {
		if err := del(&p.RecordVersions, &RecordVersion{}, "record versions", "record_id IN ?", p.RecordIDs); err != nil {
			return p, err
		}
		if err := del(&p.RecordSignatures, &RecordSignature{}, "record signatures", "record_id IN ?", p.RecordIDs); err != nil {
			return p, err
		}
		if err := del(&p.RecordDisputes, &RecordDispute{}, "record disputes", "record_id IN ?", p.RecordIDs); err != nil {
			return p, err
		}
		if err := del(&p.SupervisionRecords, &SupervisionRecord{}, "supervision records", "id IN ?", p.RecordIDs); err != nil {
			return p, err
		}
	}
	if err := del(&p.Sessions, &Session{}, "sessions",
		"staff_id = ? AND kind NOT LIKE ? AND workflow_id NOT LIKE ?", staffID, "case:%", "Case:%"); err != nil {
		return p, err
	}
	if err := unsummariseDueItems(tx, "staff_id = ? AND workflow_id NOT LIKE ?", staffID, "Case:%"); err != nil {
		return p, err
	}
	if err := del(&p.DueItems, &DueItem{}, "due items", "staff_id = ? AND workflow_id NOT LIKE ?", staffID, "Case:%"); err != nil {
		return p, err
	}
	notices := tx.Model(&Notification{}).Select("id").Where("staff_id = ? AND workflow_id NOT LIKE ?", staffID, "Case:%")
	if err := del(&p.Deliveries, &Delivery{}, "notification deliveries", "notification_id IN (?)", notices); err != nil {
		return p, err
	}
	if err := del(&p.Notifications, &Notification{}, "notifications", "staff_id = ? AND workflow_id NOT LIKE ?", staffID, "Case:%"); err != nil {
		return p, err
	}
	if err := del(&p.PersonalTexts, &PersonalText{}, "personal texts", "staff_id = ? AND workflow_id NOT LIKE ?", staffID, "Case:%"); err != nil {
		return p, err
	}
	// A delegation about the person keeps who, what and until when; its
	// reasons go with the person's other texts.
	if err := tx.Model(&Delegation{}).Where("supervisee_id = ? AND case_id = ''", staffID).
		Updates(map[string]any{"reason": "", "revoke_reason": ""}).Error; err != nil {
		return p, fmt.Errorf("purge delegation reasons of %s: %w", staffID, err)
	}
	return p, nil
}
