package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
)

// ActiveHolds reads the holds on a person not yet lifted.
func (a Activities) ActiveHolds(ctx context.Context, in HoldsInput) (HoldsResult, error) {
	holds, err := models.ActiveHolds(ctx, a.DB, in.StaffID)
	if err != nil {
		return HoldsResult{}, err
	}
	res := HoldsResult{Active: []int64{}}
	for _, h := range holds {
		res.Active = append(res.Active, h.ID)
	}
	return res, nil
}

// errPurgedBefore rolls back a repeated purge: the first one's audit row stands.
var errPurgedBefore = errors.New("purged before")

// PurgePersonalRecords deletes a person's personal supervision records and
// writes the audit event saying what went and under which rule, all in one
// transaction keyed like every event by (workflow id, event id): a retry
// deletes nothing more and returns the first purge's counts. A hold placed
// since the lifecycle looked refuses the purge (HeldError) and undoes it.
func (a Activities) PurgePersonalRecords(ctx context.Context, in PurgeInput) (PurgeResult, error) {
	ev := in.Event
	if err := validate(ev); err != nil {
		return PurgeResult{}, invalid("%v", err)
	}
	if ev.StaffID == "" {
		return PurgeResult{}, invalid("purge %s/%s: staff_id is required", ev.WorkflowID, ev.EventID)
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	ev.At = ev.At.UTC()
	// A purge writes its audit row and deletes; it upserts nothing.
	ev.Staff, ev.Supervisor, ev.Session, ev.Due, ev.Notifications, ev.Record, ev.Case = nil, nil, nil, nil, nil, nil, nil
	var res PurgeResult
	err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		purged, err := models.PurgePersonalRecords(tx, ev.StaffID)
		if err != nil {
			return err
		}
		detail := map[string]any{}
		for k, v := range ev.Detail {
			detail[k] = v
		}
		detail["purged"] = purged
		raw, err := json.Marshal(detail)
		if err != nil {
			return invalid("purge %s/%s: detail is not JSON: %v", ev.WorkflowID, ev.EventID, err)
		}
		// The audit row, through the same path as every event (AppendAudit
		// under the chain's lock): after it, no hold can slip in unseen.
		applied, err := apply(tx, ev, string(raw))
		if err != nil {
			return err
		}
		if !applied {
			return errPurgedBefore
		}
		holds, err := models.ActiveHolds(ctx, tx, ev.StaffID)
		if err != nil {
			return err
		}
		if len(holds) > 0 {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s is under %d legal hold(s): nothing purged", ev.StaffID, len(holds)), HeldError, nil)
		}
		res = PurgeResult{Applied: true, Purged: purged}
		return nil
	})
	if errors.Is(err, errPurgedBefore) {
		return a.purgedBefore(ctx, ev)
	}
	if err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			return PurgeResult{}, appErr
		}
		return PurgeResult{}, fmt.Errorf("purge %s/%s: %w", ev.WorkflowID, ev.EventID, err)
	}
	return res, nil
}

// purgedBefore reads the counts the first purge recorded.
func (a Activities) purgedBefore(ctx context.Context, ev Event) (PurgeResult, error) {
	var row models.AuditEvent
	if err := a.DB.WithContext(ctx).Where("workflow_id = ? AND event_id = ?", ev.WorkflowID, ev.EventID).Take(&row).Error; err != nil {
		return PurgeResult{}, fmt.Errorf("read purge %s/%s: %w", ev.WorkflowID, ev.EventID, err)
	}
	var detail struct {
		Purged models.Purged `json:"purged"`
	}
	if err := json.Unmarshal([]byte(row.Detail), &detail); err != nil {
		return PurgeResult{}, fmt.Errorf("read purge %s/%s: %w", ev.WorkflowID, ev.EventID, err)
	}
	return PurgeResult{Purged: detail.Purged}, nil
}
