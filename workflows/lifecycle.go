package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// lifecycle is what every person's lifecycle shares: who it is about, the
// pack and calendar it runs under, how an unmet duty escalates, and the one
// ordered path by which its decisions are written.
type lifecycle struct {
	action     string // prefix of the audit actions: "asye", "agreement", "supervision", "signoff"
	label      string // how notices name the lifecycle: "ASYE", "personal supervision"
	staffID    string
	name       string
	authority  string
	team       string
	pack       policy.PackRef
	cal        *policy.Calendar
	escalation policy.Escalation
	// changed is bumped by every handler so the main loop recomputes its timer.
	changed int
	// issued and served keep record writes in the order the decisions were
	// made (a ticket each, first come first served; workflow.Mutex does not
	// promise order), so a slow write can never overwrite a later one.
	issued, served int
	// leaveCh and leaveFn handle the leave signal (see onLeave).
	leaveCh workflow.ReceiveChannel
	leaveFn func(workflow.Context, LeaveSignal)
	// caseID, set by a case lifecycle, goes on every event and due item it writes.
	caseID string
	// holder, when set, says who supervises and the status now; run() keeps
	// the search attributes true to it and to staffID and team (shown).
	holder func() (supervisorID, status string)
	shown  [4]string
	// move, when set, is the pack version this run moves to on its first
	// day (packmove.go).
	move *packMove
	// askPacks is how this lifecycle moves, once it has asked for the next
	// version (askedOn: the day it last asked).
	askPacks func(workflow.Context, *policy.Pack) ([]decision.DueItemRecord, []decision.DueItemRecord)
	askedOn  policy.Date
}

func newLifecycle(ctx workflow.Context, action, label, staffID, name, authority, team string, pack policy.PackRef, closures []policy.Date, esc policy.Escalation) *lifecycle {
	return &lifecycle{
		action: action, label: label, staffID: staffID, name: name, authority: authority, team: team,
		pack: pack, cal: policy.NewCalendar(closures), escalation: esc,
	}
}

func (l *lifecycle) touch() { l.changed++ }

// run is the main loop: sleep until the next deadline or until a handler
// changes something, fire what is due, and stop when finished or when
// Temporal suggests continuing as new (then it returns true, with every
// handler finished, and the caller continues as new with its state).
func (l *lifecycle) run(ctx workflow.Context, finished func() bool, next func() (time.Time, bool), fire func(workflow.Context)) (bool, error) {
	for !finished() {
		l.showAttrs(ctx)
		seen := l.changed
		wake := func() bool { return l.changed != seen }
		at, ok := next()
		deadline := ""
		if m, moving := l.moveAt(); moving && (!ok || m.Before(at)) {
			at, ok, deadline = m, true, l.moveSummary()
		}
		if ok {
			if deadline == "" {
				deadline = l.deadlineSummary(at)
			}
			workflow.SetCurrentDetails(ctx, deadline)
			if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
				if _, err := awaitSummarised(ctx, wait, deadline, wake); err != nil {
					return false, err
				}
			}
		} else {
			workflow.SetCurrentDetails(ctx, fmt.Sprintf("No deadline pending for the %s of %s (%s)", l.label, first(l.name, l.staffID), l.staffID))
			if err := workflow.Await(ctx, func() bool { return wake() || continueAsNewSuggested(ctx) }); err != nil {
				return false, err
			}
		}
		fire(ctx)
		if !finished() {
			l.askAgain(ctx)
		}
		if l.moveDue(ctx) && !finished() {
			// Handlers finish under the old version before the rules change.
			l.drain(ctx)
			if finished() {
				break
			}
			if err := l.settle(ctx); err != nil {
				return false, err
			}
			if finished() { // a leave handled meanwhile
				break
			}
			l.moveNow(ctx)
			if err := l.settle(ctx); err != nil {
				return false, err
			}
			return !finished(), nil
		}
		if continueAsNewSuggested(ctx) && !finished() {
			l.drain(ctx)
			if finished() {
				break
			}
			return true, l.settle(ctx)
		}
	}
	return false, l.settle(ctx)
}

// settle waits until every handler has finished and, from
// lifecycle-await-writes-v1, every decision's write has landed: a leave's
// closing event still retrying in its signal handler is not lost when the
// lifecycle ends or continues as new.
func (l *lifecycle) settle(ctx workflow.Context) error {
	l.showAttrs(ctx)
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	if !awaitsWrites(ctx) {
		return nil
	}
	return workflow.Await(ctx, func() bool { return l.served == l.issued })
}

