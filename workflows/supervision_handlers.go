package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Update inputs of personal supervision. Actor is set by the API from the
// caller's identity, never from the request body.
type (
	SupervisionSessionInput struct {
		RequestID       string      `json:"request_id"`
		HeldOn          policy.Date `json:"held_on"`
		DurationMinutes int         `json:"duration_minutes"`
		SupervisorID    string      `json:"supervisor_id"`
		Notes           string      `json:"notes,omitempty"`
		Actor           string      `json:"actor"`
	}
	BookingInput struct {
		RequestID string        `json:"request_id"`
		Dates     []policy.Date `json:"dates"`
		Actor     string        `json:"actor"`
	}
	AgendaInput struct {
		RequestID string      `json:"request_id"`
		SessionOn policy.Date `json:"session_on"` // the booked session it is for
		Actor     string      `json:"actor"`
	}
	CancellationInput struct {
		RequestID   string      `json:"request_id"`
		BookedOn    policy.Date `json:"booked_on"`
		CancelledBy string      `json:"cancelled_by"` // the supervisee's or the supervisor's staff id
		Reason      string      `json:"reason"`
		RebookOn    policy.Date `json:"rebook_on"` // the new date, when rearranged
		Actor       string      `json:"actor"`
	}
	AbsenceInput struct {
		RequestID string      `json:"request_id"`
		Who       string      `json:"who"` // "supervisee" or "supervisor"
		Kind      string      `json:"kind"`
		From      policy.Date `json:"from"`
		To        policy.Date `json:"to"` // zero: still absent
		Reason    string      `json:"reason,omitempty"`
		Actor     string      `json:"actor"`
	}
	ReturnInput struct {
		RequestID string      `json:"request_id"`
		Who       string      `json:"who"`
		On        policy.Date `json:"on"`
		Actor     string      `json:"actor"`
	}
	CoverInput struct {
		RequestID         string      `json:"request_id"`
		CoverSupervisorID string      `json:"cover_supervisor_id"`
		From              policy.Date `json:"from"`
		Actor             string      `json:"actor"`
	}
	ShiftsInput struct {
		RequestID string      `json:"request_id"`
		Shifts    int         `json:"shifts"`
		Through   policy.Date `json:"through"` // the day the last of them was worked
		Actor     string      `json:"actor"`
	}
	ObservationInput struct {
		RequestID  string      `json:"request_id"`
		HeldOn     policy.Date `json:"held_on"`
		ObserverID string      `json:"observer_id"`
		Notes      string      `json:"notes,omitempty"`
		Actor      string      `json:"actor"`
	}
	AppraisalInput struct {
		RequestID string      `json:"request_id"`
		Kind      string      `json:"kind"` // "annual", "mid_term" or "progress" (a progress review)
		HeldOn    policy.Date `json:"held_on"`
		Notes     string      `json:"notes,omitempty"`
		Actor     string      `json:"actor"`
	}
	StudentPhaseInput struct {
		RequestID string      `json:"request_id"`
		From      policy.Date `json:"from"`
		Actor     string      `json:"actor"`
	}
	ExtraSessionsInput struct {
		RequestID string      `json:"request_id"`
		Reason    string      `json:"reason"` // "induction" or "return_from_absence"
		From      policy.Date `json:"from"`
		Until     policy.Date `json:"until"`
		Actor     string      `json:"actor"`
	}
)

// Results of personal supervision updates.
type (
	SupervisionSessionResult struct {
		Sessions int         `json:"sessions"`
		NextDue  policy.Date `json:"next_due"`
		Rule     string      `json:"rule"`
		RecordID string      `json:"record_id"`
	}
	SupervisionChange struct {
		Status  string      `json:"status"`
		NextDue policy.Date `json:"next_due"`
		Rule    string      `json:"rule,omitempty"`
		// RecordedLate flags a record made after the pack's limit (a
		// practice observation's): kept and flagged, never refused.
		RecordedLate *LateRecord `json:"recorded_late,omitempty"`
	}
	// LateRecord is a record made after its due day, and the rule it missed.
	LateRecord struct {
		Due  policy.Date `json:"due"`
		Rule string      `json:"rule"`
	}
)

// Who may be absent, why, and why extra sessions are held.
var (
	AbsentParties      = []string{"supervisee", "supervisor"}
	AbsenceKinds       = []string{"annual_leave", "sickness", "parental_leave", "compassionate_leave", "training", "other"}
	ExtraReasons       = []string{"induction", "return_from_absence"}
	AppraisalKinds     = []string{"annual", "mid_term", "progress"}
	maxBookingsAtOnce  = 60
	maxShiftsAtOnce    = 60
	maxExtraWindowDays = 366
)

