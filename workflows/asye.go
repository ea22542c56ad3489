package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// ASYEInput starts (or continues) a newly qualified social worker's ASYE. The
// rules travel in the input so the history pins the pack it started under.
type ASYEInput struct {
	StaffID      string         `json:"staff_id"`
	Name         string         `json:"name"`
	Authority    string         `json:"authority"`
	Team         string         `json:"team"`
	SupervisorID string         `json:"supervisor_id"`
	ManagerID    string         `json:"manager_id,omitempty"` // the supervisor's own supervisor: escalations go there
	Start        policy.Date    `json:"start"`
	Pack         policy.PackRef `json:"pack"`
	Rules        policy.ASYE    `json:"rules"`
	ClosureDays  []policy.Date  `json:"closure_days,omitempty"`
	Actor        string         `json:"actor"`
	// State is nil on the first run and carried across continue-as-new.
	State *ASYEState `json:"state,omitempty"`
}

// ASYE status values.
const (
	StatusActive = "active"
	StatusPaused = "paused"
	StatusPassed = "passed"
	StatusFailed = "failed"
)

// ASYEState is everything the lifecycle knows. Deadlines are absolute dates so
// a continue-as-new or a worker restart recomputes the same timers.
type ASYEState struct {
	Status        string        `json:"status"`
	SupervisorID  string        `json:"supervisor_id"`
	ManagerID     string        `json:"manager_id,omitempty"`
	ShiftDays     int           `json:"shift_days"`      // days paused so far: every due date moves by this
	ExtendedDays  int           `json:"extended_days"`   // extension of the programme end and final review
	Pause         *PauseState   `json:"pause,omitempty"` // open pause
	Pauses        int           `json:"pauses"`
	Sessions      int           `json:"sessions"`
	LastSessionOn policy.Date   `json:"last_session_on"`
	Session       DueState      `json:"session"` // the next session due
	Reviews       []ReviewState `json:"reviews"`
	Outcome       string        `json:"outcome,omitempty"`
	DecidedOn     policy.Date   `json:"decided_on"`
	// Requests maps a processed request id to what it asked, so a request id
	// is used once across updates and continue-as-new runs.
	Requests map[string]string `json:"requests"`
}

// PauseState is an open pause.
type PauseState struct {
	From   policy.Date `json:"from"`
	Reason string      `json:"reason"`
}

// DueState is one occurrence of a duty and how far its deadline has run.
type DueState struct {
	Seq       int         `json:"seq"`
	Due       policy.Date `json:"due"`
	Rule      string      `json:"rule"`
	Overdue   bool        `json:"overdue"`
	Escalated bool        `json:"escalated"`
}

// ReviewState is a milestone review.
type ReviewState struct {
	Name      string      `json:"name"`
	Due       policy.Date `json:"due"`
	Rule      string      `json:"rule"`
	HeldOn    policy.Date `json:"held_on"`
	Overdue   bool        `json:"overdue"`
	Escalated bool        `json:"escalated"`
}

// Update inputs. Actor is set by the API from the caller's identity, never
// from the request body.
type (
	SessionInput struct {
		RequestID       string      `json:"request_id"`
		HeldOn          policy.Date `json:"held_on"`
		DurationMinutes int         `json:"duration_minutes"`
		SupervisorID    string      `json:"supervisor_id"`
		Kind            string      `json:"kind"`
		Notes           string      `json:"notes,omitempty"`
		Actor           string      `json:"actor"`
	}
	ReviewInput struct {
		RequestID string      `json:"request_id"`
		Name      string      `json:"name"`
		HeldOn    policy.Date `json:"held_on"`
		Notes     string      `json:"notes,omitempty"`
		Actor     string      `json:"actor"`
	}
	PauseInput struct {
		RequestID string      `json:"request_id"`
		From      policy.Date `json:"from"`
		Reason    string      `json:"reason"`
		Actor     string      `json:"actor"`
	}
	ResumeInput struct {
		RequestID string      `json:"request_id"`
		On        policy.Date `json:"on"`
		Actor     string      `json:"actor"`
	}
	ExtendInput struct {
		RequestID string `json:"request_id"`
		Weeks     int    `json:"weeks"`
		Reason    string `json:"reason"`
		Actor     string `json:"actor"`
	}
	OutcomeInput struct {
		RequestID string      `json:"request_id"`
		Outcome   string      `json:"outcome"`
		DecidedOn policy.Date `json:"decided_on"`
		Reason    string      `json:"reason"`
		Actor     string      `json:"actor"`
	}
	SupervisorInput struct {
		RequestID    string      `json:"request_id"`
		SupervisorID string      `json:"supervisor_id"`
		ManagerID    string      `json:"manager_id,omitempty"`
		From         policy.Date `json:"from"`
		Actor        string      `json:"actor"`
	}
)

