package activities_test

import (
	"context"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
)

// A rehire's staff record (issue 13) starts the next period: the row is
// active again from the new start with no leaving day, every period is
// kept, and a late write of the earlier period changes nothing on the row.
func TestStaffRehireStartsAPeriod(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		record := func(workflowID, eventID, start, leftOn, status string, period int) {
			t.Helper()
			ev := onboarding()
			ev.WorkflowID, ev.EventID, ev.Action = workflowID, eventID, "staff."+eventID
			ev.Supervisor, ev.Session, ev.Due, ev.Notifications = nil, nil, nil, nil
			ev.Staff.StartDate, ev.Staff.LeftOn, ev.Staff.Status, ev.Staff.Period = start, leftOn, status, period
			if _, err := (activities.Activities{DB: db}).RecordEvent(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
		check := func(when, start, leftOn, status string, period int, periods string) {
			t.Helper()
			st, err := models.GetStaff(context.Background(), db, "emp-1")
			if err != nil {
				t.Fatal(err)
			}
			if st.StartDate != start || st.LeftOn != leftOn || st.Status != status || st.Period != period {
				t.Errorf("%s: staff %s..%q %s period %d, want %s..%q %s period %d", when, st.StartDate, st.LeftOn, st.Status, st.Period, start, leftOn, status, period)
			}
			ps, err := models.ListStaffPeriods(context.Background(), db, "emp-1")
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, p := range ps {
				got += fmt.Sprintf("%d:%s..%s ", p.Period, p.StartDate, p.LeftOn)
			}
			if got != periods {
				t.Errorf("%s: periods %q, want %q", when, got, periods)
			}
		}
		record("Onboard:emp-1", "onboarded", "2024-01-08", "", "active", 0)
		check("onboarded", "2024-01-08", "", "active", 1, "1:2024-01-08.. ")
		record("Leave:emp-1", "left", "2024-01-08", "2025-03-31", "left", 0)
		check("left", "2024-01-08", "2025-03-31", "left", 1, "1:2024-01-08..2025-03-31 ")
		record("Onboard:emp-1.p2", "onboarded", "2025-09-01", "", "active", 2)
		check("rehired", "2025-09-01", "", "active", 2, "1:2024-01-08..2025-03-31 2:2025-09-01.. ")
		record("Leave:emp-1", "late", "2024-01-08", "2025-03-31", "left", 0)
		check("a late write of the first period", "2025-09-01", "", "active", 2, "1:2024-01-08..2025-03-31 2:2025-09-01.. ")
		record("Leave:emp-1.p2", "left", "2025-09-01", "2026-06-30", "left", 2)
		check("left again", "2025-09-01", "2026-06-30", "left", 2, "1:2024-01-08..2025-03-31 2:2025-09-01..2026-06-30 ")
	})
}

// A rehire under the supervisor they had before leaving opens a new
// assignment from the new start: the earlier period's is closed that day,
// not kept open across the gap as if they had never left.
func TestRehireSameSupervisorNewAssignment(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		onboard := func(workflowID, start string, period int) {
			t.Helper()
			ev := onboarding()
			ev.WorkflowID, ev.Session, ev.Due, ev.Notifications = workflowID, nil, nil, nil
			ev.Staff.StartDate, ev.Staff.Period = start, period
			ev.Supervisor.From = start
			if _, err := (activities.Activities{DB: db}).RecordEvent(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
		onboard("Onboard:emp-1", "2024-01-08", 1)
		onboard("Onboard:emp-1.p2", "2025-09-01", 2)
		var as []models.SupervisorAssignment
		if err := db.Order("from_date").Find(&as, "staff_id = ?", "emp-1").Error; err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, a := range as {
			to := ""
			if a.To != nil {
				to = *a.To
			}
			got += fmt.Sprintf("%s:%s..%s ", a.SupervisorID, a.From, to)
		}
		if want := "mgr-1:2024-01-08..2025-09-01 mgr-1:2025-09-01.. "; got != want {
			t.Errorf("assignments %q, want %q", got, want)
		}
	})
}
