package workflows

import (
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// Issue 11 finding 1: a leave recorded today with a leaving day years ago
// made the period already over, and the purge ran within seconds. Now no
// purge comes before the pack's grace has run from the day the leave was
// recorded, and HR and the auditors are told at once.
//
// On the old code: "purged 1 time(s) on 2026-12-03, want once on 2027-01-03".
func TestRetentionBackdatedLeaveWaitsOutTheGrace(t *testing.T) {
	recorded, left := date(t, "2026-12-03"), date(t, "2019-05-01")
	h := newRetentionHarness(t, recorded)
	graceUntil, purgeOn := date(t, "2027-01-02"), date(t, "2027-01-03")
	h.at(recorded, func() {
		s := h.state()
		if s.Status != RetentionWaiting || s.PurgeOn != purgeOn || s.GraceUntil != graceUntil || s.RecordedOn != recorded || s.GraceRule != "B-CONF-4" {
			t.Errorf("after recording: %+v, want waiting to purge on %s after a grace to %s", s, purgeOn, graceUntil)
		}
	})
	h.at(graceUntil, func() {
		if h.purges != 0 {
			t.Errorf("purged within the grace")
		}
	})
	h.env.ExecuteWorkflow(RetentionWorkflow, backdated(t, left.String()))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if h.purges != 1 || policy.DateOf(h.purgedAt) != purgeOn {
		t.Fatalf("purged %d time(s) on %s, want once on %s", h.purges, policy.DateOf(h.purgedAt), purgeOn)
	}
	s := h.actions("retention.scheduled")
	if len(s) != 1 || s[0].Detail["purge_on"] != purgeOn.String() || s[0].Detail["grace_until"] != graceUntil.String() {
		t.Fatalf("scheduled %+v", s)
	}
	told := map[string]bool{}
	for _, n := range s[0].Notifications {
		told[n.RecipientRole] = n.Kind == "retention"
	}
	if !told["hr"] || !told["auditor"] {
		t.Fatalf("notified %+v, want HR and the auditors", s[0].Notifications)
	}
}

// Within the grace the leaving day can be corrected (the grace starts
// again) or the leave withdrawn (nothing is ever purged); after it, neither.
func TestRetentionLeaveCorrectedThenWithdrawnWithinTheGrace(t *testing.T) {
	recorded := date(t, "2026-12-03")
	h := newRetentionHarness(t, recorded)
	h.at(recorded.AddDays(5), func() {
		h.update(UpdateCorrectLeave, LeaveCorrection{On: recorded}, h.refused("no request id", ErrInvalid, "request_id"))
		h.update(UpdateCorrectLeave, LeaveCorrection{RequestID: "c-0"}, h.refused("neither", ErrInvalid, "on"))
		h.update(UpdateCorrectLeave, LeaveCorrection{RequestID: "c-1", On: date(t, "2026-11-30"), Actor: "hr-1"}, h.ok("correct"))
	})
	h.at(recorded.AddDays(6), func() {
		s := h.state()
		if s.LeftOn != date(t, "2026-11-30") || s.RecordedOn != recorded.AddDays(5) || s.GraceUntil != recorded.AddDays(35) {
			t.Errorf("after the correction: %+v", s)
		}
		h.update(UpdateCorrectLeave, LeaveCorrection{RequestID: "c-1", On: date(t, "2026-11-29")}, h.refused("reused id", ErrConflict, "request_id"))
		h.update(UpdateCorrectLeave, LeaveCorrection{RequestID: "c-2", Withdraw: true, Actor: "hr-1"}, h.ok("withdraw"))
	})
	h.env.ExecuteWorkflow(RetentionWorkflow, backdated(t, "2019-05-01"))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var st RetentionState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if st.Status != RetentionWithdrawn || h.purges != 0 {
		t.Fatalf("ended %+v after %d purges, want withdrawn and none", st, h.purges)
	}
	if len(h.actions("retention.corrected")) != 1 || len(h.actions("retention.withdrawn")) != 1 {
		t.Fatalf("events %+v", h.events)
	}
}

func TestRetentionCorrectionRefusedAfterTheGrace(t *testing.T) {
	recorded := date(t, "2026-12-03")
	h := newRetentionHarness(t, recorded)
	h.at(recorded.AddDays(31), func() { // the purge day: purged at midnight
		h.update(UpdateCorrectLeave, LeaveCorrection{RequestID: "late", Withdraw: true}, h.refused("after the grace", ErrConflict, "retention"))
	})
	h.env.ExecuteWorkflow(RetentionWorkflow, backdated(t, "2019-05-01"))
	if err := h.env.GetWorkflowError(); err == nil && h.purges != 1 {
		t.Fatalf("%d purges", h.purges)
	}
}

// backdated is a Bolton leave recorded on the harness's first day with a
// leaving day long before: the pack in force today, the leaving day as given.
func backdated(t *testing.T, leftOn string) RetentionInput {
	in := retentionInput(t, "bolton", date(t, "2026-12-03"))
	in.LeftOn = date(t, leftOn)
	return in
}

// Issue 11, finding 7, for Retention's own loop: a correction taken on the
// grace's last day whose audit event keeps failing (the database down for
// two months, while the purge's own transaction works) did not hold back
// the purge's end of the lifecycle, and the correction's write was lost. Now the lifecycle ends only once it lands.
//
// On the old code: "writes that landed [scheduled purged], want the correction's too".
func TestRetentionNeverEndsWithACorrectionOutstanding(t *testing.T) {
	recorded := date(t, "2026-12-03")
	h := newRetentionHarness(t, recorded)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment() // h's environment records every write; this one's database fails
	env.SetStartTime(h.start)
	env.RegisterWorkflowWithOptions(Retention, workflow.RegisterOptions{Name: RetentionWorkflow})
	env.RegisterActivityWithOptions(func(activities.HoldsInput) (activities.HoldsResult, error) {
		return activities.HoldsResult{Active: []int64{}}, nil
	}, activity.RegisterOptions{Name: activities.ActiveHoldsName})
	var purgedOn policy.Date
	db := &flakyDB{}
	env.RegisterActivityWithOptions(func(in activities.PurgeInput) (activities.PurgeResult, error) {
		purgedOn = policy.DateOf(env.Now())
		return activities.PurgeResult{Applied: true}, nil
	}, activity.RegisterOptions{Name: activities.PurgePersonalRecordsName})
	env.RegisterActivityWithOptions(func(ev activities.Event) (activities.RecordResult, error) {
		return db.record(ev) // the purge writes through its own activity, which works
	}, activity.RegisterOptions{Name: activities.RecordEventName})
	at := func(d policy.Date, fn func()) {
		env.RegisterDelayedCallback(fn, time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, policy.London).Sub(h.start))
	}
	graceUntil := date(t, "2027-01-02")
	corrected := false
	at(graceUntil, func() {
		db.setDown(true)
		env.UpdateWorkflow(UpdateCorrectLeave, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("correction refused: %v", err) },
			OnComplete: func(_ any, err error) { corrected = err == nil },
		}, LeaveCorrection{RequestID: "c-1", On: date(t, "2020-01-01"), Actor: "hr-1"})
	})
	at(date(t, "2027-03-01"), func() { db.setDown(false) })
	env.ExecuteWorkflow(RetentionWorkflow, backdated(t, "2019-05-01"))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	// The grace starts again on its last day: purge the day after it ends.
	if want := graceUntil.AddDays(31); purgedOn != want {
		t.Errorf("purged on %s, want %s", purgedOn, want)
	}
	var landed []string
	for _, ev := range db.landed {
		landed = append(landed, ev.EventID)
	}
	if db.event("correction:c-1").Action != "retention.corrected" || !corrected {
		t.Fatalf("writes that landed %v, want the correction's too (update completed: %v)", landed, corrected)
	}
}