func (w *supervision) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (Schedule, error) {
		return w.schedule(workflow.Now(ctx)), nil
	}); err != nil {
		return err
	}
	return setUpdates(ctx,
		updateHandler{UpdateRecordSupervision, w.recordSession, w.validateSession},
		updateHandler{UpdateBookSupervision, w.book, w.validateBooking},
		updateHandler{UpdateCancelSupervision, w.cancel, w.validateCancellation},
		updateHandler{UpdateShareAgenda, w.shareAgenda, w.validateAgenda},
		updateHandler{UpdateRecordAbsence, w.recordAbsence, w.validateAbsence},
		updateHandler{UpdateRecordReturn, w.recordReturn, w.validateReturn},
		updateHandler{UpdateArrangeCover, w.arrangeCover, w.validateCover},
		updateHandler{UpdateRecordShifts, w.recordShifts, w.validateShifts},
		updateHandler{UpdateRecordObservation, w.recordObservation, w.validateObservation},
		updateHandler{UpdateRecordAppraisal, w.recordAppraisal, w.validateAppraisal},
		updateHandler{UpdateAgreeStudentPhase, w.agreeStudentPhase, w.validateStudentPhase},
		updateHandler{UpdateAddExtraSessions, w.addExtraSessions, w.validateExtraSessions},
		updateHandler{UpdateChangeSupervisor, w.changeSupervisor, w.validateSupervisor},
		updateHandler{UpdateRecordAcademyGroup, w.recordAcademy, w.validateAcademy},
	)
}

// check refuses a bad request id, a bad date, and any change once closed.
func (w *supervision) check(ctx workflow.Context, requestID, dateField string, d policy.Date) error {
	if err := checkRequest(ctx, w.st.Requests, requestID, dateField, d, w.in.Person.Start); err != nil {
		return err
	}
	if w.finished() {
		return conflict("status", fmt.Sprintf("personal supervision is closed (%s)", w.st.CloseReason))
	}
	return nil
}

// notBeforeStart refuses a date (which may be in the future) before the start.
func (w *supervision) notBeforeStart(field string, d policy.Date) error {
	if d.IsZero() {
		return invalid(field, "is required")
	}
	if d.Before(w.in.Person.Start) {
		return invalid(field, fmt.Sprintf("%s is before the start on %s", d, w.in.Person.Start))
	}
	return nil
}

func (w *supervision) result() SupervisionChange {
	return SupervisionChange{Status: w.st.Status, NextDue: w.st.Session.Due, Rule: w.st.Session.Rule}
}

// --- sessions -------------------------------------------------------------

