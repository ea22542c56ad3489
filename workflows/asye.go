package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
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
	// SignOff and StandingEscalation govern the record each session makes.
	SignOff            *policy.SignOff   `json:"sign_off,omitempty"`
	StandingEscalation policy.Escalation `json:"standing_escalation"`
	// Handover starts personal supervision when the programme is passed.
	Handover *SupervisionInput `json:"handover,omitempty"`
	// Progress is an imported NQSW's programme so far, before securebase.
	Progress *ASYEProgress `json:"progress,omitempty"`
	// State is nil on the first run and carried across continue-as-new.
	State *ASYEState `json:"state,omitempty"`
}

// ASYE status values.
const (
	StatusActive = "active"
	StatusPaused = "paused"
	StatusPassed = "passed"
	StatusFailed = "failed"
	StatusLeft   = "left"
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
	LastRecordID  string        `json:"last_record_id,omitempty"`
	// ShortSessions are the latest sessions shorter than the usual length.
	ShortSessions []ShortSessionFlag `json:"short_sessions,omitempty"`
	// AcademyAttended counts the Academy group supervisions attended (C-ASYE-10: shown, never due).
	AcademyAttended int `json:"academy_attended,omitempty"`
	// Requests maps a processed request id to what it asked, so a request id
	// is used once across updates and continue-as-new runs.
	Requests map[string]string `json:"requests"`
}

// ASYEProgress is what an import says of a programme already under way:
// the last session, the reviews held, and the pauses (the last may be open:
// no To), as the HR system recorded them.
type ASYEProgress struct {
	LastSession policy.Date  `json:"last_session,omitzero"`
	Reviews     []HeldReview `json:"reviews,omitempty"`
	Pauses      []PastPause  `json:"pauses,omitempty"`
}

// HeldReview is a milestone review held before securebase.
type HeldReview struct {
	Name   string      `json:"name"`
	HeldOn policy.Date `json:"held_on"`
}

// PastPause is a pause before securebase; an open one has no To.
type PastPause struct {
	Reason string      `json:"reason"`
	From   policy.Date `json:"from"`
	To     policy.Date `json:"to,omitzero"`
}

// PauseState is an open pause.
type PauseState struct {
	From   policy.Date `json:"from"`
	Reason string      `json:"reason"`
}

// ReviewState is a milestone review.
type ReviewState struct {
	Name string `json:"name"`
	DueState
	HeldOn policy.Date `json:"held_on"`
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

// asye is one run of the lifecycle: its input and state on the shared machinery.
type asye struct {
	*lifecycle
	in ASYEInput
	st *ASYEState
}

// ASYE keeps a newly qualified social worker's supervision schedule for the
// programme: sessions at the pack's cadence, milestone reviews, pauses,
// extension and the outcome; overdue duties notify then escalate.
func ASYE(ctx workflow.Context, in ASYEInput) (ASYEResult, error) {
	w := &asye{
		lifecycle: newLifecycle(ctx, "asye", "ASYE", in.StaffID, in.Name, in.Authority, in.Team, in.Pack, in.ClosureDays, in.Rules.Escalation),
		in:        in,
	}
	// Handlers first: an update or query may arrive before the first write.
	if in.State == nil {
		w.initState()
		if importing(ctx, "import2-asye-progress-v1", in.Progress != nil) {
			w.applyProgress()
		}
	} else {
		w.st = in.State
	}
	if err := w.registerHandlers(ctx); err != nil {
		return ASYEResult{}, err
	}
	w.onLeave(ctx, w.leave)
	w.holder = func() (string, string) { return w.st.SupervisorID, w.st.Status }
	if in.State == nil {
		detail := map[string]any{"programme": in.Rules.Programme, "start": in.Start.String(), "end": w.end().String()}
		if p := in.Progress; p != nil {
			detail["imported"] = p // the progress the HR system recorded
			detail["paused_days"] = w.st.ShiftDays
		}
		w.record(ctx, "started", decision.Event{
			Actor:  in.Actor,
			Action: "asye.started",
			RuleID: w.st.Session.Rule,
			Detail: detail,
			Due:    w.allDue(),
		})
	}
	again, err := w.run(ctx, w.finished, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return ASYEResult{}, err
	}
	if again {
		next := w.in
		next.State = w.st
		return ASYEResult{}, workflow.NewContinueAsNewError(ctx, ASYEWorkflow, next)
	}
	return ASYEResult{Outcome: w.st.Outcome, DecidedOn: w.st.DecidedOn}, nil
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
		st.Reviews = append(st.Reviews, ReviewState{Name: r.Name, DueState: DueState{Due: r.Due, Rule: r.Rule}})
	}
}

