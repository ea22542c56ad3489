package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
)

// OnboardInput is HR's registration of a new starter.
type OnboardInput struct {
	Staff activities.StaffRecord `json:"staff"`
	Actor string                 `json:"actor"`
	// ASYE is set for a newly qualified social worker: onboarding starts it.
	ASYE *ASYEInput `json:"asye,omitempty"`
}

// OnboardResult names the lifecycles onboarding started.
type OnboardResult struct {
	StaffID   string   `json:"staff_id"`
	Workflows []string `json:"workflows"`
}

// Onboard writes the staff record and starts the starter's lifecycles. Its ID
// is "Onboard:<staff id>", so HR retrying the request finds this run instead
// of starting a second.
func Onboard(ctx workflow.Context, in OnboardInput) (OnboardResult, error) {
	ctx = withRecordOptions(ctx)
	info := workflow.GetInfo(ctx)
	ev := activities.Event{
		WorkflowID:  info.WorkflowExecution.ID,
		RunID:       info.WorkflowExecution.RunID,
		EventID:     "onboarded",
		At:          workflow.Now(ctx),
		Actor:       in.Actor,
		Action:      "staff.onboarded",
		StaffID:     in.Staff.ID,
		Authority:   in.Staff.Authority,
		PackVersion: in.Staff.PackVersion,
		Staff:       &in.Staff,
		Detail:      map[string]any{"role": in.Staff.Role, "team": in.Staff.Team},
	}
	if in.Staff.SupervisorID != "" {
		ev.Supervisor = &activities.SupervisorRecord{StaffID: in.Staff.ID, SupervisorID: in.Staff.SupervisorID, From: in.Staff.StartDate}
	}
	if err := workflow.ExecuteActivity(ctx, activities.RecordEventName, ev).Get(ctx, nil); err != nil {
		return OnboardResult{}, err
	}
	res := OnboardResult{StaffID: in.Staff.ID}
	if in.ASYE != nil {
		id := ID(KindASYE, in.Staff.ID)
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            id,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes: SearchAttributes(in.Staff.ID, in.Staff.Authority, in.Staff.Team, KindASYE),
		})
		if err := workflow.ExecuteChildWorkflow(child, ASYEWorkflow, *in.ASYE).GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	return res, nil
}