// SessionKinds are the sessions that count towards the ASYE cadence.
var SessionKinds = []string{"individual", "reflective", "group"}

// ASYEResult is how the programme ended.
type ASYEResult struct {
	Outcome   string      `json:"outcome"`
	DecidedOn policy.Date `json:"decided_on"`
}

// asye is one run of the lifecycle: its input, the calendar, and the context.
type asye struct {
	in  ASYEInput
	st  *ASYEState
	cal *policy.Calendar
	// changed is bumped by every handler so the main loop recomputes its timer.
	changed int
	// writes keeps record writes in the order the decisions were made, so a
	// slow write can never overwrite a later one (a met item back to due).
	writes workflow.Mutex
}

// ASYE keeps a newly qualified social worker's supervision schedule for the
// programme: sessions at the pack's cadence, milestone reviews, pauses,
// extension and the outcome; overdue duties notify then escalate.
func ASYE(ctx workflow.Context, in ASYEInput) (ASYEResult, error) {
	w := &asye{in: in, cal: policy.NewCalendar(in.ClosureDays), writes: workflow.NewMutex(ctx)}
	// Handlers first: an update or query may arrive before the first write.
	if in.State == nil {
		w.initState()
	} else {
		w.st = in.State
	}
	if err := w.registerHandlers(ctx); err != nil {
		return ASYEResult{}, err
	}
	if in.State == nil {
		w.record(ctx, "started", activities.Event{
			Actor:  in.Actor,
			Action: "asye.started",
			RuleID: w.st.Session.Rule,
			Detail: map[string]any{"programme": in.Rules.Programme, "start": in.Start.String(), "end": w.end().String()},
			Due:    w.allDue(),
		})
	}

	for !w.finished() {
		seen := w.changed
		next, ok := w.nextDeadline()
		wake := func() bool { return w.changed != seen }
		if ok {
			wait := next.Sub(workflow.Now(ctx))
			if wait > 0 {
				if _, err := workflow.AwaitWithTimeout(ctx, wait, wake); err != nil {
					return ASYEResult{}, err
				}
			}
		} else if err := workflow.Await(ctx, func() bool { return wake() || continueAsNewSuggested(ctx) }); err != nil {
			return ASYEResult{}, err
		}
		w.fireDeadlines(ctx)
		if continueAsNewSuggested(ctx) && !w.finished() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return ASYEResult{}, err
			}
			next := w.in
			next.State = w.st
			return ASYEResult{}, workflow.NewContinueAsNewError(ctx, ASYEWorkflow, next)
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return ASYEResult{}, err
	}
	return ASYEResult{Outcome: w.st.Outcome, DecidedOn: w.st.DecidedOn}, nil
}

