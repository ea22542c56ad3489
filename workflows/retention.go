package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
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
	// UpdateCorrectLeave corrects the leaving day, or withdraws the leave,
	// within the grace (LeaveCorrection).
	UpdateCorrectLeave = "CorrectLeave"
	// SignalRehired: the leaver was rehired (RehireSignal); the purge is
	// cancelled.
	SignalRehired = "Rehired"
)

// Retention statuses.
const (
	RetentionWaiting = "waiting" // the period is running
	RetentionHeld    = "held"    // due, but a legal hold stops the purge
	RetentionPurged  = "purged"  // the personal records are gone
	RetentionKept    = "kept"    // the pack sets no period: nothing is ever purged
	// RetentionWithdrawn: the leave was withdrawn within the grace; nothing is purged.
	RetentionWithdrawn = "withdrawn"
	// RetentionRehired: the leaver came back before the purge; their earlier
	// records are kept with the new period's and follow its retention.
	RetentionRehired = "rehired"
)

// RehireSignal says a leaver came back: in which period, from when, and who
// recorded it.
type RehireSignal struct {
	Period int    `json:"period"`
	Start  string `json:"start"` // YYYY-MM-DD
	Actor  string `json:"actor"`
}

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
	PurgeOn policy.Date      `json:"purge_on,omitzero"`
	Period  string           `json:"period,omitempty"`
	Rule    string           `json:"rule,omitempty"`
	Holds   []int64          `json:"holds,omitempty"` // the holds that stopped the purge when last looked
	Purged  *decision.Purged `json:"purged,omitempty"`
	// RecordedOn is the day the leave (or its last correction) was
	// recorded; GraceUntil the last day it may be corrected or withdrawn.
	// The purge is never before the day after GraceUntil, whatever the
	// leaving day. Zero for lifecycles started before the grace existed.
	RecordedOn policy.Date `json:"recorded_on,omitzero"`
	GraceUntil policy.Date `json:"grace_until,omitzero"`
	GraceRule  string      `json:"grace_rule,omitempty"`
	// Requests are the corrections taken, by request id.
	Requests map[string]string `json:"requests,omitempty"`
}

// LeaveCorrection corrects the leaving day (On) or withdraws the leave
// (Withdraw), within the grace.
type LeaveCorrection struct {
	RequestID string      `json:"request_id"`
	On        policy.Date `json:"on,omitzero"`
	Withdraw  bool        `json:"withdraw,omitempty"`
	Actor     string      `json:"actor"`
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
			// Packs before the grace have none; their lifecycles purge as before.
			if r.Grace != nil && workflow.GetVersion(ctx, "retention-grace-v1", workflow.DefaultVersion, 1) == 1 {
				w.st.GraceRule = r.Grace.Rule
				w.schedule(ctx, in.LeftOn)
			}
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
	rehired := workflow.GetSignalChannel(ctx, SignalRehired)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var sig RehireSignal
		if rehired.Receive(ctx, &sig) {
			w.rehire = &sig
		}
	})
	if w.st.GraceRule != "" {
		if err := setUpdates(ctx, updateHandler{UpdateCorrectLeave, w.correct, w.validateCorrection}); err != nil {
			return w.st, err
		}
	}

	if in.State == nil {
		if w.st.Status == RetentionKept {
			w.life.record(ctx, "no_period", decision.Event{
				Actor: "system", Action: "retention.no_period",
				Reason: fmt.Sprintf("the %s pack (%s) sets no retention period for supervision records: they are kept, never purged by securebase", in.Authority, in.PackVersion),
				Detail: map[string]any{"left_on": in.LeftOn.String()},
			})
			return w.end(ctx)
		}
		ev := decision.Event{
			Actor: in.Actor, Action: "retention.scheduled", RuleID: w.st.Rule,
			Reason: fmt.Sprintf("personal supervision records are kept %s after leaving on %s: purge on %s", w.st.Period, in.LeftOn, w.st.PurgeOn),
			Detail: map[string]any{"left_on": in.LeftOn.String(), "purge_on": w.st.PurgeOn.String(), "period": w.st.Period},
		}
		if w.st.GraceRule != "" {
			w.told(&ev, "scheduled")
		}
		w.life.record(ctx, "scheduled", ev)
	}
	if w.st.Status == RetentionKept || w.st.Status == RetentionPurged || w.st.Status == RetentionWithdrawn || w.st.Status == RetentionRehired {
		return w.end(ctx)
	}
	return w.run(ctx)
}

