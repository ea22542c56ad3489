package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
)

// AuditAnchorWorkflow is the audit anchor's registered name. A Temporal
// Schedule (worker/schedules.go) starts it every hour; it anchors the
// heads of the audit streams into one chain (models/audit.go).
const AuditAnchorWorkflow = "AuditAnchor"

// AuditAnchorInput is empty: a struct, so fields can be added later.
type AuditAnchorInput struct{}

// AuditAnchor writes one anchor: one activity, retried while the database
// is away.
func AuditAnchor(ctx workflow.Context, _ AuditAnchorInput) (decision.AnchorAuditResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:                "anchor the audit trail: hash-chain heads as at now",
	})
	var res decision.AnchorAuditResult
	err := workflow.ExecuteActivity(ctx, decision.AnchorAuditName, decision.AnchorAuditInput{At: workflow.Now(ctx)}).Get(ctx, &res)
	return res, err
}