func (w *supervision) validateSession(ctx workflow.Context, in SupervisionSessionInput) error {
	if err := w.check(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	// A length the seed gives as "generally" is guidance: flagged, not refused.
	if short, ok := w.in.SessionMinutes.Short(in.DurationMinutes); ok && short.Refused() {
		return invalidRule("duration_minutes", short.Message(), short.Rule)
	}
	// Validators run only when an update arrives, never on replay: a new
	// refusal here leaves the histories as they are.
	if sl := w.in.SessionMinutes; sl != nil && sl.Max > 0 && in.DurationMinutes > sl.Max {
		return invalidRule("duration_minutes", fmt.Sprintf("%d minutes is over the maximum of %d", in.DurationMinutes, sl.Max), sl.Rule)
	}
	if in.DurationMinutes <= 0 {
		return invalid("duration_minutes", "must be a positive number of minutes")
	}
	if in.SupervisorID != w.st.SupervisorID {
		return invalid("supervisor_id", fmt.Sprintf("%q is not the supervisor of record (%s)", in.SupervisorID, w.st.SupervisorID))
	}
	return nil
}

// recordSession meets the session due, sets the next by the cadence in force
// on the day held, settles bookings and rebooking deadlines up to that day,
// puts any gap on the record, and starts the record's sign-off.
func (w *supervision) recordSession(ctx workflow.Context, in SupervisionSessionInput) (SupervisionSessionResult, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateRecordSupervision
	st.Sessions++
	recordID := RecordID(w.in.Person.StaffID, in.RequestID)
	previous := st.LastRecordID
	st.LastRecordID = recordID
	ev := decision.Event{
		Actor:  in.Actor,
		Action: "supervision.session_recorded",
		RuleID: st.Session.Rule,
		Session: &decision.SessionRecord{
			StaffID: w.in.Person.StaffID, SupervisorID: in.SupervisorID, Kind: "personal",
			HeldOn: in.HeldOn.String(), DurationMinutes: in.DurationMinutes, RequestID: in.RequestID, Notes: in.Notes,
		},
	}
	detail := map[string]any{"record_id": recordID, "previous_record_id": previous}
	// The supervisee's leave or sickness since the last record goes on this one.
	var gaps []map[string]any
	for i := range st.Gaps {
		if g := &st.Gaps[i]; g.OnRecord == "" && !g.From.After(in.HeldOn) {
			g.OnRecord = recordID
			gaps = append(gaps, map[string]any{"kind": g.Kind, "from": g.From.String(), "to": g.To.String(), "reason": g.Reason})
		}
	}
	if len(gaps) > 0 {
		detail["gaps"] = gaps
	}
	for i := range st.Bookings {
		if b := &st.Bookings[i]; b.Status == BookingBooked && !b.On.After(in.HeldOn) {
			b.Status = BookingLapsed
			if b.On.Equal(in.HeldOn) {
				b.Status = BookingHeld
			}
		}
	}
	for i := range st.Rebookings {
		if r := &st.Rebookings[i]; r.MetOn.IsZero() && !in.HeldOn.Before(r.CancelledOn) {
			r.MetOn = in.HeldOn
			ev.Due = append(ev.Due, w.dueOf(rebookKey(r), ItemRebooking, r.DueState, "met", in.HeldOn))
		}
	}
	// A session older than the latest one fills in the file; it does not move the schedule.
	if in.HeldOn.After(st.LastSessionOn) || st.LastSessionOn.IsZero() {
		met := st.Session
		if !met.Due.IsZero() {
			ev.Due = append(ev.Due, w.dueOf(fmt.Sprintf("session:%d", met.Seq), ItemSession, met, "met", in.HeldOn))
		}
		st.LastSessionOn = in.HeldOn
		st.Shifts = 0
		st.Session = DueState{Seq: met.Seq}
		if w.in.Cadence.Timed() {
			every, rule := w.interval(in.HeldOn)
			st.Session = DueState{Seq: met.Seq + 1, Due: w.sessionDue(every, in.HeldOn), Rule: rule}
			ev.Due = append(ev.Due, w.dueOf(fmt.Sprintf("session:%d", st.Session.Seq), ItemSession, st.Session, "due", policy.Date{}))
		}
		detail["next_due"] = st.Session.Due.String()
	}
	if short, ok := w.in.SessionMinutes.Short(in.DurationMinutes); ok && workflow.GetVersion(ctx, "supervision-short-session-v1", workflow.DefaultVersion, 1) == 1 {
		st.ShortSessions = flagShort(st.ShortSessions, in.HeldOn, short)
		ev.Session.UsualMinutes = short.Usual
		detail["short_session"] = short
	}
	ev.Detail = detail
	w.record(ctx, "session:"+in.RequestID, ev)
	w.startSignOff(ctx, in, recordID, previous, gaps)
	return SupervisionSessionResult{Sessions: st.Sessions, NextDue: st.Session.Due, Rule: st.Session.Rule, RecordID: recordID}, nil
}

// startSignOff starts the record's sign-off. A failure to start is recorded
// and the session stands: the sign-off can be started again by hand.
func (w *supervision) startSignOff(ctx workflow.Context, in SupervisionSessionInput, recordID, previous string, gaps []map[string]any) {
	p := w.in.Person
	p.SupervisorID, p.ManagerID = w.st.SupervisorID, w.st.ManagerID
	err := StartSignOff(ctx, SignOffInput{
		RecordID:          recordID,
		Person:            p,
		SessionWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		SessionKind:       "personal",
		HeldOn:            in.HeldOn,
		NextSessionDue:    w.st.Session.Due,
		PreviousRecordID:  previous,
		Pack:              w.in.Pack,
		Rules:             w.in.SignOff,
		Escalation:        w.in.Escalation,
		ClosureDays:       w.in.ClosureDays,
		Actor:             in.Actor,
	})
	if err != nil {
		workflow.GetLogger(ctx).Error("sign-off not started", "record", recordID, "error", err)
		w.record(ctx, "signoff-failed:"+in.RequestID, decision.Event{
			Actor: "system", Action: "supervision.signoff_not_started", RuleID: w.in.SignOff.Rule,
			Reason: err.Error(), Detail: map[string]any{"record_id": recordID},
		})
	}
}

// --- bookings and cancellations --------------------------------------------

func (w *supervision) validateBooking(ctx workflow.Context, in BookingInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	if len(in.Dates) == 0 {
		return invalid("dates", "give at least one date")
	}
	if len(in.Dates) > maxBookingsAtOnce {
		return invalid("dates", fmt.Sprintf("%d dates: book at most %d at once", len(in.Dates), maxBookingsAtOnce))
	}
	now := today(ctx)
	for i, d := range in.Dates {
		field := fmt.Sprintf("dates[%d]", i)
		if err := w.notBeforeStart(field, d); err != nil {
			return err
		}
		if d.Before(now) {
			return invalid(field, fmt.Sprintf("%s is in the past: record a session held instead", d))
		}
		if slices.ContainsFunc(in.Dates[:i], d.Equal) || w.booking(d) != nil {
			return conflict(field, fmt.Sprintf("a session is already booked on %s", d))
		}
	}
	return nil
}

// booking is the open booking on a day.
func (w *supervision) booking(on policy.Date) *Booking {
	for i := range w.st.Bookings {
		if b := &w.st.Bookings[i]; b.Status == BookingBooked && b.On.Equal(on) {
			return b
		}
	}
	return nil
}

func (w *supervision) addBookings(dates ...policy.Date) {
	for _, d := range dates {
		w.st.Bookings = append(w.st.Bookings, Booking{On: d, Status: BookingBooked})
	}
	slices.SortStableFunc(w.st.Bookings, func(a, b Booking) int { return a.On.Time().Compare(b.On.Time()) })
}

// horizonDue projects a change of the booking duty: the occurrence met, if
// the bookings now reach further, and the one now open.
func (w *supervision) horizonDue(met *DueState, on policy.Date) []decision.DueItemRecord {
	var out []decision.DueItemRecord
	if met != nil {
		out = append(out, w.dueOf(fmt.Sprintf("booking-horizon:%d", met.Seq), ItemHorizon, *met, "met", on))
	}
	if h := w.st.Horizon; !h.Due.IsZero() {
		out = append(out, w.dueOf(fmt.Sprintf("booking-horizon:%d", h.Seq), ItemHorizon, h, dueStatus(h.Overdue), policy.Date{}))
	}
	return out
}

func (w *supervision) book(ctx workflow.Context, in BookingInput) (SupervisionChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateBookSupervision
	w.addBookings(in.Dates...)
	now := today(ctx)
	met := w.refreshHorizon(now)
	resetIfFuture(&w.st.Horizon, workflow.Now(ctx))
	var dates []string
	for _, d := range in.Dates {
		dates = append(dates, d.String())
	}
	rule := w.st.Session.Rule
	if h := w.in.BookingHorizon; h != nil {
		rule = h.Rule
	}
	w.record(ctx, "booked:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "supervision.booked", RuleID: rule,
		Detail: map[string]any{"dates": dates, "booked_to": w.lastBooked().String()},
		Due:    w.horizonDue(met, now),
	})
	return w.result(), nil
}

