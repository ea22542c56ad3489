package workflows

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// runCompliance runs the report workflow starting at start (London) and
// returns what it asked the activity for.
func runCompliance(t *testing.T, start time.Time, in ComplianceReportInput, failures int) (activities.ComplianceInput, ComplianceReportResult, int) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(ComplianceReport, workflow.RegisterOptions{Name: ComplianceReportWorkflow})
	var asked activities.ComplianceInput
	calls := 0
	env.RegisterActivityWithOptions(func(_ context.Context, in activities.ComplianceInput) (activities.ComplianceResult, error) {
		calls++
		asked = in
		if calls <= failures {
			return activities.ComplianceResult{}, context.DeadlineExceeded // the database is away: retried
		}
		return activities.ComplianceResult{Items: 4, OnTime: 2, Late: 1, Missed: 1}, nil
	}, activity.RegisterOptions{Name: activities.StoreComplianceReportName})
	env.ExecuteWorkflow(ComplianceReportWorkflow, in)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res ComplianceReportResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return asked, res, calls
}

// Started by the Schedule on the 1st, the report is for the month just
// ended, as at that day; a database outage is retried, not a failure.
func TestComplianceReportForTheMonthJustEnded(t *testing.T) {
	start := time.Date(2026, time.January, 1, 6, 0, 0, 0, policy.London)
	asked, res, calls := runCompliance(t, start, ComplianceReportInput{Authority: "bolton"}, 2)
	if asked.Authority != "bolton" || asked.Month != "2025-12" || asked.AsAt != "2026-01-01" {
		t.Fatalf("asked for %+v, want bolton 2025-12 as at 2026-01-01", asked)
	}
	if calls != 3 || res.Month != "2025-12" || res.Items != 4 || res.Missed != 1 {
		t.Fatalf("%d calls, result %+v", calls, res)
	}

	// Just after midnight London on 1 April (BST) is still 31 March in UTC:
	// the month just ended is March.
	start = time.Date(2026, time.April, 1, 0, 30, 0, 0, policy.London)
	if asked, _, _ := runCompliance(t, start, ComplianceReportInput{Authority: "surrey"}, 0); asked.Month != "2026-03" || asked.AsAt != "2026-04-01" {
		t.Fatalf("asked for %+v, want 2026-03 as at 2026-04-01", asked)
	}

	// An explicit month and day are kept (a recomputation as at a past date).
	asked, _, _ = runCompliance(t, start, ComplianceReportInput{Authority: "surrey", Month: "2026-01", AsAt: "2026-02-15"}, 0)
	if asked.Month != "2026-01" || asked.AsAt != "2026-02-15" {
		t.Fatalf("asked for %+v", asked)
	}
}
