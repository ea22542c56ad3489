package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Results of ASYE updates.
type (
	SessionResult struct {
		Sessions int         `json:"sessions"`
		NextDue  policy.Date `json:"next_due"`
		Rule     string      `json:"rule"`
	}
	ChangeResult struct {
		Status string `json:"status"`
	}
)

func (w *asye) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (Schedule, error) {
		return w.schedule(workflow.Now(ctx)), nil
	}); err != nil {
		return err
	}
	return setUpdates(ctx,
		updateHandler{UpdateRecordSession, w.recordSession, w.validateSession},
		updateHandler{UpdateRecordReview, w.recordReview, w.validateReview},
		updateHandler{UpdatePause, w.pause, w.validatePause},
		updateHandler{UpdateResume, w.resume, w.validateResume},
		updateHandler{UpdateExtend, w.extend, w.validateExtend},
		updateHandler{UpdateRecordOutcome, w.recordOutcome, w.validateOutcome},
		updateHandler{UpdateChangeSupervisor, w.changeSupervisor, w.validateSupervisor},
		updateHandler{UpdateRecordAcademyGroup, w.recordAcademy, w.validateAcademy},
	)
}

// checkRequest checks a request id and a date within the programme.
func (w *asye) checkRequest(ctx workflow.Context, requestID, dateField string, d policy.Date) error {
	return checkRequest(ctx, w.st.Requests, requestID, dateField, d, w.in.Start)
}

func (w *asye) mustBeActive(what string) error {
	switch w.st.Status {
	case StatusActive:
		return nil
	case StatusPaused:
		return conflict("status", fmt.Sprintf("the programme is paused since %s: resume it before recording a %s", w.st.Pause.From, what))
	default:
		return conflict("status", fmt.Sprintf("the programme has ended (%s)", w.st.Status))
	}
}

func (w *asye) validateSession(ctx workflow.Context, in SessionInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	if err := w.mustBeActive("session"); err != nil {
		return err
	}
	if in.DurationMinutes <= 0 {
		return invalidRule("duration_minutes", fmt.Sprintf("%d minutes is under the minimum of 1", in.DurationMinutes), w.in.Rules.SessionRule)
	}
	// A length the seed gives as "generally" is guidance: flagged, not refused.
	if short, ok := w.in.Rules.Short(in.DurationMinutes); ok && short.Refused() {
		return invalidRule("duration_minutes", short.Message(), short.Rule)
	}
	// Validators run only when an update arrives, never on replay: a new
	// refusal here leaves the histories as they are.
	if top := w.in.Rules.MaxSessionMinutes; top > 0 && in.DurationMinutes > top {
		return invalidRule("duration_minutes", fmt.Sprintf("%d minutes is over the maximum of %d", in.DurationMinutes, top), w.in.Rules.SessionRule)
	}
	if in.SupervisorID != w.st.SupervisorID {
		return invalid("supervisor_id", fmt.Sprintf("%q is not the supervisor of record (%s)", in.SupervisorID, w.st.SupervisorID))
	}
	if !slices.Contains(SessionKinds, in.Kind) {
		return invalid("kind", fmt.Sprintf("%q is not one of %v", in.Kind, SessionKinds))
	}
	return nil
}

// recordSession meets the session due and sets the next one by the phase in
// force on the day the session was held.
func (w *asye) recordSession(ctx workflow.Context, in SessionInput) (SessionResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateRecordSession
	w.st.Sessions++
	ev := decision.Event{
		Actor:  in.Actor,
		Action: "asye.session_recorded",
		RuleID: w.st.Session.Rule,
		Session: &decision.SessionRecord{
			StaffID: w.in.StaffID, SupervisorID: in.SupervisorID, Kind: in.Kind,
			HeldOn: in.HeldOn.String(), DurationMinutes: in.DurationMinutes, RequestID: in.RequestID, Notes: in.Notes,
		},
	}
	// A session older than the latest one fills in the file; it does not move the schedule.
	if in.HeldOn.After(w.st.LastSessionOn) || w.st.LastSessionOn.IsZero() {
		met := w.st.Session
		ev.Due = append(ev.Due, w.dueItem(fmt.Sprintf("session:%d", met.Seq), "asye_session", met.Due, "met", in.HeldOn, met.Rule))
		w.st.LastSessionOn = in.HeldOn
		w.st.Session = DueState{
			Seq:  met.Seq + 1,
			Due:  w.in.Rules.NextDue(w.effectiveStart(), in.HeldOn, w.cal),
			Rule: w.phaseRule(in.HeldOn),
		}
		next := w.st.Session
		ev.Due = append(ev.Due, w.dueItem(fmt.Sprintf("session:%d", next.Seq), "asye_session", next.Due, "due", policy.Date{}, next.Rule))
		ev.Detail = map[string]any{"next_due": next.Due.String()}
	}
	if short, ok := w.in.Rules.Short(in.DurationMinutes); ok && workflow.GetVersion(ctx, "asye-short-session-v1", workflow.DefaultVersion, 1) == 1 {
		w.st.ShortSessions = flagShort(w.st.ShortSessions, in.HeldOn, short)
		ev.Session.UsualMinutes = short.Usual
		if ev.Detail == nil {
			ev.Detail = map[string]any{}
		}
		ev.Detail["short_session"] = short
	}
	w.record(ctx, "session:"+in.RequestID, ev)
	w.startSignOff(ctx, in)
	return SessionResult{Sessions: w.st.Sessions, NextDue: w.st.Session.Due, Rule: w.st.Session.Rule}, nil
}

