package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// ComplianceReportWorkflow is the monthly compliance report's registered
// name. A Temporal Schedule per authority (worker/schedules.go) starts it
// on the 1st of each month.
const ComplianceReportWorkflow = "ComplianceReport"

// ComplianceReportInput names the authority and, optionally, the month.
type ComplianceReportInput struct {
	Authority string `json:"authority"`
	// Month is YYYY-MM; empty means the month just ended (what the
	// Schedule asks for), reckoned from the workflow's start in London.
	Month string `json:"month,omitempty"`
	// AsAt is YYYY-MM-DD; empty means the day the workflow runs.
	AsAt string `json:"as_at,omitempty"`
}

// ComplianceReportResult is what the stored report holds, in sum.
type ComplianceReportResult struct {
	Authority string `json:"authority"`
	Month     string `json:"month"`
	AsAt      string `json:"as_at"`
	decision.ComplianceResult
}

// ComplianceReport computes and stores one authority's report for a month.
// It is a short workflow: one activity, retried while the database is away.
func ComplianceReport(ctx workflow.Context, in ComplianceReportInput) (ComplianceReportResult, error) {
	today := policy.DateOf(workflow.Now(ctx))
	month := in.Month
	if month == "" {
		month = today.Time().AddDate(0, 0, -today.Day()).Format("2006-01") // the last day of the previous month
	}
	asAt := in.AsAt
	if asAt == "" {
		asAt = today.String()
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:                "store the compliance report of " + in.Authority + " for " + month + " as at " + asAt,
	})
	var res decision.ComplianceResult
	err := workflow.ExecuteActivity(ctx, decision.StoreComplianceReportName, decision.ComplianceInput{
		Authority: in.Authority, Month: month, AsAt: asAt, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &res)
	if err != nil {
		return ComplianceReportResult{}, err
	}
	return ComplianceReportResult{Authority: in.Authority, Month: month, AsAt: asAt, ComplianceResult: res}, nil
}
