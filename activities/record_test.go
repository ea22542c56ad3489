package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/models/pgtest"
)

// TestMain stops the PostgreSQL cluster pgtest starts.
func TestMain(m *testing.M) { pgtest.Main(m) }

// each runs a test once per database backend, with a fresh migrated database.
func each(t *testing.T, test func(t *testing.T, db *gorm.DB)) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b.Open(t))
		})
	}
}

var day1 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// onboarding is a new starter's first event: every kind of record.
func onboarding() activities.Event {
	return activities.Event{
		WorkflowID:  "ASYE:emp-1",
		RunID:       "run-1",
		EventID:     "onboarded",
		At:          day1,
		Actor:       "hr-7",
		Action:      "staff.onboarded",
		Reason:      "new starter",
		StaffID:     "emp-1",
		Authority:   "bracknell-forest",
		PackVersion: "2025.1",
		RuleID:      "asye.weekly",
		Detail:      map[string]any{"role": "nqsw", "weeks": 6},
		Staff: &activities.StaffRecord{
			ID: "emp-1", Name: "Ada Lovelace", Authority: "bracknell-forest", Team: "north",
			Role: "nqsw", SupervisorID: "mgr-1", StartDate: "2025-01-06", Status: "active", PackVersion: "2025.1",
		},
		Supervisor: &activities.SupervisorRecord{StaffID: "emp-1", SupervisorID: "mgr-1", From: "2025-01-06"},
		Session: &activities.SessionRecord{
			StaffID: "emp-1", SupervisorID: "mgr-1", Kind: "asye", HeldOn: "2025-01-06",
			DurationMinutes: 60, RequestID: "req-1", Notes: "induction",
		},
		Due: []activities.DueItemRecord{
			{Key: "session:2", Kind: "asye_session", DueOn: "2025-01-13", Status: "due"},
			{Key: "review:3-month", Kind: "asye_review", DueOn: "2025-04-06", Status: "due", RuleID: "asye.review"},
		},
		Notifications: []activities.NotificationRecord{
			{Recipient: "mgr-1", RecipientRole: "supervisor", Kind: "onboarded", Subject: "New starter", Body: "Ada starts today"},
			{RecipientRole: "senior_manager", Kind: "onboarded", Subject: "New starter"},
		},
	}
}

type counts map[string]int64

func countRows(t *testing.T, db *gorm.DB) counts {
	t.Helper()
	c := counts{}
	for _, m := range models.All() {
		var n int64
		if err := db.Model(m).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		stmt := &gorm.Statement{DB: db}
		stmt.Parse(m)
		c[stmt.Table] = n
	}
	return c
}

func wantCounts(t *testing.T, db *gorm.DB, want counts) {
	t.Helper()
	got := countRows(t, db)
	for table, n := range want {
		if got[table] != n {
			t.Errorf("%s has %d rows, want %d (all: %v)", table, got[table], n, got)
		}
	}
}

var onboardedCounts = counts{"audit_events": 1, "staff": 1, "supervisor_assignments": 1, "sessions": 1, "due_items": 2, "notifications": 2}

func record(t *testing.T, db *gorm.DB, ev activities.Event) activities.RecordResult {
	t.Helper()
	res, err := activities.Activities{DB: db}.RecordEvent(context.Background(), ev)
	if err != nil {
		t.Fatalf("RecordEvent(%s): %v", ev.EventID, err)
	}
	return res
}

