package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
)

// OnboardInput is HR's registration of a new starter.
type OnboardInput struct {
	Staff activities.StaffRecord `json:"staff"`
	Actor string                 `json:"actor"`
	// ASYE is set for a newly qualified social worker: onboarding starts it.
	ASYE *ASYEInput `json:"asye,omitempty"`
	// Agreement and Supervision are set for every supervisee (Supervision
	// not for an NQSW: a passed ASYE starts it).
	Agreement   *AgreementInput   `json:"agreement,omitempty"`
	Supervision *SupervisionInput `json:"supervision,omitempty"`
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
	if err := workflow.ExecuteActivity(recording(ctx, ev), activities.RecordEventName, ev).Get(ctx, nil); err != nil {
		return OnboardResult{}, err
	}
	res := OnboardResult{StaffID: in.Staff.ID}
	person := Person{StaffID: in.Staff.ID, Authority: in.Staff.Authority, Team: in.Staff.Team}
	if in.ASYE != nil {
		id := ID(KindASYE, in.Staff.ID)
		if err := startChild(ctx, id, ASYEWorkflow, person, KindASYE, *in.ASYE); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	if workflow.GetVersion(ctx, "onboard-starts-standing-duties", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return res, nil
	}
	if in.Agreement != nil {
		id := ID(KindAgreement, in.Staff.ID)
		if err := startChild(ctx, id, AgreementWorkflow, person, KindAgreement, *in.Agreement); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	if in.Supervision != nil {
		id := ID(KindSupervision, in.Staff.ID)
		if err := startChild(ctx, id, SupervisionWorkflow, person, KindSupervision, *in.Supervision); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	return res, nil
}
