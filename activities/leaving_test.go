package activities_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
)

// A planned leaving day on the staff row (issue 11) is kept by a later
// staff record that does not carry one, and replaced by one that does.
func TestStaffLeavingDayKeptUntilRestated(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		record := func(eventID, leftOn, status string) {
			t.Helper()
			ev := onboarding()
			ev.EventID, ev.Action, ev.Supervisor, ev.Session, ev.Due, ev.Notifications = eventID, "staff."+eventID, nil, nil, nil, nil
			ev.Staff.LeftOn, ev.Staff.Status = leftOn, status
			if _, err := (activities.Activities{DB: db}).RecordEvent(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
		check := func(when, leftOn, status string) {
			t.Helper()
			st, err := models.GetStaff(context.Background(), db, "emp-1")
			if err != nil {
				t.Fatal(err)
			}
			if st.LeftOn != leftOn || st.Status != status {
				t.Errorf("%s: left_on %q status %q, want %q %q", when, st.LeftOn, st.Status, leftOn, status)
			}
		}
		record("onboarded", "", "active")
		check("onboarded", "", "active")
		record("leaving", "2025-03-31", "active")
		check("leave planned", "2025-03-31", "active")
		record("changed", "", "active")
		check("another staff record", "2025-03-31", "active")
		record("left", "2025-03-31", "left")
		check("left", "2025-03-31", "left")
	})
}