func (w *asye) review(name string) *ReviewState {
	for i := range w.st.Reviews {
		if w.st.Reviews[i].Name == name {
			return &w.st.Reviews[i]
		}
	}
	return nil
}

func (w *asye) validateReview(ctx workflow.Context, in ReviewInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	if err := w.mustBeActive("review"); err != nil {
		return err
	}
	r := w.review(in.Name)
	if r == nil {
		var names []string
		for _, r := range w.st.Reviews {
			names = append(names, r.Name)
		}
		return invalid("name", fmt.Sprintf("%q is not a review of this programme (%v)", in.Name, names))
	}
	if !r.HeldOn.IsZero() {
		return conflict("name", fmt.Sprintf("the %s review was already held on %s", r.Name, r.HeldOn))
	}
	return nil
}

func (w *asye) recordReview(ctx workflow.Context, in ReviewInput) (ChangeResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateRecordReview
	r := w.review(in.Name)
	r.HeldOn = in.HeldOn
	w.record(ctx, "review:"+in.RequestID, decision.Event{
		Actor:  in.Actor,
		Action: "asye.review_held",
		RuleID: r.Rule,
		Reason: in.Notes,
		Detail: map[string]any{"review": r.Name, "held_on": in.HeldOn.String()},
		Due:    []decision.DueItemRecord{w.dueItem("review:"+r.Name, "asye_review", r.Due, "met", in.HeldOn, r.Rule)},
	})
	return ChangeResult{Status: w.st.Status}, nil
}

func (w *asye) validatePause(ctx workflow.Context, in PauseInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "from", in.From); err != nil {
		return err
	}
	if err := w.mustBeActive("pause"); err != nil {
		return err
	}
	p := w.in.Rules.Pauses
	if slices.Contains(p.Forbidden, in.Reason) {
		return invalidRule("reason", fmt.Sprintf("the programme is never paused for %s", in.Reason), p.Rule)
	}
	if !slices.Contains(p.Allowed, in.Reason) {
		return invalidRule("reason", fmt.Sprintf("%q is not a reason to pause (%v)", in.Reason, p.Allowed), p.Rule)
	}
	if in.From.Before(w.st.LastSessionOn) {
		return invalid("from", fmt.Sprintf("%s is before the last session held on %s", in.From, w.st.LastSessionOn))
	}
	return nil
}

func (w *asye) pause(ctx workflow.Context, in PauseInput) (ChangeResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdatePause
	w.st.Status = StatusPaused
	w.st.Pause = &PauseState{From: in.From, Reason: in.Reason}
	w.st.Pauses++
	w.record(ctx, fmt.Sprintf("pause:%d", w.st.Pauses), decision.Event{
		Actor:  in.Actor,
		Action: "asye.paused",
		RuleID: w.in.Rules.Pauses.Rule,
		Reason: in.Reason,
		Detail: map[string]any{"from": in.From.String()},
	})
	return ChangeResult{Status: w.st.Status}, nil
}

func (w *asye) validateResume(ctx workflow.Context, in ResumeInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "on", in.On); err != nil {
		return err
	}
	if w.st.Status != StatusPaused {
		return conflict("status", fmt.Sprintf("the programme is %s, not paused", w.st.Status))
	}
	if in.On.Before(w.st.Pause.From) {
		return invalid("on", fmt.Sprintf("%s is before the pause began on %s", in.On, w.st.Pause.From))
	}
	return nil
}

