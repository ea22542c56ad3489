package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The retention lifecycle: one per leaver, "Retention:<staff id>".
const (
	RetentionWorkflow = "Retention"
	KindRetention     = "Retention"
	// SignalHoldLifted: the API lifted a legal hold on the person; a purge
	// that is due looks at the holds again now rather than at its next re-check.
	SignalHoldLifted = "HoldLifted"
	// QueryRetention returns the RetentionState.
	QueryRetention = "retention"
)

// Retention statuses.
const (
	RetentionWaiting = "waiting" // the period is running
	RetentionHeld    = "held"    // due, but a legal hold stops the purge
	RetentionPurged  = "purged"  // the personal records are gone
	RetentionKept    = "kept"    // the pack sets no period: nothing is ever purged
)

// DefaultHoldRecheck is how often a held purge looks at the holds again
// without a signal: a securebase default, not a policy's number.
const DefaultHoldRecheck = 24 * time.Hour

// RetentionInput starts a leaver's retention; State carries it over
// continue-as-new.
type RetentionInput struct {
	StaffID     string            `json:"staff_id"`
	Authority   string            `json:"authority"`
	Team        string            `json:"team"`
	PackVersion string            `json:"pack_version"`
	LeftOn      policy.Date       `json:"left_on"`
	Rule        *policy.Retention `json:"rule"` // the pack's retention; nil when the pack sets no period
	Actor       string            `json:"actor"`
	// HoldRecheck: 0 is DefaultHoldRecheck.
	HoldRecheck time.Duration   `json:"hold_recheck,omitempty"`
	State       *RetentionState `json:"state,omitempty"`
}

// RetentionState is where a leaver's retention stands.
type RetentionState struct {
	StaffID string      `json:"staff_id"`
	Status  string      `json:"status"`
	LeftOn  policy.Date `json:"left_on"`
	// PurgeOn is the first day the records may be purged: the leaving day
	// plus the pack's period. Zero when the pack sets none.
	PurgeOn policy.Date    `json:"purge_on,omitzero"`
	Period  string         `json:"period,omitempty"`
	Rule    string         `json:"rule,omitempty"`
	Holds   []int64        `json:"holds,omitempty"` // the holds that stopped the purge when last looked
	Purged  *models.Purged `json:"purged,omitempty"`
}

// Retention waits the pack's period from the leaving day (an absolute
// date, so continuing as new never moves it), then purges the person's
// personal supervision records, unless a legal hold is in force: then it
// waits until the last is lifted. Case supervision is never purged here.
func Retention(ctx workflow.Context, in RetentionInput) (RetentionState, error) {
	ctx = withRecordOptions(ctx)
	w := &retentionFlow{in: in}
	if in.State != nil {
		w.st = *in.State
	} else {
		w.st = RetentionState{StaffID: in.StaffID, Status: RetentionWaiting, LeftOn: in.LeftOn}
		if r := in.Rule; r != nil {
			w.st.PurgeOn, w.st.Period, w.st.Rule = r.AfterLeaving.AddTo(in.LeftOn, nil), r.AfterLeaving.String(), r.Rule
		} else {
			w.st.Status = RetentionKept
		}
	}
	w.life = newLifecycle(ctx, "retention", "retention", in.StaffID, in.StaffID, in.Authority, in.Team,
		policy.PackRef{Authority: in.Authority, Version: in.PackVersion}, nil, policy.Escalation{})
	if err := workflow.SetQueryHandler(ctx, QueryRetention, func() (RetentionState, error) { return w.st, nil }); err != nil {
		return w.st, err
	}
	lifted := workflow.GetSignalChannel(ctx, SignalHoldLifted)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for lifted.Receive(ctx, nil) {
			w.lifts++
		}
	})

	if in.State == nil {
		if w.st.Status == RetentionKept {
			w.life.record(ctx, "no_period", activities.Event{
				Actor: "system", Action: "retention.no_period",
				Reason: fmt.Sprintf("the %s pack (%s) sets no retention period for supervision records: they are kept, never purged by securebase", in.Authority, in.PackVersion),
				Detail: map[string]any{"left_on": in.LeftOn.String()},
			})
			return w.st, nil
		}
		w.life.record(ctx, "scheduled", activities.Event{
			Actor: in.Actor, Action: "retention.scheduled", RuleID: w.st.Rule,
			Reason: fmt.Sprintf("personal supervision records are kept %s after leaving on %s: purge on %s", w.st.Period, in.LeftOn, w.st.PurgeOn),
			Detail: map[string]any{"left_on": in.LeftOn.String(), "purge_on": w.st.PurgeOn.String(), "period": w.st.Period},
		})
	}
	if w.st.Status == RetentionKept || w.st.Status == RetentionPurged {
		return w.st, nil
	}
	return w.run(ctx)
}

