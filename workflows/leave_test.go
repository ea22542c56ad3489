package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
)

// A leave dated ahead (issue 11) is recorded as planned at once, with its
// day on the staff record, and takes effect on that day: the lifecycles are
// told and retention starts then, not when HR recorded it.
func TestLeaveDatedAheadTakesEffectOnItsDay(t *testing.T) {
	recorded, on := date(t, "2026-03-02"), date(t, "2026-04-15")
	h := newRetentionHarness(t, recorded)
	h.env.RegisterWorkflowWithOptions(Leave, workflow.RegisterOptions{Name: LeaveWorkflow})
	var signalled time.Time
	h.env.OnSignalExternalWorkflow(mock.Anything, ID(KindSupervision, "sw-1"), "", SignalLeave, mock.Anything).Return(
		func(_, _, _, _ string, _ any) error {
			signalled = h.env.Now()
			return nil
		})
	in := LeaveInput{
		Staff:      activities.StaffRecord{ID: "sw-1", Authority: "surrey", Team: "north", Role: "social_worker", StartDate: "2024-01-08", Status: "left", PackVersion: "v1", LeftOn: on.String()},
		Signal:     LeaveSignal{RequestID: "leave-1", On: on, Reason: "resigned", Actor: "hr-1"},
		Lifecycles: []string{ID(KindSupervision, "sw-1")},
	}
	h.env.ExecuteWorkflow(LeaveWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res LeaveResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Closed) != 1 || res.Retention != ID(KindRetention, "sw-1") {
		t.Errorf("result = %+v, want the lifecycle closed and retention started", res)
	}

	dayStarts := on.AddDays(-1).EndInstant()
	var planned, left *activities.Event
	for i := range h.events {
		switch h.events[i].Action {
		case "staff.leaving":
			planned = &h.events[i]
		case "staff.left":
			left = &h.events[i]
		}
	}
	if planned == nil || left == nil {
		t.Fatalf("want a staff.leaving and a staff.left event, got %d events", len(h.events))
	}
	if !planned.At.Before(h.start.Add(time.Minute)) || planned.Staff == nil || planned.Staff.Status != "active" || planned.Staff.LeftOn != on.String() {
		t.Errorf("planned leave at %v with staff %+v, want at once, still active, left_on %s", planned.At, planned.Staff, on)
	}
	if left.At.Before(dayStarts) || left.At.After(dayStarts.Add(time.Minute)) || left.Staff.Status != "left" {
		t.Errorf("leave took effect at %v (status %s), want at the start of %s (%v)", left.At, left.Staff.Status, on, dayStarts)
	}
	if signalled.Before(dayStarts) {
		t.Errorf("lifecycle told to close at %v, before the leaving day %s", signalled, on)
	}
}