// awaitsWrites is whether this run keeps every write until it lands (runs
// whose history predates the change end as they did).
func awaitsWrites(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, "lifecycle-await-writes-v1", workflow.DefaultVersion, 1) >= 1
}

// showAttrs upserts the search attributes that changed since they were
// last set (a transfer, a change of supervisor, a leave), so a visibility
// query by worker, team, supervisor or status finds the lifecycle where it
// now is. Runs from before lifecycle-search-attributes-v1 keep their start's.
func (l *lifecycle) showAttrs(ctx workflow.Context) {
	if l.holder == nil {
		return
	}
	supervisorID, status := l.holder()
	now := [4]string{l.staffID, l.team, supervisorID, status}
	if now == l.shown || workflow.GetVersion(ctx, "lifecycle-search-attributes-v1", workflow.DefaultVersion, 1) < 1 {
		return
	}
	var set []temporal.SearchAttributeUpdate
	for i, key := range []temporal.SearchAttributeKeyKeyword{AttrStaffID, AttrTeam, AttrSupervisor, AttrStatus} {
		if now[i] != l.shown[i] && now[i] != "" {
			set = append(set, key.ValueSet(now[i]))
		}
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, set...); err != nil {
		workflow.GetLogger(ctx).Error("search attributes not updated", "error", err)
		return
	}
	l.shown = now
}

// shownAtStart takes the search attributes the starter set in full as
// shown (h1-attrs-at-start-v1): the first showAttrs then upserts nothing.
func (l *lifecycle) shownAtStart(ctx workflow.Context, setAtStart bool) {
	if l.holder != nil && importing(ctx, "h1-attrs-at-start-v1", setAtStart) {
		supervisorID, status := l.holder()
		l.shown = [4]string{l.staffID, l.team, supervisorID, status}
	}
}