// validateAgenda: an agenda is for a session booked on a day, where the pack
// asks for one (BF-REC-2).
func (w *supervision) validateAgenda(ctx workflow.Context, in AgendaInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	if in.SessionOn.IsZero() {
		return invalid("session_on", "is required")
	}
	if w.in.Agenda == nil {
		return invalid("session_on", fmt.Sprintf("the %s pack asks for no agenda before a session", w.in.Pack.Authority))
	}
	if w.booking(in.SessionOn) == nil {
		return invalid("session_on", fmt.Sprintf("no session is booked on %s", in.SessionOn))
	}
	return nil
}

// agendaDue is the last day to share a session's agenda: "at least 24 hours
// before the session" read, kindest to the worker, as by the end of the day
// before (the session's hour is not recorded).
func agendaDue(session policy.Date) policy.Date { return session.AddDays(-1) }

// shareAgenda records the agenda on its booking; shared late, it is kept
// and flagged, never refused nor escalated.
func (w *supervision) shareAgenda(ctx workflow.Context, in AgendaInput) (SupervisionChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateShareAgenda
	b, now, due := w.booking(in.SessionOn), today(ctx), agendaDue(in.SessionOn)
	b.AgendaShared, b.AgendaLate = now, now.After(due)
	detail := map[string]any{"session_on": in.SessionOn.String(), "agenda_due": due.String(), "shared_on": now.String()}
	var late *LateRecord
	if b.AgendaLate {
		late = &LateRecord{Due: due, Rule: w.in.Agenda.Rule}
		detail["shared_late"] = true
	}
	w.record(ctx, "agenda:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "supervision.agenda_shared", RuleID: w.in.Agenda.Rule, Detail: detail,
	})
	ch := w.result()
	ch.RecordedLate = late
	return ch, nil
}

func (w *supervision) validateCancellation(ctx workflow.Context, in CancellationInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	if in.BookedOn.IsZero() {
		return invalid("booked_on", "is required")
	}
	if w.booking(in.BookedOn) == nil {
		return invalid("booked_on", fmt.Sprintf("no session is booked on %s", in.BookedOn))
	}
	if in.CancelledBy != w.in.Person.StaffID && in.CancelledBy != w.st.SupervisorID {
		return invalid("cancelled_by", fmt.Sprintf("%q is neither the supervisee (%s) nor the supervisor (%s)", in.CancelledBy, w.in.Person.StaffID, w.st.SupervisorID))
	}
	if in.Reason == "" {
		return invalid("reason", "is required: cancellations are recorded with why")
	}
	now := today(ctx)
	if r := w.in.Duties.RearrangeOnly; r != nil && in.RebookOn.IsZero() {
		return invalidRule("rebook_on", "is required: a session is never cancelled, only rearranged to a new date", r.Rule)
	}
	if in.RebookOn.IsZero() {
		return nil
	}
	if in.RebookOn.Before(now) {
		return invalid("rebook_on", fmt.Sprintf("%s is in the past", in.RebookOn))
	}
	if w.booking(in.RebookOn) != nil {
		return conflict("rebook_on", fmt.Sprintf("a session is already booked on %s", in.RebookOn))
	}
	if r := w.in.RebookWithin; r != nil {
		if limit := r.Period.AddTo(now, w.cal); in.RebookOn.After(limit) {
			return invalidRule("rebook_on", fmt.Sprintf("%s is after %s, %s after the cancellation", in.RebookOn, limit, r.Period), r.Rule)
		}
	}
	return nil
}

func rebookKey(r *Rebooking) string {
	return "rebook:" + r.BookedOn.String() + ":" + r.CancelledOn.String()
}

