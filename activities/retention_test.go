package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
)

// leaverFiles writes emp-1's personal and ASYE records and sessions, a case
// supervision on a child's file, and another person's records.
func leaverFiles(t *testing.T, db *gorm.DB) {
	t.Helper()
	now := time.Now().UTC()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	record := func(id, staff, kind string) {
		must(db.Create(&models.SupervisionRecord{ID: id, WorkflowID: "SignOff:" + id, StaffID: staff, SupervisorID: "tm-1", SessionKind: kind, HeldOn: "2025-01-06", Status: models.RecordFinalised}).Error)
		for v := 1; v <= 2; v++ {
			must(db.Create(&models.RecordVersion{RecordID: id, Version: v, Kind: models.VersionDraft, Text: "personal notes", WorkflowID: "SignOff:" + id, EventID: "w", WrittenAt: now}).Error)
			must(db.Create(&models.RecordSignature{RecordID: id, Version: v, Role: models.RoleSupervisee, SignerID: staff, WorkflowID: "SignOff:" + id, EventID: "s", SignedAt: now}).Error)
		}
		must(db.Create(&models.RecordDispute{RecordID: id, Version: 1, View: "I disagree", RaisedBy: staff, WorkflowID: "SignOff:" + id, EventID: "d", RaisedAt: now}).Error)
	}
	session := func(wf, event, staff, kind string) {
		must(db.Create(&models.Session{WorkflowID: wf, EventID: event, StaffID: staff, SupervisorID: "tm-1", Kind: kind, HeldOn: "2025-01-06"}).Error)
	}
	record("emp-1.p1", "emp-1", "personal")
	record("emp-1.a1", "emp-1", "asye")
	record("emp-2.p1", "emp-2", "personal")
	session("Supervision:emp-1", "session:p1", "emp-1", "personal")
	session("ASYE:emp-1", "session:a1", "emp-1", "individual")
	session("Case:child-1", "supervision:c1", "emp-1", "case:case")
	session("Supervision:emp-2", "session:p1", "emp-2", "personal")
}

func purgeEvent() activities.Event {
	return activities.Event{
		WorkflowID: "Retention:emp-1", RunID: "run-1", EventID: "purged", At: day1.AddDate(7, 0, 0),
		Actor: "system", Action: "retention.purged", StaffID: "emp-1", Authority: "bracknell-forest",
		PackVersion: "2025.1", RuleID: "BF-CONF-1", Reason: "7y after leaving",
		Detail: map[string]any{"period": "7y"},
	}
}