func continueAsNewSuggested(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// DueState is one occurrence of a duty and how far its deadline has run.
type DueState struct {
	Seq       int         `json:"seq"`
	Due       policy.Date `json:"due"`
	Rule      string      `json:"rule"`
	Overdue   bool        `json:"overdue"`
	Escalated bool        `json:"escalated"`
}

// escalates reports that an overdue duty goes to a manager now: its
// escalation day has ended and the escalation is the seed's or the council's.
func (l *lifecycle) escalates(d *DueState, now time.Time) bool {
	return d.Overdue && !d.Escalated && l.escalation.Escalates() && !now.Before(l.escalationDay(d.Due).EndInstant())
}

// escalationDay is the day after which an unmet duty goes to the manager.
func (l *lifecycle) escalationDay(due policy.Date) policy.Date {
	return l.escalation.After.AddTo(due, l.cal)
}

// deadline is when d next needs attention: the end of its due day, then the
// end of its escalation day; none once escalated, nor when the escalation is
// a default no council set (shown only).
func (l *lifecycle) deadline(d DueState) (time.Time, bool) {
	switch {
	case !d.Overdue:
		return d.Due.EndInstant(), true
	case !d.Escalated && l.escalation.Escalates():
		return l.escalationDay(d.Due).EndInstant(), true
	}
	return time.Time{}, false
}

// earliest is the first deadline among duties.
func (l *lifecycle) earliest(duties ...DueState) (time.Time, bool) {
	var next time.Time
	for _, d := range duties {
		if at, ok := l.deadline(d); ok && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// fire records an overdue duty (the supervisor is told) and, after the
// pack's delay, its escalation (the supervisor's manager is told).
func (l *lifecycle) fire(ctx workflow.Context, d *DueState, key, kind, what, supervisorID, managerID string) {
	now := workflow.Now(ctx)
	if !d.Overdue && !now.Before(d.Due.EndInstant()) {
		d.Overdue = true
		l.record(ctx, "overdue:"+key, decision.Event{
			Actor:  "system",
			Action: l.action + ".overdue",
			RuleID: d.Rule,
			Reason: fmt.Sprintf("%s due %s was not done", what, d.Due),
			Due:    []decision.DueItemRecord{l.dueItem(key, kind, d.Due, "overdue", policy.Date{}, d.Rule)},
			Notifications: []decision.NotificationRecord{{
				Recipient:     supervisorID,
				RecipientRole: "supervisor",
				Kind:          "overdue",
				Subject:       fmt.Sprintf("Overdue: %s for %s", what, l.name),
				Body:          fmt.Sprintf("The %s %s for %s (%s) was due on %s and has not been recorded.", l.label, what, l.name, l.staffID, d.Due),
				DueKey:        key,
			}},
		})
	}
	if l.escalates(d, now) {
		d.Escalated = true
		role := "supervisors_manager"
		if managerID == "" {
			role = "senior_manager" // no manager of record: the service's senior manager picks it up
		}
		l.record(ctx, "escalation:"+key, decision.Event{
			Actor:  "system",
			Action: l.action + ".escalated",
			RuleID: l.escalation.Rule,
			Reason: fmt.Sprintf("%s due %s still not done %s later", what, d.Due, l.escalation.After),
			Notifications: []decision.NotificationRecord{{
				Recipient:     managerID,
				RecipientRole: role,
				Kind:          "escalation",
				Subject:       fmt.Sprintf("Escalation: %s for %s", what, l.name),
				Body:          fmt.Sprintf("The %s %s for %s (%s), supervised by %s, was due on %s and is still not recorded.", l.label, what, l.name, l.staffID, supervisorID, d.Due),
				DueKey:        key,
			}},
		})
	}
}

// resetIfFuture clears the overdue marks of a duty whose new date has not passed.
func resetIfFuture(d *DueState, now time.Time) {
	if now.Before(d.Due.EndInstant()) {
		d.Overdue, d.Escalated = false, false
	}
}

func (l *lifecycle) dueItem(key, kind string, due policy.Date, status string, met policy.Date, rule string) decision.DueItemRecord {
	r := decision.DueItemRecord{
		Key: key, Kind: kind, StaffID: l.staffID, Team: l.team, Authority: l.authority,
		CaseID: l.caseID,
		DueOn:  due.String(), Status: status, RuleID: rule,
	}
	if !met.IsZero() {
		r.MetOn = met.String()
	}
	return r
}

// closing is the items as closed: what a lifecycle leaves when it ends.
func closing(items []decision.DueItemRecord) []decision.DueItemRecord {
	var closed []decision.DueItemRecord
	for _, it := range items {
		it.Status = "closed"
		closed = append(closed, it)
	}
	return closed
}

func dueStatus(overdue bool) string {
	if overdue {
		return "overdue"
	}
	return "due"
}

// record writes one decision through the RecordEvent activity, in decision
// order. A write that fails a day of retries raises an alert for the
// administrators and is tried again until it lands (see keepTrying); the
// lifecycle does not end while one is outstanding (see settle).
func (l *lifecycle) record(ctx workflow.Context, eventID string, ev decision.Event) {
	l.stamp(ctx, eventID, &ev)
	ticket := l.issued
	l.issued++
	defer func() { l.served++ }()
	if err := workflow.Await(ctx, func() bool { return l.served == ticket }); err != nil {
		return
	}
	var res decision.RecordResult
	// Update handlers get their own context, so the options are set here.
	if err := workflow.ExecuteActivity(recording(withRecordOptions(ctx), ev), decision.RecordEventName, ev).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Error("recording failed", "event", eventID, "error", err)
		if awaitsWrites(ctx) {
			l.keepTrying(ctx, ev, err)
		}
	}
}

// stamp fills in what every event of this lifecycle carries.
func (l *lifecycle) stamp(ctx workflow.Context, eventID string, ev *decision.Event) {
	info := workflow.GetInfo(ctx)
	ev.WorkflowID = info.WorkflowExecution.ID
	ev.RunID = info.WorkflowExecution.RunID
	ev.EventID = eventID
	ev.At = workflow.Now(ctx)
	ev.StaffID = l.staffID
	if l.caseID != "" {
		ev.CaseID = l.caseID
	}
	ev.Authority = l.authority
	ev.PackVersion = l.pack.Version
}

// writeRetryPause is how long a write that failed a day of retries waits
// before its next day: the database is down for longer than a failover.
const writeRetryPause = time.Hour

// keepTrying handles a write that failed all its retries: it is counted
// (securebase_record_write_failed) and logged at error level, the
// administrators get an alert (a due item and a notice, carrying the event,
// so it is visible even if the write never lands), and the write is tried
// again until it lands; once it does, the alert's due item is met. A write
// the database refuses for good (a non-retryable error) is left to the
// administrators with the alert.
func (l *lifecycle) keepTrying(ctx workflow.Context, ev decision.Event, err error) {
	alerted := false
	for err != nil {
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"lifecycle": l.action}).Counter("securebase_record_write_failed").Inc(1)
		workflow.GetLogger(ctx).Error("write outstanding: alerting the administrators", "event", ev.EventID, "action", ev.Action, "error", err)
		if !alerted {
			// The alert lands before the write is tried again, so an
			// administrator hears of it even if the write never does.
			aerr := l.alert(ctx, ev, err, "overdue")
			alerted = aerr == nil || permanent(aerr)
		}
		if permanent(err) && alerted {
			return
		}
		if err := sleepSummarised(ctx, writeRetryPause, "wait an hour, then retry the outstanding write: "+eventSummary(ev)); err != nil {
			return
		}
		if alerted {
			err = workflow.ExecuteActivity(recording(withRecordOptions(ctx), ev), decision.RecordEventName, ev).Get(ctx, nil)
		}
	}
	if alerted {
		_ = l.alert(ctx, ev, nil, "met")
	}
}