// cancel records who cancelled and why; where the pack sets a limit, the
// session is due again within it, with its own overdue and escalation.
func (w *supervision) cancel(ctx workflow.Context, in CancellationInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateCancelSupervision
	now := today(ctx)
	b := w.booking(in.BookedOn)
	b.Status, b.CancelledBy, b.Reason = BookingCancelled, in.CancelledBy, in.Reason
	by := "supervisor"
	if in.CancelledBy == w.in.Person.StaffID {
		by = "supervisee"
	}
	detail := map[string]any{"booked_on": in.BookedOn.String(), "cancelled_by": in.CancelledBy, "cancelled_by_role": by}
	rule := st.Session.Rule
	if r := w.in.Duties.RearrangeOnly; r != nil {
		rule = r.Rule
	}
	if !in.RebookOn.IsZero() {
		w.addBookings(in.RebookOn)
		detail["rebook_on"] = in.RebookOn.String()
	}
	var due []decision.DueItemRecord
	if r := w.in.RebookWithin; r != nil {
		rule = r.Rule
		rb := Rebooking{BookedOn: in.BookedOn, CancelledOn: now, DueState: DueState{Due: r.Period.AddTo(now, w.cal), Rule: r.Rule}}
		// A cancellation recorded twice on a day for one date is one deadline.
		if i := slices.IndexFunc(st.Rebookings, func(x Rebooking) bool { return rebookKey(&x) == rebookKey(&rb) }); i >= 0 {
			st.Rebookings[i] = rb
		} else {
			st.Rebookings = append(st.Rebookings, rb)
		}
		due = append(due, w.dueOf(rebookKey(&rb), ItemRebooking, rb.DueState, "due", policy.Date{}))
		detail["rebook_by"] = rb.Due.String()
	}
	met := w.refreshHorizon(now)
	due = append(due, w.horizonDue(met, now)...)
	w.record(ctx, "cancelled:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "supervision.cancelled", RuleID: rule, Reason: in.Reason,
		Detail: detail, Due: due,
	})
	return w.result(), nil
}

// --- absence and cover -----------------------------------------------------

func (w *supervision) openGap() *Gap {
	for i := range w.st.Gaps {
		if g := &w.st.Gaps[i]; g.To.IsZero() {
			return g
		}
	}
	return nil
}

func (w *supervision) validateAbsence(ctx workflow.Context, in AbsenceInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	if !slices.Contains(AbsentParties, in.Who) {
		return invalid("who", fmt.Sprintf("%q is not one of %v", in.Who, AbsentParties))
	}
	if !slices.Contains(AbsenceKinds, in.Kind) {
		return invalid("kind", fmt.Sprintf("%q is not one of %v", in.Kind, AbsenceKinds))
	}
	if err := w.notBeforeStart("from", in.From); err != nil {
		return err
	}
	if !in.To.IsZero() && in.To.Before(in.From) {
		return invalid("to", fmt.Sprintf("%s is before the absence began on %s", in.To, in.From))
	}
	switch {
	case in.Who == "supervisee" && w.openGap() != nil:
		return conflict("who", fmt.Sprintf("the supervisee's absence since %s is still open: record the return first", w.openGap().From))
	case in.Who == "supervisor" && w.st.Absence != nil:
		return conflict("who", fmt.Sprintf("the supervisor's absence since %s is still open: record the return first", w.st.Absence.From))
	}
	return nil
}

// recordAbsence records the supervisee's absence as a gap, or starts the
// pack's cover deadlines for the supervisor's absence that lasts (or may
// last) beyond each threshold.
func (w *supervision) recordAbsence(ctx workflow.Context, in AbsenceInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateRecordAbsence
	st.Absences++
	detail := map[string]any{"who": in.Who, "kind": in.Kind, "from": in.From.String(), "to": in.To.String()}
	ev := decision.Event{Actor: in.Actor, Action: "supervision.absence_recorded", Reason: in.Reason, RuleID: st.Session.Rule, Detail: detail}
	if in.Who == "supervisee" {
		st.Gaps = append(st.Gaps, Gap{Seq: st.Absences, Kind: in.Kind, From: in.From, To: in.To, Reason: in.Reason})
		w.record(ctx, "absence:"+in.RequestID, ev)
		return w.result(), nil
	}
	a := &SupervisorAbsent{Seq: st.Absences, Kind: in.Kind, From: in.From, To: in.To}
	for _, rule := range w.in.SupervisorAbsence {
		beyond := rule.After.AddTo(in.From, w.cal) // absent after this day: cover is needed
		if !in.To.IsZero() && !in.To.After(beyond) {
			a.Covers = append(a.Covers, CoverState{DueState: DueState{Due: beyond, Rule: rule.Rule}, Closed: true})
			continue
		}
		due := beyond
		if !rule.CoverWithin.IsZero() {
			due = rule.CoverWithin.AddTo(beyond, w.cal)
		}
		a.Covers = append(a.Covers, CoverState{DueState: DueState{Due: due, Rule: rule.Rule}})
	}
	st.Absence = a
	var covers []string
	for i, c := range a.Covers {
		if !c.Closed {
			ev.Due = append(ev.Due, w.dueOf(coverKey(a.Seq, i), ItemCover, c.DueState, "due", policy.Date{}))
			covers = append(covers, c.Due.String())
			ev.RuleID = c.Rule
		}
	}
	detail["cover_due"] = covers
	w.record(ctx, "absence:"+in.RequestID, ev)
	return w.result(), nil
}

func (w *supervision) validateReturn(ctx workflow.Context, in ReturnInput) error {
	if err := w.check(ctx, in.RequestID, "on", in.On); err != nil {
		return err
	}
	var from policy.Date
	switch in.Who {
	case "supervisee":
		g := w.openGap()
		if g == nil {
			return conflict("who", "the supervisee has no open absence")
		}
		from = g.From
	case "supervisor":
		if w.st.Absence == nil {
			return conflict("who", "the supervisor has no open absence")
		}
		from = w.st.Absence.From
	default:
		return invalid("who", fmt.Sprintf("%q is not one of %v", in.Who, AbsentParties))
	}
	if in.On.Before(from) {
		return invalid("on", fmt.Sprintf("%s is before the absence began on %s", in.On, from))
	}
	return nil
}