// resume pushes every open due date, the reviews and the programme end by
// the length of the pause.
func (w *asye) resume(ctx workflow.Context, in ResumeInput) (ChangeResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateResume
	days := w.st.Pause.From.DaysUntil(in.On)
	from := w.st.Pause.From
	w.st.ShiftDays += days
	w.st.Status = StatusActive
	w.st.Pause = nil
	now := workflow.Now(ctx)
	w.st.Session.Due = w.st.Session.Due.AddDays(days)
	resetIfFuture(&w.st.Session, now)
	for i := range w.st.Reviews {
		r := &w.st.Reviews[i]
		if r.HeldOn.IsZero() {
			r.Due = r.Due.AddDays(days)
			resetIfFuture(&r.DueState, now)
		}
	}
	w.record(ctx, fmt.Sprintf("resume:%d", w.st.Pauses), decision.Event{
		Actor:  in.Actor,
		Action: "asye.resumed",
		RuleID: w.in.Rules.Pauses.Rule,
		Reason: fmt.Sprintf("paused %d days from %s", days, from),
		Detail: map[string]any{"days": days, "end": w.end().String()},
		Due:    w.allDue(),
	})
	return ChangeResult{Status: w.st.Status}, nil
}

func (w *asye) validateExtend(ctx workflow.Context, in ExtendInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	if w.finished() {
		return conflict("status", fmt.Sprintf("the programme has ended (%s)", w.st.Status))
	}
	if in.Weeks <= 0 {
		return invalid("weeks", "must be a positive number of weeks")
	}
	if in.Reason == "" {
		return invalid("reason", "is required")
	}
	base := w.in.Rules.End(w.effectiveStart(), w.cal)
	limit := w.in.Rules.ExtensionCap.AddTo(base, w.cal)
	if w.end().AddDays(7 * in.Weeks).After(limit) {
		return invalidRule("weeks", fmt.Sprintf("extending by %d weeks would end the programme after %s, past the cap of %s", in.Weeks, limit, w.in.Rules.ExtensionCap), w.in.Rules.ExtensionRule)
	}
	return nil
}

// extend moves the programme end and its final review.
func (w *asye) extend(ctx workflow.Context, in ExtendInput) (ChangeResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateExtend
	days := 7 * in.Weeks
	w.st.ExtendedDays += days
	if n := len(w.st.Reviews); n > 0 && w.st.Reviews[n-1].HeldOn.IsZero() {
		r := &w.st.Reviews[n-1]
		r.Due = r.Due.AddDays(days)
		resetIfFuture(&r.DueState, workflow.Now(ctx))
	}
	w.record(ctx, "extend:"+in.RequestID, decision.Event{
		Actor:  in.Actor,
		Action: "asye.extended",
		RuleID: w.in.Rules.ExtensionRule,
		Reason: in.Reason,
		Detail: map[string]any{"weeks": in.Weeks, "end": w.end().String()},
		Due:    w.allDue(),
	})
	return ChangeResult{Status: w.st.Status}, nil
}

// Outcomes that end the programme.
var Outcomes = []string{StatusPassed, StatusFailed}

func (w *asye) validateOutcome(ctx workflow.Context, in OutcomeInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "decided_on", in.DecidedOn); err != nil {
		return err
	}
	if !slices.Contains(Outcomes, in.Outcome) {
		return invalid("outcome", fmt.Sprintf("%q is not one of %v (an extension is its own request)", in.Outcome, Outcomes))
	}
	if w.finished() {
		return conflict("status", fmt.Sprintf("the programme has ended (%s)", w.st.Status))
	}
	if n := len(w.st.Reviews); n > 0 && w.st.Reviews[n-1].HeldOn.IsZero() {
		return conflict("outcome", fmt.Sprintf("the %s review has not been held", w.st.Reviews[n-1].Name))
	}
	return nil
}

