package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
)

// OnboardInput is HR's registration of a new starter.
type OnboardInput struct {
	Staff decision.StaffRecord `json:"staff"`
	Actor string               `json:"actor"`
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
	ev := decision.Event{
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
		ev.Supervisor = &decision.SupervisorRecord{StaffID: in.Staff.ID, SupervisorID: in.Staff.SupervisorID, From: in.Staff.StartDate}
	}
	// A rehire is a later period of employment (its workflow id carries the
	// period: "Onboard:sw-1.p2"): its lifecycles are that period's.
	key := in.Staff.ID
	rehire := in.Staff.Period > 1 && workflow.GetVersion(ctx, "rehire-onboard-v1", workflow.DefaultVersion, 1) == 1
	if rehire {
		key = PeriodKey(in.Staff.ID, in.Staff.Period)
		ev.Action = "staff.rehired"
		ev.Detail["period"] = in.Staff.Period
		ev.Detail["start_date"] = in.Staff.StartDate
	}
	if err := workflow.ExecuteActivity(recording(ctx, ev), decision.RecordEventName, ev).Get(ctx, nil); err != nil {
		return OnboardResult{}, err
	}
	if rehire {
		cancelEarlierPurge(ctx, in)
	}
	res := OnboardResult{StaffID: in.Staff.ID}
	person := Person{StaffID: in.Staff.ID, Authority: in.Staff.Authority, Team: in.Staff.Team}
	if in.ASYE != nil {
		id := ID(KindASYE, key)
		if err := startChild(ctx, id, ASYEWorkflow, person, KindASYE, *in.ASYE); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	if workflow.GetVersion(ctx, "onboard-starts-standing-duties", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return res, nil
	}
	if in.Agreement != nil {
		id := ID(KindAgreement, key)
		if err := startChild(ctx, id, AgreementWorkflow, person, KindAgreement, *in.Agreement); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	if in.Supervision != nil {
		id := ID(KindSupervision, key)
		if err := startChild(ctx, id, SupervisionWorkflow, person, KindSupervision, *in.Supervision); err != nil {
			return OnboardResult{}, err
		}
		res.Workflows = append(res.Workflows, id)
	}
	return res, nil
}

// cancelEarlierPurge tells the retention of the period before a rehire that
// the person is back: its purge, by staff id, would take the new period's
// records too. The earlier records are kept with the new period's and
// follow its retention (from the next leave). A retention already ended
// (purged, or none: the pack sets no period) has nothing to cancel.
func cancelEarlierPurge(ctx workflow.Context, in OnboardInput) {
	id := ID(KindRetention, PeriodKey(in.Staff.ID, in.Staff.Period-1))
	sig := RehireSignal{Period: in.Staff.Period, Start: in.Staff.StartDate, Actor: in.Actor}
	if err := workflow.SignalExternalWorkflow(ctx, id, "", SignalRehired, sig).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("no earlier retention to cancel", "workflow", id, "error", err)
	}
}