// settles is whether this run ends (or continues as new) only once every
// handler has finished and every write has landed (lifecycle.settle): a
// correction's audit event still retrying is not lost when the purge ends
// the lifecycle. Runs from before retention-settle-v1 end as they did.
func (w *retentionFlow) settles(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, "retention-settle-v1", workflow.DefaultVersion, 1) >= 1
}

// end ends the lifecycle with its state, settled.
func (w *retentionFlow) end(ctx workflow.Context) (RetentionState, error) {
	if w.settles(ctx) {
		if err := w.life.settle(ctx); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}

// schedule sets the purge day for a leaving day recorded today: the pack's
// period after leaving, and never before the grace has run from today.
func (w *retentionFlow) schedule(ctx workflow.Context, leftOn policy.Date) {
	r := w.in.Rule
	w.st.LeftOn, w.st.RecordedOn = leftOn, today(ctx)
	w.st.GraceUntil = r.Grace.Period.AddTo(w.st.RecordedOn, nil)
	w.st.PurgeOn = r.AfterLeaving.AddTo(leftOn, nil)
	if first := w.st.GraceUntil.AddDays(1); w.st.PurgeOn.Before(first) {
		w.st.PurgeOn = first
	}
}

// told adds to a retention event the notice HR and the auditors get at
// once: what will be purged, when, and until when the leave can be put
// right. It names the person by id only: no personal text.
func (w *retentionFlow) told(ev *decision.Event, what string) {
	ev.Detail["recorded_on"] = w.st.RecordedOn.String()
	ev.Detail["grace_until"] = w.st.GraceUntil.String()
	ev.Detail["grace_rule"] = w.st.GraceRule
	subject := fmt.Sprintf("Retention of %s %s: personal supervision records purged on %s", w.in.StaffID, what, w.st.PurgeOn)
	body := fmt.Sprintf("The leave of %s (leaving day %s) was recorded on %s. Under %s their personal supervision records "+
		"(sessions, records with every version, signature and dispute, due items and notifications about them) "+
		"will be purged on %s unless a legal hold is in force. The leave can be corrected or withdrawn until the end of %s (%s).",
		w.in.StaffID, w.st.LeftOn, w.st.RecordedOn, w.st.Rule, w.st.PurgeOn, w.st.GraceUntil, w.st.GraceRule)
	if what == "withdrawn" {
		subject = fmt.Sprintf("Retention of %s withdrawn: nothing will be purged", w.in.StaffID)
		body = fmt.Sprintf("The leave of %s was withdrawn on %s: the purge set for %s will not happen.", w.in.StaffID, w.st.RecordedOn, w.st.PurgeOn)
	}
	for _, role := range []string{"hr", "auditor"} {
		ev.Notifications = append(ev.Notifications, decision.NotificationRecord{
			RecipientRole: role, Kind: "retention", Subject: subject, Body: body,
		})
	}
}

// validateCorrection refuses a correction after the grace, of a retention
// no longer waiting, or that neither corrects nor withdraws.
func (w *retentionFlow) validateCorrection(ctx workflow.Context, in LeaveCorrection) error {
	if err := checkRequest(ctx, w.st.Requests, in.RequestID, "", policy.Date{}, policy.Date{}); err != nil {
		return err
	}
	if w.st.Status != RetentionWaiting {
		return conflict("retention", fmt.Sprintf("the retention of %s is %s: only a waiting one can be corrected", w.in.StaffID, w.st.Status))
	}
	if today(ctx).After(w.st.GraceUntil) {
		return conflictRule("retention", fmt.Sprintf("the grace to correct or withdraw this leave ended on %s", w.st.GraceUntil), w.st.GraceRule)
	}
	switch {
	case in.Withdraw && !in.On.IsZero():
		return invalid("on", "give a corrected leaving day or withdraw, not both")
	case !in.Withdraw && in.On.IsZero():
		return invalid("on", "is required (or withdraw the leave)")
	case !in.Withdraw && in.On == w.st.LeftOn:
		return conflict("on", fmt.Sprintf("%s is already the leaving day", in.On))
	}
	return nil
}

// correct takes a validated correction: a new leaving day starts the grace
// again from today; a withdrawal ends the lifecycle with nothing purged.
func (w *retentionFlow) correct(ctx workflow.Context, in LeaveCorrection) (RetentionState, error) {
	if w.st.Requests == nil {
		w.st.Requests = map[string]string{}
	}
	w.st.Requests[in.RequestID] = today(ctx).String()
	w.corrections++
	ev := decision.Event{Actor: in.Actor, RuleID: w.st.GraceRule, Detail: map[string]any{"request_id": in.RequestID, "was_left_on": w.st.LeftOn.String()}}
	if in.Withdraw {
		w.st.Status, w.st.RecordedOn = RetentionWithdrawn, today(ctx)
		ev.Action, ev.Reason = "retention.withdrawn", "the leave was withdrawn within the grace: nothing is purged"
		w.told(&ev, "withdrawn")
	} else {
		w.schedule(ctx, in.On)
		ev.Action = "retention.corrected"
		ev.Reason = fmt.Sprintf("the leaving day is corrected to %s within the grace: purge on %s", in.On, w.st.PurgeOn)
		ev.Detail["left_on"], ev.Detail["purge_on"] = in.On.String(), w.st.PurgeOn.String()
		w.told(&ev, "corrected")
	}
	w.life.record(ctx, "correction:"+in.RequestID, ev)
	return w.st, nil
}

type retentionFlow struct {
	in    RetentionInput
	st    RetentionState
	life  *lifecycle
	lifts int // hold-lifted signals received
	// corrections taken: the wait for the purge day starts again.
	corrections int
	rehire      *RehireSignal // the leaver came back: no purge
}

func (w *retentionFlow) recheck() time.Duration {
	if w.in.HoldRecheck > 0 {
		return w.in.HoldRecheck
	}
	return DefaultHoldRecheck
}

func (w *retentionFlow) run(ctx workflow.Context) (RetentionState, error) {
	for {
		// The purge day starts at midnight in London, the end of the day before.
		due := w.st.PurgeOn.AddDays(-1).EndInstant()
		if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
			seen := w.corrections
			if _, err := awaitSummarised(ctx, wait, "wait for the purge day "+w.st.PurgeOn.String()+" of "+w.in.StaffID+"'s personal supervision records ("+w.st.Rule+")", func() bool { return w.corrections != seen || w.rehire != nil || continueAsNewSuggested(ctx) }); err != nil {
				return w.st, err
			}
			if w.rehire != nil {
				return w.cancel(ctx)
			}
			if w.st.Status == RetentionWithdrawn {
				if w.settles(ctx) {
					return w.end(ctx)
				}
				return w.st, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
			}
			if continueAsNewSuggested(ctx) {
				return w.continueAsNew(ctx)
			}
			continue
		}
		var holds decision.HoldsResult
		err := workflow.ExecuteActivity(summarised(ctx, "retention: are any legal holds active for "+w.in.StaffID+"?"), decision.ActiveHoldsName, decision.HoldsInput{StaffID: w.in.StaffID}).Get(ctx, &holds)
		if err == nil && len(holds.Active) == 0 {
			err = w.purge(ctx)
			if err == nil {
				return w.end(ctx)
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != decision.HeldError {
				workflow.GetLogger(ctx).Error("purge failed; trying again at the next re-check", "error", err)
			}
		} else if err != nil {
			workflow.GetLogger(ctx).Error("reading legal holds failed; trying again at the next re-check", "error", err)
		} else {
			w.held(ctx, holds.Active)
		}
		// Wait for a lift (or the re-check, which also covers a lost signal).
		seen := w.lifts
		if _, err := awaitSummarised(ctx, w.recheck(), "legal hold on "+w.in.StaffID+"'s records: wait for its lifting or the re-check", func() bool { return w.lifts != seen || w.rehire != nil || continueAsNewSuggested(ctx) }); err != nil {
			return w.st, err
		}
		if w.rehire != nil {
			return w.cancel(ctx)
		}
		if continueAsNewSuggested(ctx) {
			return w.continueAsNew(ctx)
		}
	}
}

// cancel ends a retention whose leaver came back before the purge: the
// purge is by staff id and would take the new period's records too, and a
// council keeps a returning worker's file while they work there again. The
// earlier records follow the retention of the period that ends last.
func (w *retentionFlow) cancel(ctx workflow.Context) (RetentionState, error) {
	_ = workflow.GetVersion(ctx, "rehire-retention-cancel-v1", workflow.DefaultVersion, 1) // marks the change in new histories
	r := w.rehire
	w.st.Status, w.st.Holds = RetentionRehired, nil
	why := fmt.Sprintf("%s was rehired from %s (period %d): the purge set for %s will not happen; the earlier records are kept and follow the retention of the later period",
		w.in.StaffID, r.Start, r.Period, w.st.PurgeOn)
	ev := decision.Event{
		Actor: r.Actor, Action: "retention.cancelled", RuleID: w.st.Rule, Reason: why,
		Detail: map[string]any{"period": r.Period, "start_date": r.Start, "purge_on": w.st.PurgeOn.String(), "left_on": w.st.LeftOn.String()},
	}
	// HR and the auditors were told of the purge; they are told it is off.
	for _, role := range []string{"hr", "auditor"} {
		ev.Notifications = append(ev.Notifications, decision.NotificationRecord{
			RecipientRole: role, Kind: "retention", Subject: fmt.Sprintf("Retention of %s cancelled: rehired", w.in.StaffID), Body: why + ".",
		})
	}
	w.life.record(ctx, fmt.Sprintf("cancelled:period-%d", r.Period), ev)
	return w.end(ctx)
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
	w.life.record(ctx, "held:"+strings.Join(key, ","), decision.Event{
		Actor: "system", Action: "retention.held", RuleID: w.st.Rule,
		Reason: fmt.Sprintf("the purge due on %s is stopped by legal hold(s) %s until lifted", w.st.PurgeOn, strings.Join(key, ", ")),
		Detail: map[string]any{"holds": ids, "purge_on": w.st.PurgeOn.String()},
	})
}

// purge deletes the personal records and writes the audit event that says
// what went, under which rule, in one activity.
func (w *retentionFlow) purge(ctx workflow.Context) error {
	info := workflow.GetInfo(ctx)
	ev := decision.Event{
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, EventID: "purged",
		At: workflow.Now(ctx), Actor: "system", Action: "retention.purged",
		StaffID: w.in.StaffID, Authority: w.in.Authority, PackVersion: w.in.PackVersion, RuleID: w.st.Rule,
		Reason: fmt.Sprintf("%s after leaving on %s: personal supervision records purged; case supervision stays on the child's file under the child record's retention", w.st.Period, w.in.LeftOn),
		Detail: map[string]any{"left_on": w.in.LeftOn.String(), "purge_on": w.st.PurgeOn.String(), "period": w.st.Period},
	}
	var res decision.PurgeResult
	if err := workflow.ExecuteActivity(recording(ctx, ev), decision.PurgePersonalRecordsName, decision.PurgeInput{Event: ev}).Get(ctx, &res); err != nil {
		return err
	}
	w.st.Status, w.st.Holds, w.st.Purged = RetentionPurged, nil, &res.Purged
	return nil
}

// continueAsNew carries the state (and its absolute purge date) to a new run.
func (w *retentionFlow) continueAsNew(ctx workflow.Context) (RetentionState, error) {
	if w.settles(ctx) {
		if err := w.life.settle(ctx); err != nil {
			return w.st, err
		}
	} else if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return w.st, err
	}
	next := w.in
	st := w.st
	next.State = &st
	return w.st, workflow.NewContinueAsNewError(ctx, RetentionWorkflow, next)
}