type retentionFlow struct {
	in    RetentionInput
	st    RetentionState
	life  *lifecycle
	lifts int // hold-lifted signals received
}

func (w *retentionFlow) recheck() time.Duration {
	if w.in.HoldRecheck > 0 {
		return w.in.HoldRecheck
	}
	return DefaultHoldRecheck
}

func (w *retentionFlow) run(ctx workflow.Context) (RetentionState, error) {
	// The purge day starts at midnight in London, the end of the day before.
	due := w.st.PurgeOn.AddDays(-1).EndInstant()
	for {
		if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return continueAsNewSuggested(ctx) }); err != nil {
				return w.st, err
			}
			if continueAsNewSuggested(ctx) {
				return w.continueAsNew(ctx)
			}
			continue
		}
		var holds activities.HoldsResult
		err := workflow.ExecuteActivity(ctx, activities.ActiveHoldsName, activities.HoldsInput{StaffID: w.in.StaffID}).Get(ctx, &holds)
		if err == nil && len(holds.Active) == 0 {
			err = w.purge(ctx)
			if err == nil {
				return w.st, nil
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != activities.HeldError {
				workflow.GetLogger(ctx).Error("purge failed; trying again at the next re-check", "error", err)
			}
		} else if err != nil {
			workflow.GetLogger(ctx).Error("reading legal holds failed; trying again at the next re-check", "error", err)
		} else {
			w.held(ctx, holds.Active)
		}
		// Wait for a lift (or the re-check, which also covers a lost signal).
		seen := w.lifts
		if _, err := workflow.AwaitWithTimeout(ctx, w.recheck(), func() bool { return w.lifts != seen || continueAsNewSuggested(ctx) }); err != nil {
			return w.st, err
		}
		if continueAsNewSuggested(ctx) {
			return w.continueAsNew(ctx)
		}
	}
}

// held records, once per set of holds, that the purge is due but stopped.
func (w *retentionFlow) held(ctx workflow.Context, ids []int64) {
	slices.Sort(ids)
	if w.st.Status == RetentionHeld && slices.Equal(w.st.Holds, ids) {
		return
	}
	w.st.Status, w.st.Holds = RetentionHeld, ids
	key := make([]string, len(ids))
	for i, id := range ids {
		key[i] = fmt.Sprint(id)
	}
	w.life.record(ctx, "held:"+strings.Join(key, ","), activities.Event{
		Actor: "system", Action: "retention.held", RuleID: w.st.Rule,
		Reason: fmt.Sprintf("the purge due on %s is stopped by legal hold(s) %s until lifted", w.st.PurgeOn, strings.Join(key, ", ")),
		Detail: map[string]any{"holds": ids, "purge_on": w.st.PurgeOn.String()},
	})
}

// purge deletes the personal records and writes the audit event that says
// what went, under which rule, in one activity.
func (w *retentionFlow) purge(ctx workflow.Context) error {
	info := workflow.GetInfo(ctx)
	ev := activities.Event{
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, EventID: "purged",
		At: workflow.Now(ctx), Actor: "system", Action: "retention.purged",
		StaffID: w.in.StaffID, Authority: w.in.Authority, PackVersion: w.in.PackVersion, RuleID: w.st.Rule,
		Reason: fmt.Sprintf("%s after leaving on %s: personal supervision records purged; case supervision stays on the child's file under the child record's retention", w.st.Period, w.in.LeftOn),
		Detail: map[string]any{"left_on": w.in.LeftOn.String(), "purge_on": w.st.PurgeOn.String(), "period": w.st.Period},
	}
	var res activities.PurgeResult
	if err := workflow.ExecuteActivity(ctx, activities.PurgePersonalRecordsName, activities.PurgeInput{Event: ev}).Get(ctx, &res); err != nil {
		return err
	}
	w.st.Status, w.st.Holds, w.st.Purged = RetentionPurged, nil, &res.Purged
	return nil
}

// continueAsNew carries the state (and its absolute purge date) to a new run.
func (w *retentionFlow) continueAsNew(ctx workflow.Context) (RetentionState, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	next := w.in
	st := w.st
	next.State = &st
	return w.st, workflow.NewContinueAsNewError(ctx, RetentionWorkflow, next)
}
