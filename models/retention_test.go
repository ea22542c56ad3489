package models_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// Holds are idempotent by request id and audited; a reused request id with
// another reason, or a second lift for another reason, is a conflict.
func TestHoldsIdempotentAndAudited(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.Open(t)
		ctx := context.Background()
		req := models.HoldRequest{RequestID: "h1", StaffID: "emp-1", Reason: "tribunal", Actor: "legal-1"}
		h1, created, err := models.PlaceHold(ctx, db, req)
		if err != nil || !created {
			t.Fatalf("place: %+v %v %v", h1, created, err)
		}
		h2, created, err := models.PlaceHold(ctx, db, req)
		if err != nil || created || h2.ID != h1.ID {
			t.Fatalf("place again: %+v %v %v", h2, created, err)
		}
		other := req
		other.Reason = "something else"
		if _, _, err := models.PlaceHold(ctx, db, other); !errors.Is(err, models.ErrHoldConflict) {
			t.Fatalf("reused request id: %v", err)
		}
		if _, lifted, err := models.LiftHold(ctx, db, h1.ID, "settled", "legal-1"); err != nil || !lifted {
			t.Fatalf("lift: %v %v", lifted, err)
		}
		if h, lifted, err := models.LiftHold(ctx, db, h1.ID, "settled", "legal-1"); err != nil || lifted || h.Active() {
			t.Fatalf("lift again: %+v %v %v", h, lifted, err)
		}
		if _, _, err := models.LiftHold(ctx, db, h1.ID, "other", "legal-1"); !errors.Is(err, models.ErrHoldConflict) {
			t.Fatalf("lift for another reason: %v", err)
		}
		if _, _, err := models.LiftHold(ctx, db, 999, "x", "legal-1"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("lift unknown: %v", err)
		}
		if n := auditActions(t, db, "retention.hold_placed", "retention.hold_lifted"); n != 2 {
			t.Fatalf("%d hold audit rows, want 2", n)
		}
		if _, broken, err := models.VerifyAudit(ctx, db); err != nil || broken != nil {
			t.Fatalf("chain: %v %v", broken, err)
		}
	})
}

func auditActions(t *testing.T, db *gorm.DB, actions ...string) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.AuditEvent{}).Where("action IN ?", actions).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
