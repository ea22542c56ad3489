package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
)

// recordEvent is one decision of the sign-off of record sw-1.s1.
func recordEvent(eventID, status string, at time.Time) activities.Event {
	return activities.Event{
		WorkflowID: "SignOff:sw-1.s1", RunID: "run-1", EventID: eventID, At: at, Actor: "tm-1",
		Action: "signoff." + eventID, StaffID: "sw-1", Authority: "cumberland", PackVersion: "2026.1", RuleID: "C-REC-1",
		Record: &activities.RecordWrite{
			ID: "sw-1.s1", StaffID: "sw-1", SupervisorID: "tm-1", ManagerID: "hos-1", Team: "north",
			SessionWorkflowID: "Supervision:sw-1", SessionKind: "personal", HeldOn: "2026-03-04", DueOn: "2026-03-11",
			PreviousRecordID: "sw-1.s0", Status: status,
		},
	}
}

func recordCount(t *testing.T, db *gorm.DB, model any) int64 {
	t.Helper()
	var n int64
	if err := db.Model(model).Where("record_id = ?", "sw-1.s1").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A record's life in the projection: the row follows its status, every
// version of the text is kept, signatures and disputes are appended, a
// retried event writes nothing twice, and once finalised nothing is written.
func TestRecordWriteKeepsVersionsAndFinalisedIsImmutable(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		step := func(ev activities.Event, edit func(r *activities.RecordWrite)) activities.Event {
			edit(ev.Record)
			if res := record(t, db, ev); !res.Applied {
				t.Fatalf("%s: not applied", ev.EventID)
			}
			return ev
		}
		step(recordEvent("started", models.RecordDraft, at), func(r *activities.RecordWrite) {})
		v1 := step(recordEvent("text:t1", models.RecordDraft, at.Add(time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion = 1
			r.Version = &activities.RecordVersionWrite{Version: 1, Kind: "draft", Text: "First.", AuthorID: "tm-1"}
		})
		// A retry of the same event writes nothing.
		if res := record(t, db, v1); res.Applied {
			t.Fatal("retried version write applied twice")
		}
		step(recordEvent("sign:s1", models.RecordAwaitingSupervisee, at.Add(2*time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion = 1
			r.Signature = &activities.RecordSignatureWrite{Version: 1, Role: "supervisor", SignerID: "tm-1"}
		})
		step(recordEvent("dispute:d1", models.RecordDisputed, at.Add(3*time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion = 1
			r.Dispute = &activities.RecordDisputeWrite{Version: 1, View: "Not what we agreed.", RaisedBy: "sw-1"}
		})
		step(recordEvent("amend:a1", models.RecordDraft, at.Add(4*time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion = 2
			r.Version = &activities.RecordVersionWrite{Version: 2, Kind: "amendment", Text: "Agreed.", AuthorID: "sw-1"}
		})
		step(recordEvent("sign:s2", models.RecordAwaitingSupervisee, at.Add(5*time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion = 2
			r.Signature = &activities.RecordSignatureWrite{Version: 2, Role: "supervisor", SignerID: "tm-1"}
		})
		step(recordEvent("sign:s3", models.RecordSigned, at.Add(6*time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion, r.Outcome, r.SignedOn = 2, models.OutcomeAmended, "2026-03-04"
			r.Signature = &activities.RecordSignatureWrite{Version: 2, Role: "supervisee", SignerID: "sw-1"}
		})
		step(recordEvent("finalised", models.RecordFinalised, at.Add(7*time.Hour)), func(r *activities.RecordWrite) {
			r.CurrentVersion, r.Outcome, r.SignedOn, r.FinalisedBy = 2, models.OutcomeAmended, "2026-03-04", "hos-1"
		})

		view, err := models.GetRecord(ctx, db, "sw-1.s1")
		if err != nil {
			t.Fatal(err)
		}
		if view.Status != models.RecordFinalised || view.Outcome != models.OutcomeAmended || view.CurrentVersion != 2 || view.FinalisedBy != "hos-1" ||
			view.FinalisedAt == nil || view.Team != "north" || view.Authority != "cumberland" || view.PreviousRecordID != "sw-1.s0" {
			t.Errorf("row %+v", view.SupervisionRecord)
		}
		if len(view.Versions) != 2 || view.Versions[0].Text != "First." || view.Versions[1].Kind != "amendment" || view.Versions[1].AuthorID != "sw-1" {
			t.Errorf("versions %+v", view.Versions)
		}
		if len(view.Signatures) != 3 || view.Signatures[2].Role != "supervisee" || view.Signatures[2].Version != 2 {
			t.Errorf("signatures %+v", view.Signatures)
		}
		if len(view.Disputes) != 1 || view.Disputes[0].View != "Not what we agreed." {
			t.Errorf("disputes %+v", view.Disputes)
		}

		// Finalised: a later change is refused, non-retryable, and the
		// whole event (audit row included) is rolled back.
		before := countRows(t, db)
		late := recordEvent("amend:late", models.RecordDraft, at.Add(8*time.Hour))
		late.Record.CurrentVersion = 3
		late.Record.Version = &activities.RecordVersionWrite{Version: 3, Kind: "amendment", Text: "Too late.", AuthorID: "tm-1"}
		_, err = activities.Activities{DB: db}.RecordEvent(ctx, late)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != activities.RecordFinalisedError || !app.NonRetryable() {
			t.Fatalf("write to a finalised record: %v, want a non-retryable %s", err, activities.RecordFinalisedError)
		}
		if after := countRows(t, db); !equalCounts(before, after) {
			t.Fatalf("a refused write changed the database: %v → %v", before, after)
		}
		if n := recordCount(t, db, &models.RecordVersion{}); n != 2 {
			t.Fatalf("%d versions after the refused amendment, want 2", n)
		}
		if row, _ := models.GetRecordRow(ctx, db, "sw-1.s1"); row.Status != models.RecordFinalised {
			t.Fatalf("status %s after the refused amendment", row.Status)
		}
	})
}

// A second version or signature under the same number, from a different
// event, is a lifecycle bug: refused, never overwriting what was signed.
func TestRecordWriteNeverOverwritesAVersion(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		ev := recordEvent("text:t1", models.RecordDraft, at)
		ev.Record.Version = &activities.RecordVersionWrite{Version: 1, Kind: "draft", Text: "First.", AuthorID: "tm-1"}
		record(t, db, ev)
		again := recordEvent("text:t2", models.RecordDraft, at)
		again.Record.Version = &activities.RecordVersionWrite{Version: 1, Kind: "draft", Text: "Other.", AuthorID: "tm-1"}
		_, err := activities.Activities{DB: db}.RecordEvent(context.Background(), again)
		wantNonRetryable(t, err)
		view, err := models.GetRecord(context.Background(), db, "sw-1.s1")
		if err != nil || len(view.Versions) != 1 || view.Versions[0].Text != "First." {
			t.Fatalf("versions %+v, %v", view, err)
		}
		bad := recordEvent("bad", "pending", at)
		bad.Record.Signature = &activities.RecordSignatureWrite{Version: 0, Role: "witness"}
		_, err = activities.Activities{DB: db}.RecordEvent(context.Background(), bad)
		wantNonRetryable(t, err)
	})
}