// recordReturn ends an open absence; cover no longer arranged is not needed.
func (w *supervision) recordReturn(ctx workflow.Context, in ReturnInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateRecordReturn
	ev := decision.Event{Actor: in.Actor, Action: "supervision.returned", RuleID: st.Session.Rule, Detail: map[string]any{"who": in.Who, "on": in.On.String()}}
	if in.Who == "supervisee" {
		w.openGap().To = in.On
	} else {
		ev.Due = w.closeCovers()
		st.Absence = nil
	}
	w.record(ctx, "return:"+in.RequestID, ev)
	return w.result(), nil
}

// closeCovers closes the open cover deadlines of the supervisor's absence.
func (w *supervision) closeCovers() []decision.DueItemRecord {
	a := w.st.Absence
	if a == nil {
		return nil
	}
	var out []decision.DueItemRecord
	for i := range a.Covers {
		if c := &a.Covers[i]; c.MetOn.IsZero() && !c.Closed {
			c.Closed = true
			out = append(out, w.dueOf(coverKey(a.Seq, i), ItemCover, c.DueState, "closed", policy.Date{}))
		}
	}
	return out
}

func (w *supervision) validateCover(ctx workflow.Context, in CoverInput) error {
	if err := w.check(ctx, in.RequestID, "from", in.From); err != nil {
		return err
	}
	if w.st.Absence == nil {
		return conflict("cover_supervisor_id", "the supervisor has no open absence to cover")
	}
	switch in.CoverSupervisorID {
	case "":
		return invalid("cover_supervisor_id", "is required")
	case w.in.Person.StaffID:
		return invalid("cover_supervisor_id", "a supervisee cannot cover their own supervision")
	case w.st.SupervisorID:
		return invalid("cover_supervisor_id", fmt.Sprintf("%s is the absent supervisor", in.CoverSupervisorID))
	}
	return nil
}

// arrangeCover meets every open cover deadline of the absence.
func (w *supervision) arrangeCover(ctx workflow.Context, in CoverInput) (SupervisionChange, error) {
	w.touch()
	a := w.st.Absence
	w.st.Requests[in.RequestID] = UpdateArrangeCover
	a.CoverBy = in.CoverSupervisorID
	ev := decision.Event{
		Actor: in.Actor, Action: "supervision.cover_arranged", RuleID: w.st.Session.Rule,
		Detail: map[string]any{"cover_supervisor_id": in.CoverSupervisorID, "from": in.From.String(), "absent_since": a.From.String()},
	}
	for i := range a.Covers {
		if c := &a.Covers[i]; c.MetOn.IsZero() && !c.Closed {
			c.MetOn = in.From
			ev.RuleID = c.Rule
			ev.Due = append(ev.Due, w.dueOf(coverKey(a.Seq, i), ItemCover, c.DueState, "met", in.From))
		}
	}
	w.record(ctx, "cover:"+in.RequestID, ev)
	return w.result(), nil
}

// --- shifts, observation, appraisal -----------------------------------------

func (w *supervision) validateShifts(ctx workflow.Context, in ShiftsInput) error {
	if err := w.check(ctx, in.RequestID, "through", in.Through); err != nil {
		return err
	}
	if !w.in.Cadence.ByShifts() {
		return invalidRule("shifts", fmt.Sprintf("supervision of a %s is not counted in shifts", w.in.Person.Role), w.in.Cadence.Rule)
	}
	if in.Shifts < 1 || in.Shifts > maxShiftsAtOnce {
		return invalid("shifts", fmt.Sprintf("%d: give 1 to %d shifts", in.Shifts, maxShiftsAtOnce))
	}
	return nil
}

// recordShifts counts shifts worked; once the pack's number is reached a
// session is due, on the day the last of them was worked.
func (w *supervision) recordShifts(ctx workflow.Context, in ShiftsInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateRecordShifts
	st.Shifts += in.Shifts
	c := w.in.Cadence
	ev := decision.Event{
		Actor: in.Actor, Action: "supervision.shifts_recorded", RuleID: c.Rule,
		Detail: map[string]any{"shifts": in.Shifts, "through": in.Through.String(), "since_session": st.Shifts},
	}
	if st.Shifts >= c.EveryShifts && st.Session.Due.IsZero() {
		st.Session = DueState{Seq: st.Session.Seq + 1, Due: in.Through, Rule: c.Rule}
		ev.Due = append(ev.Due, w.dueOf(fmt.Sprintf("session:%d", st.Session.Seq), ItemSession, st.Session, "due", policy.Date{}))
	}
	w.record(ctx, "shifts:"+in.RequestID, ev)
	return w.result(), nil
}

