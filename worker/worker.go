// Package worker registers every lifecycle and activity under its constant
// name and runs them on the securebase task queue.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/workflows"
)

// Register puts every workflow and activity on a registry (a worker, a test
// environment or a replayer) under its registered name.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivityWithOptions(acts.RecordEvent, activity.RegisterOptions{Name: activities.RecordEventName})
	r.RegisterActivityWithOptions(acts.StoreComplianceReport, activity.RegisterOptions{Name: activities.StoreComplianceReportName})
	r.RegisterActivityWithOptions(acts.AnchorAudit, activity.RegisterOptions{Name: activities.AnchorAuditName})
	r.RegisterActivityWithOptions(acts.ActiveHolds, activity.RegisterOptions{Name: activities.ActiveHoldsName})
	r.RegisterActivityWithOptions(acts.PurgePersonalRecords, activity.RegisterOptions{Name: activities.PurgePersonalRecordsName})
	r.RegisterActivityWithOptions(acts.NextPack, activity.RegisterOptions{Name: activities.NextPackName})
}

// RegisterWorkflows registers the workflows alone: what a replayer needs.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.Onboard, workflow.RegisterOptions{Name: workflows.OnboardWorkflow})
	r.RegisterWorkflowWithOptions(workflows.ASYE, workflow.RegisterOptions{Name: workflows.ASYEWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Agreement, workflow.RegisterOptions{Name: workflows.AgreementWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Supervision, workflow.RegisterOptions{Name: workflows.SupervisionWorkflow})
	r.RegisterWorkflowWithOptions(workflows.SignOff, workflow.RegisterOptions{Name: workflows.SignOffWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Leave, workflow.RegisterOptions{Name: workflows.LeaveWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Caseload, workflow.RegisterOptions{Name: workflows.CaseloadWorkflow})
	r.RegisterWorkflowWithOptions(workflows.ComplianceReport, workflow.RegisterOptions{Name: workflows.ComplianceReportWorkflow})
	r.RegisterWorkflowWithOptions(workflows.AuditAnchor, workflow.RegisterOptions{Name: workflows.AuditAnchorWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Delivery, workflow.RegisterOptions{Name: workflows.DeliveryWorkflow}) // delivery.go: its activities run on DeliveryTaskQueue
	r.RegisterWorkflowWithOptions(workflows.Retention, workflow.RegisterOptions{Name: workflows.RetentionWorkflow})
	r.RegisterWorkflowWithOptions(workflows.TeamDuty, workflow.RegisterOptions{Name: workflows.TeamDutyWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Concern, workflow.RegisterOptions{Name: workflows.ConcernWorkflow})
}

// New builds a worker on the securebase task queue.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	Register(w, acts)
	return w
}