func continueAsNewSuggested(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

func (w *asye) initState() {
	st := &ASYEState{
		Status:       StatusActive,
		SupervisorID: w.in.SupervisorID,
		ManagerID:    w.in.ManagerID,
		Requests:     map[string]string{},
	}
	w.st = st
	first := w.in.Rules.NextDue(w.in.Start, w.in.Start, w.cal)
	st.Session = DueState{Seq: 1, Due: first, Rule: w.phaseRule(w.in.Start)}
	for _, r := range w.in.Rules.ReviewDates(w.in.Start, w.cal) {
		st.Reviews = append(st.Reviews, ReviewState{Name: r.Name, Due: r.Due, Rule: r.Rule})
	}
}

func (w *asye) finished() bool {
	return w.st.Status == StatusPassed || w.st.Status == StatusFailed
}

// effectiveStart is the start moved by every day paused, so each phase
// boundary and review moves with the pauses.
func (w *asye) effectiveStart() policy.Date { return w.in.Start.AddDays(w.st.ShiftDays) }

func (w *asye) end() policy.Date {
	return w.in.Rules.End(w.effectiveStart(), w.cal).AddDays(w.st.ExtendedDays)
}

func (w *asye) phaseRule(on policy.Date) string {
	start := w.effectiveStart()
	for _, p := range w.in.Rules.Phases {
		from := p.From.AddTo(start, w.cal)
		to := w.end()
		if !p.To.IsZero() {
			to = p.To.AddTo(start, w.cal)
		}
		if !on.Before(from) && on.Before(to) {
			return p.Rule
		}
	}
	if n := len(w.in.Rules.Phases); n > 0 {
		return w.in.Rules.Phases[n-1].Rule
	}
	return ""
}

// escalationDay is the day after which an unmet duty goes to the manager.
func (w *asye) escalationDay(due policy.Date) policy.Date {
	return w.in.Rules.Escalation.After.AddTo(due, w.cal)
}

// nextDeadline is the earliest instant at which something becomes overdue or
// escalates. A paused programme has none.
func (w *asye) nextDeadline() (time.Time, bool) {
	if w.st.Status != StatusActive {
		return time.Time{}, false
	}
	var next time.Time
	consider := func(d DueState) {
		var at time.Time
		switch {
		case !d.Overdue:
			at = d.Due.EndInstant()
		case !d.Escalated:
			at = w.escalationDay(d.Due).EndInstant()
		default:
			return
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	consider(w.st.Session)
	for _, r := range w.st.Reviews {
		if r.HeldOn.IsZero() {
			consider(DueState{Due: r.Due, Overdue: r.Overdue, Escalated: r.Escalated})
		}
	}
	return next, !next.IsZero()
}

// fireDeadlines records every overdue and escalation whose time has come.
func (w *asye) fireDeadlines(ctx workflow.Context) {
	if w.st.Status != StatusActive {
		return
	}
	now := workflow.Now(ctx)
	s := &w.st.Session
	key := fmt.Sprintf("session:%d", s.Seq)
	if !s.Overdue && !now.Before(s.Due.EndInstant()) {
		s.Overdue = true
		w.overdue(ctx, key, "asye_session", "supervision session", s.Due, s.Rule)
	}
	if s.Overdue && !s.Escalated && !now.Before(w.escalationDay(s.Due).EndInstant()) {
		s.Escalated = true
		w.escalate(ctx, key, "supervision session", s.Due)
	}
	for i := range w.st.Reviews {
		r := &w.st.Reviews[i]
		if !r.HeldOn.IsZero() {
			continue
		}
		key := "review:" + r.Name
		if !r.Overdue && !now.Before(r.Due.EndInstant()) {
			r.Overdue = true
			w.overdue(ctx, key, "asye_review", r.Name+" review", r.Due, r.Rule)
		}
		if r.Overdue && !r.Escalated && !now.Before(w.escalationDay(r.Due).EndInstant()) {
			r.Escalated = true
			w.escalate(ctx, key, r.Name+" review", r.Due)
		}
	}
}

func (w *asye) overdue(ctx workflow.Context, key, kind, what string, due policy.Date, rule string) {
	w.record(ctx, "overdue:"+key, activities.Event{
		Actor:  "system",
		Action: "asye.overdue",
		RuleID: rule,
		Reason: fmt.Sprintf("%s due %s was not held", what, due),
		Due:    []activities.DueItemRecord{w.dueItem(key, kind, due, "overdue", policy.Date{}, rule)},
		Notifications: []activities.NotificationRecord{{
			Recipient:     w.st.SupervisorID,
			RecipientRole: "supervisor",
			Kind:          "overdue",
			Subject:       fmt.Sprintf("Overdue: %s for %s", what, w.in.Name),
			Body:          fmt.Sprintf("The ASYE %s for %s (%s) was due on %s and has not been recorded.", what, w.in.Name, w.in.StaffID, due),
			DueKey:        key,
		}},
	})
}

func (w *asye) escalate(ctx workflow.Context, key, what string, due policy.Date) {
	role := "supervisors_manager"
	if w.st.ManagerID == "" {
		role = "senior_manager" // no manager of record: the service's senior manager picks it up
	}
	w.record(ctx, "escalation:"+key, activities.Event{
		Actor:  "system",
		Action: "asye.escalated",
		RuleID: w.in.Rules.Escalation.Rule,
		Reason: fmt.Sprintf("%s due %s still not held %s later", what, due, w.in.Rules.Escalation.After),
		Notifications: []activities.NotificationRecord{{
			Recipient:     w.st.ManagerID,
			RecipientRole: role,
			Kind:          "escalation",
			Subject:       fmt.Sprintf("Escalation: %s for %s", what, w.in.Name),
			Body:          fmt.Sprintf("The ASYE %s for %s (%s), supervised by %s, was due on %s and is still not recorded.", what, w.in.Name, w.in.StaffID, w.st.SupervisorID, due),
			DueKey:        key,
		}},
	})
}

func (w *asye) dueItem(key, kind string, due policy.Date, status string, met policy.Date, rule string) activities.DueItemRecord {
	r := activities.DueItemRecord{
		Key: key, Kind: kind, StaffID: w.in.StaffID, Team: w.in.Team, Authority: w.in.Authority,
		DueOn: due.String(), Status: status, RuleID: rule,
	}
	if !met.IsZero() {
		r.MetOn = met.String()
	}
	return r
}

// allDue is the projection of every open item, written when dates move.
func (w *asye) allDue() []activities.DueItemRecord {
	s := w.st.Session
	items := []activities.DueItemRecord{w.dueItem(fmt.Sprintf("session:%d", s.Seq), "asye_session", s.Due, dueStatus(s.Overdue), policy.Date{}, s.Rule)}
	for _, r := range w.st.Reviews {
		if r.HeldOn.IsZero() {
			items = append(items, w.dueItem("review:"+r.Name, "asye_review", r.Due, dueStatus(r.Overdue), policy.Date{}, r.Rule))
		}
	}
	return items
}

func dueStatus(overdue bool) string {
	if overdue {
		return "overdue"
	}
	return "due"
}

// record writes one decision through the RecordEvent activity. A failure is
// logged and the lifecycle carries on: the duty's state lives here, and the
// activity has already retried for as long as its options allow.
func (w *asye) record(ctx workflow.Context, eventID string, ev activities.Event) {
	info := workflow.GetInfo(ctx)
	ev.WorkflowID = info.WorkflowExecution.ID
	ev.RunID = info.WorkflowExecution.RunID
	ev.EventID = eventID
	ev.At = workflow.Now(ctx)
	ev.StaffID = w.in.StaffID
	ev.Authority = w.in.Authority
	ev.PackVersion = w.in.Pack.Version
	if err := w.writes.Lock(ctx); err != nil {
		return
	}
	defer w.writes.Unlock()
	var res activities.RecordResult
	// Update handlers get their own context, so the options are set here.
	if err := workflow.ExecuteActivity(withRecordOptions(ctx), activities.RecordEventName, ev).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Error("recording failed", "event", eventID, "error", err)
	}
}