func (w *supervision) validateObservation(ctx workflow.Context, in ObservationInput) error {
	if err := w.check(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	if w.st.Observation.Due.IsZero() {
		return invalid("held_on", fmt.Sprintf("the %s pack sets no practice observation to record", w.in.Pack.Authority))
	}
	if in.ObserverID == "" {
		return invalid("observer_id", "is required")
	}
	return nil
}

func (w *supervision) recordObservation(ctx workflow.Context, in ObservationInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateRecordObservation
	met := st.Observation
	st.Observation = DueState{Seq: met.Seq + 1, Due: w.in.Duties.Observation.Period.AddTo(in.HeldOn, w.cal), Rule: met.Rule}
	detail := map[string]any{"held_on": in.HeldOn.String(), "observer_id": in.ObserverID, "next_due": st.Observation.Due.String()}
	var late *LateRecord
	if rd := w.in.ObservationRecord; rd != nil {
		// The supervisor records it within the pack's limit (C-REC-4); a
		// late record is kept and flagged, so the observation still counts.
		due := rd.Due(in.HeldOn, w.cal)
		detail["record_due"], detail["record_rule"] = due.String(), rd.Rule
		if today(ctx).After(due) {
			late = &LateRecord{Due: due, Rule: rd.Rule}
			detail["recorded_late"] = true
		}
	}
	w.record(ctx, "observation:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "supervision.observation_recorded", RuleID: met.Rule, Reason: in.Notes,
		Detail: detail,
		Due: []decision.DueItemRecord{
			w.dueOf(fmt.Sprintf("observation:%d", met.Seq), ItemObservation, met, "met", in.HeldOn),
			w.dueOf(fmt.Sprintf("observation:%d", st.Observation.Seq), ItemObservation, st.Observation, "due", policy.Date{}),
		},
	})
	return SupervisionChange{Status: st.Status, NextDue: st.Observation.Due, Rule: st.Observation.Rule, RecordedLate: late}, nil
}

func (w *supervision) validateAppraisal(ctx workflow.Context, in AppraisalInput) error {
	if err := w.check(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	if !slices.Contains(AppraisalKinds, in.Kind) {
		return invalid("kind", fmt.Sprintf("%q is not one of %v", in.Kind, AppraisalKinds))
	}
	if in.Kind == "progress" {
		if w.st.Progress.Due.IsZero() {
			return invalid("kind", fmt.Sprintf("the %s pack sets no progress review to record", w.in.Pack.Authority))
		}
		return nil
	}
	if w.st.Appraisal.Due.IsZero() {
		return invalid("kind", fmt.Sprintf("the %s pack sets no appraisal review to record", w.in.Pack.Authority))
	}
	if in.Kind == "mid_term" && w.st.MidTerm.Due.IsZero() {
		return conflict("kind", "no mid-term review is due: the pack sets none, or it was held this appraisal year")
	}
	return nil
}

// recordAppraisal meets the appraisal (the next is due a period later, with
// a new mid-term review) or its mid-term review.
func (w *supervision) recordAppraisal(ctx workflow.Context, in AppraisalInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateRecordAppraisal
	d := w.in.Duties
	var due []decision.DueItemRecord
	var rule string
	next := &st.Appraisal
	switch in.Kind {
	case "progress":
		// The next progress review is due a period after this one.
		met := st.Progress
		rule = met.Rule
		st.Progress = DueState{Seq: met.Seq + 1, Due: d.ProgressReview.Period.AddTo(in.HeldOn, w.cal), Rule: met.Rule}
		next = &st.Progress
		due = append(due,
			w.dueOf(fmt.Sprintf("progress-review:%d", met.Seq), ItemProgress, met, "met", in.HeldOn),
			w.dueOf(fmt.Sprintf("progress-review:%d", st.Progress.Seq), ItemProgress, st.Progress, "due", policy.Date{}))
	case "mid_term":
		met := st.MidTerm
		rule = met.Rule
		st.MidTerm = DueState{Seq: met.Seq}
		due = append(due, w.dueOf(fmt.Sprintf("appraisal-mid-term:%d", met.Seq), ItemMidTerm, met, "met", in.HeldOn))
	default:
		met := st.Appraisal
		rule = met.Rule
		st.Appraisal = DueState{Seq: met.Seq + 1, Due: d.Appraisal.Period.AddTo(in.HeldOn, w.cal), Rule: met.Rule}
		due = append(due,
			w.dueOf(fmt.Sprintf("appraisal:%d", met.Seq), ItemAppraisal, met, "met", in.HeldOn),
			w.dueOf(fmt.Sprintf("appraisal:%d", st.Appraisal.Seq), ItemAppraisal, st.Appraisal, "due", policy.Date{}))
		if m := d.AppraisalMidTerm; m != nil {
			// A mid-term review still open is overtaken by the appraisal itself.
			if old := st.MidTerm; !old.Due.IsZero() {
				due = append(due, w.dueOf(fmt.Sprintf("appraisal-mid-term:%d", old.Seq), ItemMidTerm, old, "closed", policy.Date{}))
			}
			st.MidTerm = DueState{Seq: st.MidTerm.Seq + 1, Due: m.Period.AddTo(in.HeldOn, w.cal), Rule: m.Rule}
			due = append(due, w.dueOf(fmt.Sprintf("appraisal-mid-term:%d", st.MidTerm.Seq), ItemMidTerm, st.MidTerm, "due", policy.Date{}))
		}
	}
	w.record(ctx, "appraisal:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "supervision.appraisal_recorded", RuleID: rule, Reason: in.Notes,
		Detail: map[string]any{"kind": in.Kind, "held_on": in.HeldOn.String()},
		Due:    due,
	})
	return SupervisionChange{Status: st.Status, NextDue: next.Due, Rule: next.Rule}, nil
}

