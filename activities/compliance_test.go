package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// The activity stores one report per authority and month: a retry or a
// re-run replaces it; a request it can never serve is not retried.
func TestStoreComplianceReport(t *testing.T) {
	ctx := context.Background()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			met := "2026-03-09"
			for _, it := range []models.DueItem{
				{WorkflowID: "ASYE:nq-1", Key: "session:1", Kind: "asye_session", StaffID: "nq-1", Team: "north", Authority: "cumberland", DueOn: "2026-03-10", Status: "met", MetOn: &met, RuleID: "C-ASYE-2"},
				{WorkflowID: "ASYE:nq-1", Key: "session:2", Kind: "asye_session", StaffID: "nq-1", Team: "north", Authority: "cumberland", DueOn: "2026-03-17", Status: "overdue", RuleID: "C-ASYE-2"},
				{WorkflowID: "Supervision:sw-1", Key: "session:1", Kind: "supervision_session", StaffID: "sw-1", Team: "north", Authority: "cumberland", DueOn: "2026-03-31", Status: "due", RuleID: "C-PS-1"},
			} {
				it.CreatedAt = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC) // recorded before the report's day
				it.UpdatedAt = it.CreatedAt
				if err := db.Create(&it).Error; err != nil {
					t.Fatal(err)
				}
			}
			a := activities.Activities{DB: db}
			in := activities.ComplianceInput{Authority: "cumberland", Month: "2026-03", AsAt: "2026-04-01", WorkflowID: "ComplianceReport:cumberland"}
			for range 2 {
				res, err := a.StoreComplianceReport(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if res != (activities.ComplianceResult{Items: 3, OnTime: 1, Missed: 2}) {
					t.Fatalf("result %+v", res)
				}
			}
			var n int64
			db.Model(&models.ComplianceReport{}).Where("authority = ? AND month = ?", "cumberland", "2026-03").Count(&n)
			if n != 1 {
				t.Fatalf("%d stored reports, want 1", n)
			}
			rep, items, err := models.GetComplianceReport(ctx, db, "cumberland", "2026-03")
			if err != nil || rep.WorkflowID != in.WorkflowID || len(items) != 3 {
				t.Fatalf("stored %+v with %d items: %v", rep, len(items), err)
			}

			for _, bad := range []activities.ComplianceInput{
				{Authority: "cumberland", Month: "2026-13", AsAt: "2026-04-01"},
				{Authority: "cumberland", Month: "2026-03", AsAt: "1 April"},
				{Month: "2026-03", AsAt: "2026-04-01"},
			} {
				_, err := a.StoreComplianceReport(ctx, bad)
				var app *temporal.ApplicationError
				if !errors.As(err, &app) || !app.NonRetryable() || app.Type() != activities.InvalidEventError {
					t.Fatalf("%+v: %v, want a non-retryable InvalidEvent error", bad, err)
				}
			}
		})
	}
}