func TestRecordEventWritesEverythingOnce(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		ev := onboarding()
		if res := record(t, db, ev); !res.Applied {
			t.Fatal("first RecordEvent: Applied = false")
		}
		wantCounts(t, db, onboardedCounts)

		staff, err := models.GetStaff(ctx, db, "emp-1")
		if err != nil {
			t.Fatal(err)
		}
		if staff.Name != "Ada Lovelace" || staff.Team != "north" || staff.SupervisorID == nil || *staff.SupervisorID != "mgr-1" || staff.StartDate != "2025-01-06" {
			t.Errorf("staff = %+v", staff)
		}

		trail, err := models.ListAudit(ctx, db, "emp-1")
		if err != nil || len(trail) != 1 {
			t.Fatalf("ListAudit = %v, %v", trail, err)
		}
		a := trail[0]
		if a.Actor != "hr-7" || a.Action != "staff.onboarded" || a.RunID != "run-1" || a.PackVersion != "2025.1" || !a.OccurredAt.Equal(day1) {
			t.Errorf("audit = %+v", a)
		}
		var detail map[string]any
		if err := json.Unmarshal([]byte(a.Detail), &detail); err != nil || detail["role"] != "nqsw" || detail["weeks"] != float64(6) {
			t.Errorf("audit detail = %s (%v)", a.Detail, err)
		}

		due, err := models.ListDueForStaff(ctx, db, "emp-1")
		if err != nil || len(due) != 2 {
			t.Fatalf("ListDueForStaff = %v, %v", due, err)
		}
		// Defaults come from the event and the staff row.
		if d := due[0]; d.Key != "session:2" || d.Team != "north" || d.Authority != "bracknell-forest" || d.RuleID != "asye.weekly" || d.Status != "due" {
			t.Errorf("due[0] = %+v", d)
		}
		if d := due[1]; d.Key != "review:3-month" || d.RuleID != "asye.review" {
			t.Errorf("due[1] = %+v", d)
		}

		ns, err := models.ListNotifications(ctx, db, "emp-1")
		if err != nil || len(ns) != 2 {
			t.Fatalf("ListNotifications = %v, %v", ns, err)
		}
		for _, n := range ns {
			if n.StaffID != "emp-1" || !n.CreatedAt.Equal(day1) || n.DeliveredAt != nil {
				t.Errorf("notification = %+v", n)
			}
		}

		// A retry, even one whose payload differs, writes nothing.
		again := onboarding()
		again.Session.Notes = "changed on retry"
		again.Staff.Name = "Someone Else"
		if res := record(t, db, again); res.Applied {
			t.Fatal("second RecordEvent: Applied = true")
		}
		wantCounts(t, db, onboardedCounts)
		staff, _ = models.GetStaff(ctx, db, "emp-1")
		if staff.Name != "Ada Lovelace" {
			t.Errorf("retry changed the staff row: %+v", staff)
		}
		sessions, _ := models.ListSessions(ctx, db, "emp-1")
		if len(sessions) != 1 || sessions[0].Notes != "induction" {
			t.Errorf("sessions = %+v", sessions)
		}
	})
}

// Two workers retrying the same activity at once must still write one of
// everything.
func TestRecordEventConcurrentDuplicates(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		const attempts = 20
		var wg sync.WaitGroup
		results := make([]activities.RecordResult, attempts)
		errs := make([]error, attempts)
		start := make(chan struct{})
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = activities.Activities{DB: db}.RecordEvent(context.Background(), onboarding())
			}()
		}
		close(start)
		wg.Wait()
		applied := 0
		for i := range attempts {
			if errs[i] != nil {
				t.Errorf("attempt %d: %v", i, errs[i])
			}
			if results[i].Applied {
				applied++
			}
		}
		if applied != 1 {
			t.Errorf("%d attempts applied the event, want exactly 1", applied)
		}
		wantCounts(t, db, onboardedCounts)
	})
}