// applyProgress brings a new run to where an imported programme stands, as
// the updates would have: a review held is met; each pause ended moves every
// date still open, and the end, by its length (resume); the next session is
// due one cadence step after the last; an open pause leaves it paused.
// The API has checked the progress against the pack.
func (w *asye) applyProgress() {
	p, st := w.in.Progress, w.st
	for _, h := range p.Reviews {
		if r := w.review(h.Name); r != nil {
			r.HeldOn = h.HeldOn
		}
	}
	shift := func(days int) {
		st.ShiftDays += days
		st.Session.Due = st.Session.Due.AddDays(days)
		for i := range st.Reviews {
			if r := &st.Reviews[i]; r.HeldOn.IsZero() {
				r.Due = r.Due.AddDays(days)
			}
		}
	}
	last := p.LastSession
	for _, ps := range p.Pauses {
		if !last.IsZero() && ps.From.Before(last) {
			shift(ps.From.DaysUntil(ps.To)) // ended before the last session
		}
	}
	if !last.IsZero() {
		st.LastSessionOn = last
		st.Session = DueState{Seq: 1, Due: w.in.Rules.NextDue(w.effectiveStart(), last, w.cal), Rule: w.phaseRule(last)}
	}
	for _, ps := range p.Pauses {
		switch {
		case !last.IsZero() && ps.From.Before(last):
		case ps.To.IsZero():
			st.Status, st.Pause = StatusPaused, &PauseState{From: ps.From, Reason: ps.Reason}
		default:
			shift(ps.From.DaysUntil(ps.To))
		}
	}
	st.Pauses = len(p.Pauses)
}

func (w *asye) finished() bool {
	return w.st.Status == StatusPassed || w.st.Status == StatusFailed || w.st.Status == StatusLeft
}

// leave closes the programme when the worker leaves: every open item closed.
func (w *asye) leave(ctx workflow.Context, s LeaveSignal) {
	if w.finished() {
		return
	}
	w.st.Status = StatusLeft
	w.st.Outcome = StatusLeft
	w.st.DecidedOn = s.On
	w.record(ctx, "left", decision.Event{
		Actor: s.Actor, Action: "asye.closed", Reason: "left the service: " + s.Reason,
		Detail: map[string]any{"on": s.On.String()}, Due: closing(w.allDue()),
	})
}

// effectiveStart is the start moved by every day paused, so each phase
// boundary and review moves with the pauses.
func (w *asye) effectiveStart() policy.Date { return w.in.Start.AddDays(w.st.ShiftDays) }

func (w *asye) end() policy.Date {
	return w.in.Rules.End(w.effectiveStart(), w.cal).AddDays(w.st.ExtendedDays)
}

func (w *asye) phaseRule(on policy.Date) string {
	return w.in.Rules.PhaseRuleAt(w.effectiveStart(), on, w.cal)
}

// nextDeadline is the earliest instant at which something becomes overdue or
// escalates. A paused programme has none.
func (w *asye) nextDeadline() (time.Time, bool) {
	if w.st.Status != StatusActive {
		return time.Time{}, false
	}
	duties := []DueState{w.st.Session}
	for _, r := range w.st.Reviews {
		if r.HeldOn.IsZero() {
			duties = append(duties, r.DueState)
		}
	}
	return w.earliest(duties...)
}

// fireDeadlines records every overdue and escalation whose time has come.
func (w *asye) fireDeadlines(ctx workflow.Context) {
	if w.st.Status != StatusActive {
		return
	}
	s := &w.st.Session
	w.fire(ctx, s, fmt.Sprintf("session:%d", s.Seq), "asye_session", "supervision session", w.st.SupervisorID, w.st.ManagerID)
	for i := range w.st.Reviews {
		if r := &w.st.Reviews[i]; r.HeldOn.IsZero() {
			w.fire(ctx, &r.DueState, "review:"+r.Name, "asye_review", r.Name+" review", w.st.SupervisorID, w.st.ManagerID)
		}
	}
}

// allDue is the projection of every open item, written when dates move.
func (w *asye) allDue() []decision.DueItemRecord {
	s := w.st.Session
	items := []decision.DueItemRecord{w.dueItem(fmt.Sprintf("session:%d", s.Seq), "asye_session", s.Due, dueStatus(s.Overdue), policy.Date{}, s.Rule)}
	for _, r := range w.st.Reviews {
		if r.HeldOn.IsZero() {
			items = append(items, w.dueItem("review:"+r.Name, "asye_review", r.Due, dueStatus(r.Overdue), policy.Date{}, r.Rule))
		}
	}
	return items
}