// recordOutcome ends the programme; a pass hands the worker on.
func (w *asye) recordOutcome(ctx workflow.Context, in OutcomeInput) (ChangeResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateRecordOutcome
	w.st.Status = in.Outcome
	w.st.Outcome = in.Outcome
	w.st.DecidedOn = in.DecidedOn
	s := w.st.Session
	w.record(ctx, "outcome", decision.Event{
		Actor:  in.Actor,
		Action: "asye." + in.Outcome,
		Reason: in.Reason,
		Detail: map[string]any{"decided_on": in.DecidedOn.String(), "sessions": w.st.Sessions},
		Due:    []decision.DueItemRecord{w.dueItem(fmt.Sprintf("session:%d", s.Seq), "asye_session", s.Due, "closed", policy.Date{}, s.Rule)},
	})
	if in.Outcome == StatusPassed {
		w.handOver(ctx)
	}
	return ChangeResult{Status: w.st.Status}, nil
}

// handOver moves a passed worker to the standard personal supervision
// cadence: that lifecycle starts here, its first session due when the
// ASYE's next one was, so there is no gap.
func (w *asye) handOver(ctx workflow.Context) {
	next := ID(KindSupervision, w.in.StaffID)
	// A rehired worker's ASYE hands over to the same period's supervision.
	if key := periodKeyOf(ctx, w.in.StaffID); key != w.in.StaffID && workflow.GetVersion(ctx, "rehire-handover-v1", workflow.DefaultVersion, 1) == 1 {
		next = ID(KindSupervision, key)
	}
	w.record(ctx, "handover", decision.Event{
		Actor:  "system",
		Action: "asye.handed_over",
		Reason: "ASYE passed: the worker moves to the standard supervision cadence",
		Detail: map[string]any{"next_lifecycle": next},
	})
	if workflow.GetVersion(ctx, "asye-handover-starts-supervision", workflow.DefaultVersion, 1) == workflow.DefaultVersion || w.in.Handover == nil {
		return
	}
	in := *w.in.Handover
	in.Person.SupervisorID, in.Person.ManagerID = w.st.SupervisorID, w.st.ManagerID
	in.FirstDue = w.st.Session.Due
	if err := startChild(ctx, next, SupervisionWorkflow, in.Person, KindSupervision, in); err != nil {
		workflow.GetLogger(ctx).Error("personal supervision did not start", "error", err)
	}
}

// startSignOff starts the sign-off of the record this session made.
func (w *asye) startSignOff(ctx workflow.Context, in SessionInput) {
	if workflow.GetVersion(ctx, "asye-session-starts-signoff", workflow.DefaultVersion, 1) == workflow.DefaultVersion || w.in.SignOff == nil {
		return
	}
	id := RecordID(w.in.StaffID, in.RequestID)
	err := StartSignOff(ctx, SignOffInput{
		RecordID: id,
		Person: Person{StaffID: w.in.StaffID, Name: w.in.Name, Authority: w.in.Authority, Team: w.in.Team, Role: "nqsw",
			SupervisorID: in.SupervisorID, ManagerID: w.st.ManagerID, Start: w.in.Start},
		SessionWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, SessionKind: "asye", HeldOn: in.HeldOn,
		NextSessionDue: w.st.Session.Due, PreviousRecordID: w.st.LastRecordID,
		Pack: w.in.Pack, Rules: *w.in.SignOff, Escalation: w.in.StandingEscalation, ClosureDays: w.in.ClosureDays, Actor: in.Actor,
	})
	if err != nil {
		workflow.GetLogger(ctx).Error("record sign-off did not start", "record", id, "error", err)
		return
	}
	w.st.LastRecordID = id
}

func (w *asye) validateSupervisor(ctx workflow.Context, in SupervisorInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "from", in.From); err != nil {
		return err
	}
	if w.finished() {
		return conflict("status", fmt.Sprintf("the programme has ended (%s)", w.st.Status))
	}
	// No staff id: the ASYE leaves refusing self-supervision to the API, as it always has.
	return checkSupervisorChange(in, "", w.st.SupervisorID)
}

// changeSupervisor passes the file on; every due date stays.
func (w *asye) changeSupervisor(ctx workflow.Context, in SupervisorInput) (ChangeResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateChangeSupervisor
	previous := w.st.SupervisorID
	w.st.SupervisorID, w.st.ManagerID = in.SupervisorID, in.ManagerID
	w.record(ctx, "supervisor:"+in.RequestID, decision.Event{
		Actor:      in.Actor,
		Action:     "asye.supervisor_changed",
		Detail:     map[string]any{"from_supervisor": previous, "to_supervisor": in.SupervisorID},
		Supervisor: &decision.SupervisorRecord{StaffID: w.in.StaffID, SupervisorID: in.SupervisorID, From: in.From.String()},
	})
	return ChangeResult{Status: w.st.Status}, nil
}
