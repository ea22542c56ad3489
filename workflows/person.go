package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/policy"
)

// Person is who a personal lifecycle is about, as onboarding knows them.
type Person struct {
	StaffID      string      `json:"staff_id"`
	Name         string      `json:"name"`
	Authority    string      `json:"authority"`
	Team         string      `json:"team"`
	Role         string      `json:"role"` // the staff role: nqsw, social_worker, student, team_manager, ...
	SupervisorID string      `json:"supervisor_id"`
	ManagerID    string      `json:"manager_id,omitempty"` // the supervisor's own supervisor: escalations go there
	Start        policy.Date `json:"start"`
	// DutiesFrom is set for an existing worker imported whose start predates
	// every pack version: their duties begin on the day of import instead.
	DutiesFrom policy.Date `json:"duties_from,omitzero"`
}

// importing says whether a first run takes the dates an import gave
// (DutiesFrom, a last-held date): a patched change, taken only by runs
// started with them, so histories recorded before it replay unchanged.
func importing(ctx workflow.Context, changeID string, given bool) bool {
	return given && workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1) == 1
}

// Signals every person's lifecycle (ASYE, Agreement, Supervision) answers.
const (
	// SignalLeave closes the lifecycle: the person has left. The API has
	// validated it; the lifecycle records why and ends cleanly.
	SignalLeave = "Leave"
)

// LeaveSignal says a person left, when and why.
type LeaveSignal struct {
	RequestID string      `json:"request_id"`
	On        policy.Date `json:"on"`
	Reason    string      `json:"reason"`
	Actor     string      `json:"actor"`
}

// onLeave makes fn run for a leave signal, whenever it arrives; run() drains
// any still pending before continuing as new.
func (l *lifecycle) onLeave(ctx workflow.Context, fn func(workflow.Context, LeaveSignal)) {
	l.leaveCh = workflow.GetSignalChannel(ctx, SignalLeave)
	l.leaveFn = fn
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s LeaveSignal
			if !l.leaveCh.Receive(ctx, &s) {
				return
			}
			fn(ctx, s)
			l.touch()
		}
	})
}

// drain handles signals that arrived but were not yet received.
func (l *lifecycle) drain(ctx workflow.Context) {
	if l.leaveCh == nil {
		return
	}
	var s LeaveSignal
	for l.leaveCh.ReceiveAsync(&s) {
		l.leaveFn(ctx, s)
		l.touch()
	}
}

// startChild starts a lifecycle that outlives its starter (ABANDON) and
// waits until it has started. An ID already running or used is refused by
// Temporal, so a replayed start never makes a second one.
func startChild(ctx workflow.Context, id, workflowType string, sa Person, lifecycleKind string, input any) error {
	summary, details := Describe(workflowType, input)
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: SearchAttributes(sa.StaffID, sa.Authority, sa.Team, lifecycleKind),
		StaticSummary:         summary,
		StaticDetails:         details,
	})
	return workflow.ExecuteChildWorkflow(child, workflowType, input).GetChildWorkflowExecution().Get(ctx, nil)
}
