package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// LeaveInput is HR recording a leaver: the staff record as it now stands
// and every lifecycle of theirs still open.
type LeaveInput struct {
	Staff      decision.StaffRecord `json:"staff"` // Status "left"
	Signal     LeaveSignal          `json:"signal"`
	Lifecycles []string             `json:"lifecycles"`
	// Retention is the pack in force's retention of supervision records
	// (nil: the pack sets no period).
	Retention *policy.Retention `json:"retention,omitempty"`
}

// LeaveResult lists the lifecycles told to close.
type LeaveResult struct {
	Closed    []string `json:"closed"`
	Retention string   `json:"retention,omitempty"` // the Retention lifecycle started
}

// Leave records that a person left and tells each of their lifecycles, which
// close themselves, recording why. Its ID "Leave:<period key>" (PeriodKey)
// makes HR's retry a no-op.
func Leave(ctx workflow.Context, in LeaveInput) (LeaveResult, error) {
	ctx = withRecordOptions(ctx)
	info := workflow.GetInfo(ctx)
	// A leave dated ahead takes effect on its day: until then the person
	// keeps access and their lifecycles run; the staff record shows the day.
	if on := in.Signal.On; on.After(today(ctx)) && workflow.GetVersion(ctx, "leave-future-date-v1", workflow.DefaultVersion, 1) == 1 {
		planned := in.Staff
		planned.Status, planned.LeftOn = "active", on.String()
		ev := decision.Event{
			WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, EventID: "leaving",
			At: workflow.Now(ctx), Actor: in.Signal.Actor, Action: "staff.leaving",
			StaffID: in.Staff.ID, Authority: in.Staff.Authority, PackVersion: in.Staff.PackVersion, Staff: &planned,
			Detail: map[string]any{"on": on.String(), "lifecycles": in.Lifecycles},
		}
		if err := workflow.ExecuteActivity(recording(ctx, ev), decision.RecordEventName, ev).Get(ctx, nil); err != nil {
			return LeaveResult{}, err
		}
		// The first instant of the leaving day, in London.
		if err := sleepSummarised(ctx, on.AddDays(-1).EndInstant().Sub(workflow.Now(ctx)), "wait for the leaving day "+on.String()+" of "+in.Staff.ID); err != nil {
			return LeaveResult{}, err
		}
		in.Staff.LeftOn = on.String()
	}
	ev := decision.Event{
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, EventID: "left",
		At: workflow.Now(ctx), Actor: in.Signal.Actor, Action: "staff.left", Reason: in.Signal.Reason,
		StaffID: in.Staff.ID, Authority: in.Staff.Authority, PackVersion: in.Staff.PackVersion, Staff: &in.Staff,
		Detail: map[string]any{"on": in.Signal.On.String(), "lifecycles": in.Lifecycles},
	}
	if err := workflow.ExecuteActivity(recording(ctx, ev), decision.RecordEventName, ev).Get(ctx, nil); err != nil {
		return LeaveResult{}, err
	}
	var res LeaveResult
	for _, id := range in.Lifecycles {
		// A lifecycle that already ended has nothing to close.
		if err := workflow.SignalExternalWorkflow(ctx, id, "", SignalLeave, in.Signal).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Info("lifecycle not open", "workflow", id, "error", err)
			continue
		}
		res.Closed = append(res.Closed, id)
	}
	// Leavers before this version had no retention lifecycle.
	if workflow.GetVersion(ctx, "retention", workflow.DefaultVersion, 1) == 1 {
		id := ID(KindRetention, in.Staff.ID)
		// A later period's leave has that period's retention.
		if in.Staff.Period > 1 && workflow.GetVersion(ctx, "rehire-leave-v1", workflow.DefaultVersion, 1) == 1 {
			id = ID(KindRetention, PeriodKey(in.Staff.ID, in.Staff.Period))
		}
		who := Person{StaffID: in.Staff.ID, Authority: in.Staff.Authority, Team: in.Staff.Team}
		rin := RetentionInput{
			StaffID: in.Staff.ID, Authority: in.Staff.Authority, Team: in.Staff.Team, PackVersion: in.Staff.PackVersion,
			LeftOn: in.Signal.On, Rule: in.Retention, Actor: in.Signal.Actor,
		}
		// Already started is logged: the leave itself stands.
		if err := startChild(ctx, id, RetentionWorkflow, who, KindRetention, rin); err != nil {
			workflow.GetLogger(ctx).Error("retention not started", "workflow", id, "error", err)
		} else {
			res.Retention = id
		}
	}
	return res, nil
}