// permanent is a failure that retrying cannot mend.
func permanent(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// alert writes (status "overdue") or clears (status "met") the
// administrators' due item for a write that failed.
func (l *lifecycle) alert(ctx workflow.Context, failed decision.Event, cause error, status string) error {
	item := decision.DueItemRecord{
		Key: "write:" + failed.EventID, Kind: "write_failed", StaffID: l.staffID, CaseID: l.caseID, Team: l.team, Authority: l.authority,
		DueOn: today(ctx).String(), Status: status,
	}
	ev := decision.Event{Actor: "system", Action: l.action + ".write_failed", Due: []decision.DueItemRecord{item},
		Detail: map[string]any{"event_id": failed.EventID, "action": failed.Action}}
	id := "write-failed:" + failed.EventID
	if cause != nil {
		ev.Reason = fmt.Sprintf("the %s write %s for %s has failed a day of retries: %v", failed.Action, failed.EventID, l.staffID, cause)
		ev.Detail["event"] = failed // what to write by hand if it never lands
		ev.Notifications = []decision.NotificationRecord{{
			RecipientRole: "admin", Kind: "write_failed", DueKey: item.Key,
			Subject: fmt.Sprintf("A %s decision for %s is not yet written", l.label, l.name),
			Body:    ev.Reason + ". It is retried hourly; the lifecycle stays open until it lands.",
		}}
	} else {
		id = "write-landed:" + failed.EventID
		ev.Action = l.action + ".write_landed"
		ev.Reason = fmt.Sprintf("the %s write %s for %s landed after an alert", failed.Action, failed.EventID, l.staffID)
		item.MetOn = item.DueOn
		ev.Due = []decision.DueItemRecord{item}
	}
	l.stamp(ctx, id, &ev)
	return workflow.ExecuteActivity(recording(withAlertOptions(ctx), ev), decision.RecordEventName, ev).Get(ctx, nil)
}

// updateHandler is one update a lifecycle answers, with its validator.
type updateHandler struct {
	name              string
	handler, validate any
}

// setUpdates registers a lifecycle's updates, each with its validator. A
// lifecycle sets them before its first write: an update may arrive first.
func setUpdates(ctx workflow.Context, updates ...updateHandler) error {
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validate}); err != nil {
			return err
		}
	}
	return nil
}

// today is the London date the workflow believes it is.
func today(ctx workflow.Context) policy.Date { return policy.DateOf(workflow.Now(ctx)) }

// checkRequest rejects a missing or reused request id and, when dateField is
// set, a date that is missing, before notBefore or in the future.
func checkRequest(ctx workflow.Context, requests map[string]string, requestID, dateField string, d, notBefore policy.Date) error {
	if requestID == "" {
		return invalid("request_id", "is required")
	}
	if _, seen := requests[requestID]; seen {
		return conflict("request_id", fmt.Sprintf("request %q has already been recorded", requestID))
	}
	if dateField == "" {
		return nil
	}
	if d.IsZero() {
		return invalid(dateField, "is required")
	}
	if d.Before(notBefore) {
		return invalid(dateField, fmt.Sprintf("%s is before %s", d, notBefore))
	}
	if d.After(today(ctx)) {
		return invalid(dateField, fmt.Sprintf("%s is in the future", d))
	}
	return nil
}

// checkSupervisorChange refuses a change of supervisor that names nobody,
// the person themselves, or the supervisor already of record; the
// lifecycle has checked the request and that it is still open.
func checkSupervisorChange(in SupervisorInput, staffID, current string) error {
	switch in.SupervisorID {
	case "":
		return invalid("supervisor_id", "is required")
	case staffID:
		return invalid("supervisor_id", "a member of staff cannot supervise themselves")
	case current:
		return conflict("supervisor_id", fmt.Sprintf("%s is already the supervisor", in.SupervisorID))
	}
	return nil
}
