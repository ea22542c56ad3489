package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
)

// The dispatcher: one long-running workflow drains the notifications outbox.
//
// Why a workflow and not a Temporal Schedule: there must be exactly one
// dispatcher (its fixed ID guarantees it, and an idempotent start at every
// worker start brings it back if it ever ended); it runs on its own task
// queue with the only worker that has the SMTP and webhook settings; it
// polls as often as configured (a Schedule's spec is in whole seconds and
// each run is a new execution to list and retain); and the whole loop is
// testable and replayable like every other lifecycle.
const (
	DeliveryWorkflow = "Delivery"
	// DeliveryTaskQueue keeps slow mail servers and webhooks off the
	// lifecycles' queue.
	DeliveryTaskQueue  = "securebase-delivery"
	DeliveryWorkflowID = "Delivery:outbox"
)

// DeliveryInput is how the dispatcher runs; it is also its continue-as-new input.
type DeliveryInput struct {
	Interval    time.Duration `json:"interval"`     // between polls when the outbox is drained
	Batch       int           `json:"batch"`        // notifications delivered at once
	MaxAttempts int           `json:"max_attempts"` // per channel, across polls, before it waits for an operator
	Polls       int           `json:"polls"`        // polls in this run, before continuing as new
}

// Defaults for a dispatcher started without settings.
func (in DeliveryInput) withDefaults() DeliveryInput {
	if in.Interval <= 0 {
		in.Interval = time.Minute
	}
	if in.Batch <= 0 {
		in.Batch = 20
	}
	if in.MaxAttempts <= 0 {
		in.MaxAttempts = 50
	}
	if in.Polls <= 0 {
		in.Polls = 500
	}
	return in
}

// Delivery polls: raise the reminders that have come due, then deliver the
// oldest undelivered notifications, each in its own activity that Temporal
// retries with backoff; sleep when the outbox is drained; continue as new
// after in.Polls polls or when the history grows long.
func Delivery(ctx workflow.Context, in DeliveryInput) error {
	in = in.withDefaults()
	log := workflow.GetLogger(ctx)
	bookkeeping := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	send := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 30 * time.Minute, // then the next poll picks it up again
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: []string{decision.PermanentDeliveryError, decision.InvalidEventError},
		},
	})
	for poll := 0; poll < in.Polls; poll++ {
		var rem decision.RemindersResult
		if err := workflow.ExecuteActivity(summarised(bookkeeping, "raise reminders of duties due soon, as at "+today(ctx).String()), decision.RaiseRemindersName, decision.RemindersInput{Today: today(ctx).String()}).Get(ctx, &rem); err != nil {
			log.Error("raising reminders failed", "error", err)
		}
		var batch decision.ListUndeliveredResult
		if err := workflow.ExecuteActivity(summarised(bookkeeping, "list notifications not yet delivered"), decision.ListUndeliveredName, decision.ListUndeliveredInput{Limit: in.Batch, MaxAttempts: in.MaxAttempts}).Get(ctx, &batch); err != nil {
			log.Error("listing the outbox failed", "error", err)
		}
		futures := make([]workflow.Future, len(batch.IDs))
		for i, id := range batch.IDs {
			futures[i] = workflow.ExecuteActivity(summarised(send, "deliver notification "+strconv.FormatInt(id, 10)), decision.DeliverNotificationName, decision.DeliverInput{NotificationID: id})
		}
		failed := 0
		for i, f := range futures {
			// A failure is in the notification's delivery row (attempts,
			// last error); the next poll tries it again.
			if err := f.Get(ctx, nil); err != nil {
				log.Warn("delivery failed", "notification", batch.IDs[i], "error", err)
				failed++
			}
		}
		if continueAsNewSuggested(ctx) {
			break
		}
		// Drained, or failing: wait. A full batch delivered goes straight on.
		if len(batch.IDs) < in.Batch || failed > 0 {
			if err := sleepSummarised(ctx, in.Interval, "wait "+in.Interval.String()+" until the next poll of the outbox"); err != nil {
				return err
			}
		}
	}
	return workflow.NewContinueAsNewError(ctx, DeliveryWorkflow, in)
}
