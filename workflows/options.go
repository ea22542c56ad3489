package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
)

// withRecordOptions sets how long a record write may keep retrying: through
// a database restart or failover, for up to a day, then the lifecycle alerts
// the administrators and tries again (lifecycle.go keepTrying).
func withRecordOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// summarised puts a summary on the activities started from ctx, for the
// Temporal UI and `temporal workflow show` (see metadata.go).
func summarised(ctx workflow.Context, summary string) workflow.Context {
	o := workflow.GetActivityOptions(ctx)
	o.Summary = oneLine(summary)
	return workflow.WithActivityOptions(ctx, o)
}

// recording is ctx with the summary of ev's write on its activity.
func recording(ctx workflow.Context, ev decision.Event) workflow.Context {
	return summarised(ctx, eventSummary(ev))
}

// withAlertOptions is for the alert about a write that failed: it goes to
// the same database, so it retries as patiently, without the day's limit.
func withAlertOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}