func rowsWhere(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The purge deletes exactly the leaver's personal supervision records and
// sessions, once; case supervision and other people's records stay; the
// audit event says what went under which rule; a hold refuses it and
// leaves everything; the audit chain still verifies.
func TestPurgePersonalRecords(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		acts := activities.Activities{DB: db}
		if _, err := acts.RecordEvent(ctx, onboarding()); err != nil {
			t.Fatal(err)
		}
		leaverFiles(t, db) // plus the ASYE session onboarding() recorded

		// Under a hold: refused, nothing deleted, no audit row.
		hold, _, err := models.PlaceHold(ctx, db, models.HoldRequest{RequestID: "h1", StaffID: "emp-1", Reason: "tribunal", Actor: "legal-1"})
		if err != nil {
			t.Fatal(err)
		}
		if held, err := acts.ActiveHolds(ctx, activities.HoldsInput{StaffID: "emp-1"}); err != nil || len(held.Active) != 1 {
			t.Fatalf("active holds %+v, %v", held, err)
		}
		_, err = acts.PurgePersonalRecords(ctx, activities.PurgeInput{Event: purgeEvent()})
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != activities.HeldError {
			t.Fatalf("purge under a hold: %v, want %s", err, activities.HeldError)
		}
		if n := rowsWhere(t, db, &models.SupervisionRecord{}, "staff_id = ?", "emp-1"); n != 2 {
			t.Fatalf("a refused purge left %d of 2 records", n)
		}
		if n := rowsWhere(t, db, &models.AuditEvent{}, "action = ?", "retention.purged"); n != 0 {
			t.Fatalf("a refused purge was audited %d times", n)
		}
		if _, _, err := models.LiftHold(ctx, db, hold.ID, "tribunal ended", "legal-1"); err != nil {
			t.Fatal(err)
		}

		res, err := acts.PurgePersonalRecords(ctx, activities.PurgeInput{Event: purgeEvent()})
		if err != nil {
			t.Fatal(err)
		}
		want := models.Purged{SupervisionRecords: 2, RecordVersions: 4, RecordSignatures: 4, RecordDisputes: 2, Sessions: 3, RecordIDs: []string{"emp-1.a1", "emp-1.p1"},
			DueItems: 2, Notifications: 2, // onboarding()'s, which name emp-1 (issue 11 finding 5)
			PersonalTexts: 2} // the hold's placing and lifting reasons, kept out of the audit rows (the hold itself keeps its reason)
		if !res.Applied || !samePurged(res.Purged, want) {
			t.Fatalf("purged %+v, want %+v", res, want)
		}
		for _, c := range []struct {
			what  string
			model any
			where string
			arg   any
			want  int64
		}{
			{"emp-1's records", &models.SupervisionRecord{}, "staff_id = ?", "emp-1", 0},
			{"emp-1's versions", &models.RecordVersion{}, "record_id LIKE ?", "emp-1.%", 0},
			{"emp-1's signatures", &models.RecordSignature{}, "record_id LIKE ?", "emp-1.%", 0},
			{"emp-1's disputes", &models.RecordDispute{}, "record_id LIKE ?", "emp-1.%", 0},
			{"emp-1's case supervision", &models.Session{}, "staff_id = ? AND workflow_id LIKE 'Case:%'", "emp-1", 1},
			{"emp-1's personal sessions", &models.Session{}, "staff_id = ? AND workflow_id NOT LIKE 'Case:%'", "emp-1", 0},
			{"emp-1's due items", &models.DueItem{}, "staff_id = ?", "emp-1", 0},
			{"emp-1's notifications", &models.Notification{}, "staff_id = ?", "emp-1", 0},
			{"emp-2's records", &models.SupervisionRecord{}, "staff_id = ?", "emp-2", 1},
			{"emp-2's versions", &models.RecordVersion{}, "record_id LIKE ?", "emp-2.%", 2},
			{"emp-2's sessions", &models.Session{}, "staff_id = ?", "emp-2", 1},
			{"emp-1's staff row", &models.Staff{}, "id = ?", "emp-1", 1},
		} {
			if n := rowsWhere(t, db, c.model, c.where, c.arg); n != c.want {
				t.Errorf("%s: %d rows, want %d", c.what, n, c.want)
			}
		}

		// The audit event says what went, under which rule.
		var row models.AuditEvent
		if err := db.Where("workflow_id = ? AND event_id = ?", "Retention:emp-1", "purged").Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		var detail struct {
			Period string        `json:"period"`
			Purged models.Purged `json:"purged"`
		}
		if err := json.Unmarshal([]byte(row.Detail), &detail); err != nil {
			t.Fatal(err)
		}
		if row.RuleID != "BF-CONF-1" || row.Action != "retention.purged" || detail.Period != "7y" || !samePurged(detail.Purged, want) {
			t.Fatalf("purge audited as %+v (detail %s)", row, row.Detail)
		}

		// Again (a retry): nothing more, the same counts.
		again, err := acts.PurgePersonalRecords(ctx, activities.PurgeInput{Event: purgeEvent()})
		if err != nil || again.Applied || !samePurged(again.Purged, want) {
			t.Fatalf("retried purge %+v, %v", again, err)
		}
		if n := rowsWhere(t, db, &models.AuditEvent{}, "action = ?", "retention.purged"); n != 1 {
			t.Fatalf("purge audited %d times", n)
		}
		n, broken, err := models.VerifyAudit(ctx, db)
		if err != nil || broken != nil || n != 4 { // onboarding, hold, lift, purge: the refused purge left none
			t.Fatalf("audit chain: %d rows, broken %v, %v", n, broken, err)
		}
	})
}

func samePurged(a, b models.Purged) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