func TestSupervisorChange(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		record(t, db, onboarding()) // mgr-1 from 2025-01-06

		// Another workflow restating the same supervisor changes nothing.
		same := activities.Event{WorkflowID: "Agreement:emp-1", EventID: "started", At: day1, StaffID: "emp-1", Action: "agreement.started",
			Supervisor: &activities.SupervisorRecord{StaffID: "emp-1", SupervisorID: "mgr-1", From: "2025-01-07"}}
		record(t, db, same)
		as, _ := models.ListSupervisorAssignments(ctx, db, "emp-1")
		if len(as) != 1 || as[0].From != "2025-01-06" || as[0].To != nil {
			t.Fatalf("after restating: assignments = %+v", as)
		}

		change := activities.Event{WorkflowID: "ASYE:emp-1", EventID: "supervisor:mgr-2", At: day1.AddDate(0, 2, 0), StaffID: "emp-1",
			Actor: "hr-7", Action: "staff.supervisor_changed",
			Supervisor: &activities.SupervisorRecord{StaffID: "emp-1", SupervisorID: "mgr-2", From: "2025-03-03"}}
		if res := record(t, db, change); !res.Applied {
			t.Fatal("change not applied")
		}
		as, _ = models.ListSupervisorAssignments(ctx, db, "emp-1")
		if len(as) != 2 {
			t.Fatalf("assignments = %+v", as)
		}
		if as[0].SupervisorID != "mgr-1" || as[0].To == nil || *as[0].To != "2025-03-03" {
			t.Errorf("previous assignment not closed on the change day: %+v", as[0])
		}
		if as[1].SupervisorID != "mgr-2" || as[1].From != "2025-03-03" || as[1].To != nil || as[1].EventID != "supervisor:mgr-2" {
			t.Errorf("new assignment = %+v", as[1])
		}
		staff, _ := models.GetStaff(ctx, db, "emp-1")
		if staff.SupervisorID == nil || *staff.SupervisorID != "mgr-2" {
			t.Errorf("staff.supervisor_id = %v, want mgr-2", staff.SupervisorID)
		}

		// A staff upsert without a supervisor keeps the current one.
		left := activities.Event{WorkflowID: "ASYE:emp-1", EventID: "left", At: day1.AddDate(0, 3, 0), StaffID: "emp-1", Action: "staff.left",
			Staff: &activities.StaffRecord{ID: "emp-1", Name: "Ada Lovelace", Authority: "bracknell-forest", Team: "north", Role: "nqsw",
				StartDate: "2025-01-06", Status: "left", PackVersion: "2025.1"}}
		record(t, db, left)
		staff, _ = models.GetStaff(ctx, db, "emp-1")
		if staff.Status != "left" || staff.SupervisorID == nil || *staff.SupervisorID != "mgr-2" {
			t.Errorf("after leaving: staff = %+v", staff)
		}

		// A change dated before the current assignment began is refused, and
		// nothing of that event is written.
		before := countRows(t, db)
		stale := activities.Event{WorkflowID: "ASYE:emp-1", EventID: "supervisor:mgr-3", At: day1, StaffID: "emp-1",
			Supervisor: &activities.SupervisorRecord{StaffID: "emp-1", SupervisorID: "mgr-3", From: "2025-02-01"}}
		_, err := activities.Activities{DB: db}.RecordEvent(ctx, stale)
		wantNonRetryable(t, err)
		if after := countRows(t, db); !equalCounts(before, after) {
			t.Errorf("refused event wrote rows: before %v, after %v", before, after)
		}
	})
}

func TestDueItemUpsert(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		record(t, db, onboarding())

		overdue := activities.Event{WorkflowID: "ASYE:emp-1", EventID: "overdue:session:2", At: day1.AddDate(0, 0, 8), StaffID: "emp-1",
			Actor: "system", Action: "asye.overdue", RuleID: "asye.weekly",
			Due: []activities.DueItemRecord{{Key: "session:2", Kind: "asye_session", DueOn: "2025-01-13", Status: "overdue"}},
			Notifications: []activities.NotificationRecord{
				{Recipient: "mgr-1", RecipientRole: "supervisor", Kind: "overdue", Subject: "Session overdue", DueKey: "session:2"},
			}}
		record(t, db, overdue)
		teamDue, err := models.ListDueForTeam(ctx, db, "", "north", "2025-01-31")
		if err != nil || len(teamDue) != 1 || teamDue[0].Key != "session:2" || teamDue[0].Status != "overdue" {
			t.Fatalf("ListDueForTeam after overdue = %+v, %v", teamDue, err)
		}

		met := activities.Event{WorkflowID: "ASYE:emp-1", EventID: "session:req-2", At: day1.AddDate(0, 0, 9), StaffID: "emp-1",
			Actor: "mgr-1", Action: "asye.session_recorded",
			Session: &activities.SessionRecord{StaffID: "emp-1", SupervisorID: "mgr-1", Kind: "asye", HeldOn: "2025-01-15", DurationMinutes: 45, RequestID: "req-2"},
			Due: []activities.DueItemRecord{
				{Key: "session:2", Kind: "asye_session", DueOn: "2025-01-13", Status: "met", MetOn: "2025-01-15"},
				{Key: "session:3", Kind: "asye_session", DueOn: "2025-01-22", Status: "due"},
			}}
		record(t, db, met)

		due, err := models.ListDueForStaff(ctx, db, "emp-1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range due {
			got = append(got, d.Key+"="+d.Status)
		}
		if strings.Join(got, " ") != "session:2=met session:3=due review:3-month=due" {
			t.Fatalf("due items = %v", got)
		}
		if due[0].MetOn == nil || *due[0].MetOn != "2025-01-15" || due[0].Team != "north" {
			t.Errorf("met item = %+v", due[0])
		}
		teamDue, _ = models.ListDueForTeam(ctx, db, "", "north", "2025-01-31")
		if len(teamDue) != 1 || teamDue[0].Key != "session:3" {
			t.Errorf("ListDueForTeam after met = %+v", teamDue)
		}

		sessions, _ := models.ListSessions(ctx, db, "emp-1")
		if len(sessions) != 2 || sessions[0].HeldOn != "2025-01-06" || sessions[1].HeldOn != "2025-01-15" {
			t.Errorf("sessions = %+v", sessions)
		}
		ns, _ := models.ListNotifications(ctx, db, "emp-1")
		if len(ns) != 3 || ns[2].Kind != "overdue" || ns[2].DueKey != "session:2" {
			t.Errorf("notifications = %+v", ns)
		}
		trail, _ := models.ListAudit(ctx, db, "emp-1")
		var actions []string
		for _, a := range trail {
			actions = append(actions, a.Action)
		}
		if strings.Join(actions, " ") != "staff.onboarded asye.overdue asye.session_recorded" {
			t.Errorf("audit trail = %v", actions)
		}
	})
}