// --- cadence changes --------------------------------------------------------

func (w *supervision) validateStudentPhase(ctx workflow.Context, in StudentPhaseInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	c := w.in.Cadence
	if c.ThenFrom != "agreed" {
		return invalidRule("from", fmt.Sprintf("the cadence of a %s does not change on an agreed date", w.in.Person.Role), c.Rule)
	}
	if err := w.notBeforeStart("from", in.From); err != nil {
		return err
	}
	if !w.st.AgreedFrom.IsZero() {
		return conflict("from", fmt.Sprintf("the change was already agreed from %s", w.st.AgreedFrom))
	}
	return nil
}

// agreeStudentPhase records the date the second cadence starts: sessions
// held from then on set the next due by it.
func (w *supervision) agreeStudentPhase(ctx workflow.Context, in StudentPhaseInput) (SupervisionChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateAgreeStudentPhase
	w.st.AgreedFrom = in.From
	c := w.in.Cadence
	w.record(ctx, "phase:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "supervision.phase_agreed", RuleID: c.ThenRule,
		Detail: map[string]any{"from": in.From.String(), "every": c.Every.String(), "then_every": c.ThenEvery.String()},
	})
	return w.result(), nil
}

func (w *supervision) validateExtraSessions(ctx workflow.Context, in ExtraSessionsInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	if w.in.Cadence.Extra == nil {
		return invalid("reason", fmt.Sprintf("the %s pack gives no cadence for extra sessions", w.in.Pack.Authority))
	}
	if !slices.Contains(ExtraReasons, in.Reason) {
		return invalid("reason", fmt.Sprintf("%q is not one of %v", in.Reason, ExtraReasons))
	}
	if err := w.notBeforeStart("from", in.From); err != nil {
		return err
	}
	if in.Until.IsZero() {
		return invalid("until", "is required")
	}
	if !in.Until.After(in.From) {
		return invalid("until", fmt.Sprintf("%s is not after %s", in.Until, in.From))
	}
	if in.From.DaysUntil(in.Until) > maxExtraWindowDays {
		return invalid("until", fmt.Sprintf("extra sessions run at most %d days", maxExtraWindowDays))
	}
	if x := w.st.Extra; x != nil && !in.From.After(x.Until) && !x.From.After(in.Until) {
		return conflict("from", fmt.Sprintf("extra sessions already run from %s to %s", x.From, x.Until))
	}
	return nil
}

// addExtraSessions runs the extra cadence for a while; the session due moves
// earlier when the extra cadence asks for one sooner.
func (w *supervision) addExtraSessions(ctx workflow.Context, in ExtraSessionsInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateAddExtraSessions
	st.Extra = &ExtraWindow{From: in.From, Until: in.Until, Reason: in.Reason}
	x := w.in.Cadence.Extra
	ev := decision.Event{
		Actor: in.Actor, Action: "supervision.extra_sessions", RuleID: x.Rule, Reason: in.Reason,
		Detail: map[string]any{"from": in.From.String(), "until": in.Until.String(), "every": x.Every.String()},
	}
	sooner := w.sessionDue(x.Every, laterOf(st.LastSessionOn, in.From))
	if st.Session.Due.IsZero() || sooner.Before(st.Session.Due) {
		if !st.Session.Due.IsZero() {
			ev.Due = append(ev.Due, w.dueOf(fmt.Sprintf("session:%d", st.Session.Seq), ItemSession, st.Session, "closed", policy.Date{}))
		}
		st.Session = DueState{Seq: st.Session.Seq + 1, Due: sooner, Rule: x.Rule}
		ev.Due = append(ev.Due, w.dueOf(fmt.Sprintf("session:%d", st.Session.Seq), ItemSession, st.Session, "due", policy.Date{}))
	}
	w.record(ctx, "extra:"+in.RequestID, ev)
	return w.result(), nil
}

// --- supervisor -------------------------------------------------------------

func (w *supervision) validateSupervisor(ctx workflow.Context, in SupervisorInput) error {
	if err := w.check(ctx, in.RequestID, "from", in.From); err != nil {
		return err
	}
	return checkSupervisorChange(in, w.in.Person.StaffID, w.st.SupervisorID)
}

// changeSupervisor passes the file to the new supervisor; every due date
// stays. Cover for the previous supervisor's absence is no longer needed.
func (w *supervision) changeSupervisor(ctx workflow.Context, in SupervisorInput) (SupervisionChange, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateChangeSupervisor
	previous := st.SupervisorID
	st.SupervisorID, st.ManagerID = in.SupervisorID, in.ManagerID
	due := w.closeCovers()
	st.Absence = nil
	w.record(ctx, "supervisor:"+in.RequestID, decision.Event{
		Actor:      in.Actor,
		Action:     "supervision.supervisor_changed",
		RuleID:     st.Session.Rule,
		Detail:     map[string]any{"from_supervisor": previous, "to_supervisor": in.SupervisorID, "next_due": st.Session.Due.String()},
		Supervisor: &decision.SupervisorRecord{StaffID: w.in.Person.StaffID, SupervisorID: in.SupervisorID, From: in.From.String()},
		Due:        due,
	})
	return w.result(), nil
}