func TestInvalidEventIsNonRetryable(t *testing.T) {
	cases := map[string]func(*activities.Event){
		"no workflow id":     func(e *activities.Event) { e.WorkflowID = "" },
		"no event id":        func(e *activities.Event) { e.EventID = "" },
		"bad start date":     func(e *activities.Event) { e.Staff.StartDate = "06/01/2025" },
		"bad supervisor day": func(e *activities.Event) { e.Supervisor.From = "2025-02-30" },
		"no session day":     func(e *activities.Event) { e.Session.HeldOn = "" },
		"bad due date":       func(e *activities.Event) { e.Due[0].DueOn = "soon" },
		"bad met date":       func(e *activities.Event) { e.Due[0].MetOn = "2025-1-5" },
		"unknown status":     func(e *activities.Event) { e.Due[1].Status = "late" },
		"nobody to notify":   func(e *activities.Event) { e.Notifications[1].RecipientRole = "" },
		"self supervision":   func(e *activities.Event) { e.Supervisor.SupervisorID = "emp-1" },
		"detail not json":    func(e *activities.Event) { e.Detail = map[string]any{"f": func() {}} },
	}
	each(t, func(t *testing.T, db *gorm.DB) {
		for name, spoil := range cases {
			ev := onboarding()
			spoil(&ev)
			_, err := activities.Activities{DB: db}.RecordEvent(context.Background(), ev)
			if err == nil {
				t.Errorf("%s: accepted", name)
				continue
			}
			wantNonRetryable(t, err)
		}
		wantCounts(t, db, counts{"audit_events": 0, "staff": 0, "due_items": 0})
	})
}

// Through Temporal's activity environment: the registered name works and
// the error reaches the caller still non-retryable.
func TestRecordEventRegisteredName(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivityWithOptions(activities.Activities{DB: db}.RecordEvent, activity.RegisterOptions{Name: activities.RecordEventName})

		val, err := env.ExecuteActivity(activities.RecordEventName, onboarding())
		if err != nil {
			t.Fatal(err)
		}
		var res activities.RecordResult
		if err := val.Get(&res); err != nil || !res.Applied {
			t.Fatalf("result = %+v, %v", res, err)
		}

		bad := onboarding()
		bad.EventID = ""
		_, err = env.ExecuteActivity(activities.RecordEventName, bad)
		wantNonRetryable(t, err)
	})
}

// A database that can't be reached is a transient failure: Temporal retries.
func TestDatabaseDownIsRetryable(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.Close()
		_, err = activities.Activities{DB: db}.RecordEvent(context.Background(), onboarding())
		if err == nil {
			t.Fatal("RecordEvent on a closed database succeeded")
		}
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.NonRetryable() {
			t.Fatalf("database error marked non-retryable: %v", err)
		}
	})
}

func wantNonRetryable(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) is not an application error", err, err)
	}
	if !appErr.NonRetryable() || appErr.Type() != activities.InvalidEventError {
		t.Fatalf("error %v: non-retryable %v, type %q; want non-retryable %q", err, appErr.NonRetryable(), appErr.Type(), activities.InvalidEventError)
	}
}

func equalCounts(a, b counts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
