package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Updates on Supervision (it also answers UpdateChangeSupervisor and the
// leave signal, as every person's lifecycle does).
const (
	UpdateRecordSupervision = "RecordSupervision" // a session held
	UpdateBookSupervision   = "BookSupervision"   // sessions booked ahead
	UpdateCancelSupervision = "CancelSupervision" // a booked session cancelled (or rearranged)
	UpdateRecordAbsence     = "RecordAbsence"     // the supervisee's or the supervisor's absence
	UpdateRecordReturn      = "RecordReturn"      // the end of an open absence
	UpdateArrangeCover      = "ArrangeCover"      // cover for an absent supervisor
	UpdateRecordShifts      = "RecordShifts"      // shifts worked (a cadence counted in shifts)
	UpdateRecordObservation = "RecordObservation" // the practice observation
	UpdateShareAgenda       = "ShareAgenda"       // the supervisee's agenda for a booked session
	UpdateRecordAppraisal   = "RecordAppraisal"   // the appraisal or its mid-term review
	UpdateAgreeStudentPhase = "AgreeStudentPhase" // the date a student's second cadence starts
	UpdateAddExtraSessions  = "AddExtraSessions"  // extra sessions during induction or after a long absence
)

// Due item kinds of personal supervision.
const (
	ItemSession     = "supervision_session"
	ItemBooking     = "supervision_booking"
	ItemHorizon     = "supervision_booking_horizon"
	ItemRebooking   = "supervision_rebooking"
	ItemCover       = "supervision_cover"
	ItemGap         = "supervision_gap"
	ItemObservation = "practice_observation"
	ItemAppraisal   = "appraisal"
	ItemMidTerm     = "appraisal_mid_term"
	ItemProgress    = "progress_review"
)

// Supervision status values.
const (
	SupervisionActive = "active"
	SupervisionClosed = "closed" // the person left
)

// SupervisionInput starts (or continues) a supervisee's personal
// supervision. The rules travel in the input, so the history pins the pack
// it started under; State is nil on the first run and carried across
// continue-as-new.
type SupervisionInput struct {
	Person  Person                 `json:"person"`
	Pack    policy.PackRef         `json:"pack"`
	Cadence policy.PersonalCadence `json:"cadence"`
	// SessionMinutes is the pack's session length (nil: the policy gives none).
	SessionMinutes    *policy.SessionLength    `json:"session_minutes,omitempty"`
	BookingHorizon    *policy.Span             `json:"booking_horizon,omitempty"`
	RebookWithin      *policy.Span             `json:"rebook_within,omitempty"`
	SupervisorAbsence []policy.AbsenceCover    `json:"supervisor_absence,omitempty"`
	Duties            policy.SupervisionDuties `json:"duties"`
	// ObservationRecord is how soon after a practice observation its
	// record is due (nil: the pack sets no limit).
	ObservationRecord *policy.RecordDeadline `json:"observation_record,omitempty"`
	// Agenda is how long before a session its agenda is shared (nil: the
	// pack sets no agenda).
	Agenda      *policy.RecordDeadline `json:"agenda,omitempty"`
	SignOff     policy.SignOff         `json:"sign_off"`
	Escalation  policy.Escalation      `json:"escalation"`
	ClosureDays []policy.Date          `json:"closure_days,omitempty"`
	// FirstDue is set when a passed ASYE hands over: the first session is due
	// when the ASYE's next one was, so the cadence continues without a gap.
	FirstDue policy.Date `json:"first_due"`
	// LastHeld is an imported worker's last session before securebase: the
	// first is due one interval after it, not after the start.
	LastHeld policy.Date       `json:"last_held,omitzero"`
	Actor    string            `json:"actor"`
	State    *SupervisionState `json:"state,omitempty"`

	// NonWorkingDay moves a session due on a day nobody works (nil: it stays).
	NonWorkingDay *policy.NonWorkingDay `json:"non_working_day,omitempty"`
}

// SupervisionState is everything the lifecycle knows; deadlines are absolute
// dates so a continue-as-new or restart recomputes the same timers. A duty
// with a zero Due is not open.
type SupervisionState struct {
	Status        string      `json:"status"`
	Opened        policy.Date `json:"opened"` // the day this lifecycle began
	SupervisorID  string      `json:"supervisor_id"`
	ManagerID     string      `json:"manager_id,omitempty"`
	Sessions      int         `json:"sessions"`
	LastSessionOn policy.Date `json:"last_session_on"`
	LastRecordID  string      `json:"last_record_id,omitempty"`
	Session       DueState    `json:"session"`
	// AgreedFrom is the agreed start of a student's second cadence.
	AgreedFrom policy.Date  `json:"agreed_from"`
	Extra      *ExtraWindow `json:"extra,omitempty"`
	// Shifts worked since the last session (a cadence counted in shifts).
	Shifts      int               `json:"shifts"`
	Bookings    []Booking         `json:"bookings"`
	Horizon     DueState          `json:"horizon"`
	Rebookings  []Rebooking       `json:"rebookings"`
	Observation DueState          `json:"observation"`
	Appraisal   DueState          `json:"appraisal"`
	MidTerm     DueState          `json:"mid_term"`
	Progress    DueState          `json:"progress_review,omitzero"`
	Gaps        []Gap             `json:"gaps"`
	Absence     *SupervisorAbsent `json:"supervisor_absence,omitempty"`
	Absences    int               `json:"absences"` // absences recorded, for keys
	ClosedOn    policy.Date       `json:"closed_on"`
	CloseReason string            `json:"close_reason,omitempty"`
	// Requests maps a processed request id to what it asked, so a request id
	// is used once across updates and continue-as-new runs.
	Requests map[string]string `json:"requests"`
	// AcademyAttended counts the Academy group supervisions attended (a
	// student's, C-ASYE-10: shown, never due).
	AcademyAttended int `json:"academy_attended,omitempty"`

	// ShortSessions are the latest sessions shorter than the pack's usual
	// length (guidance): recorded and flagged, never refused.
	ShortSessions []ShortSessionFlag `json:"short_sessions,omitempty"`
}

// ExtraWindow is a stretch of extra sessions at the pack's extra cadence.
type ExtraWindow struct {
	From   policy.Date `json:"from"`
	Until  policy.Date `json:"until"`
	Reason string      `json:"reason"`
}

// Booking status values.
const (
	BookingBooked    = "booked"
	BookingHeld      = "held"
	BookingCancelled = "cancelled"
	BookingLapsed    = "lapsed" // a later session was held instead
)

// Booking is one session date agreed ahead.
type Booking struct {
	On          policy.Date `json:"on"`
	Status      string      `json:"status"`
	CancelledBy string      `json:"cancelled_by,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	// AgendaShared is the day the supervisee shared the agenda; AgendaLate
	// flags one shared after it was due (kept, never refused).
	AgendaShared policy.Date `json:"agenda_shared,omitzero"`
	AgendaLate   bool        `json:"agenda_late,omitempty"`
}

// Rebooking is the deadline to hold a cancelled session again.
type Rebooking struct {
	BookedOn    policy.Date `json:"booked_on"`
	CancelledOn policy.Date `json:"cancelled_on"`
	DueState
	MetOn policy.Date `json:"met_on"`
}

// Gap is a stretch of the supervisee's leave or sickness: it explains a gap
// in supervision and goes on the next record.
type Gap struct {
	Seq    int         `json:"seq"`
	Kind   string      `json:"kind"`
	From   policy.Date `json:"from"`
	To     policy.Date `json:"to"`
	Reason string      `json:"reason,omitempty"`
	// OnRecord is the record the gap was reported on ("" until the next session).
	OnRecord string `json:"on_record,omitempty"`
}

// SupervisorAbsent is the supervisor's open absence and the cover it calls for.
type SupervisorAbsent struct {
	Seq    int          `json:"seq"`
	Kind   string       `json:"kind"`
	From   policy.Date  `json:"from"`
	To     policy.Date  `json:"to"`
	Covers []CoverState `json:"covers"`
	// CoverBy is who covers, once arranged.
	CoverBy string `json:"cover_by,omitempty"`
}

// CoverState is one of the pack's cover deadlines for an absence.
type CoverState struct {
	DueState
	MetOn  policy.Date `json:"met_on"`
	Closed bool        `json:"closed"` // no longer needed: the supervisor returned or changed
}

// SupervisionResult is how the lifecycle ended.
type SupervisionResult struct {
	Status   string      `json:"status"`
	ClosedOn policy.Date `json:"closed_on"`
	Reason   string      `json:"reason,omitempty"`
}

// NewSupervisionInput is what onboarding (or a passed ASYE) starts personal
// supervision with: the person and the parts of the pack the lifecycle reads.
func NewSupervisionInput(p Person, pack *policy.Pack, actor string) SupervisionInput {
	in := SupervisionInput{Person: p, Actor: actor}
	if pack == nil {
		return in
	}
	ps := pack.PersonalSupervision
	in.Pack, in.Escalation, in.ClosureDays = pack.Ref(), pack.Escalation, pack.ClosureDays
	in.Cadence = ps.CadenceFor(p.Role)
	if ps != nil {
		in.SessionMinutes, in.BookingHorizon, in.RebookWithin = ps.SessionMinutes, ps.BookingHorizon, ps.RebookWithin
		in.SupervisorAbsence = ps.SupervisorAbsence
		in.NonWorkingDay = ps.NonWorkingDay
		in.Duties = ps.Duties()
	}
	if rd, ok := pack.CaseSupervision.Record("practice_observation"); ok {
		in.ObservationRecord = &rd
	}
	if rd, ok := pack.CaseSupervision.Record("agenda"); ok {
		in.Agenda = &rd
	}
	if pack.SignOff != nil {
		in.SignOff = *pack.SignOff
	}
	return in
}

// supervision is one run of the lifecycle on the shared machinery.
type supervision struct {
	*lifecycle
	in SupervisionInput
	st *SupervisionState
}

// Supervision keeps a supervisee's personal supervision on time: sessions at
// the pack's cadence for their role, bookings ahead, cancellations and their
// rebooking deadline, absences and cover, the practice observation and
// appraisal; every session held starts its record's sign-off.
func Supervision(ctx workflow.Context, in SupervisionInput) (SupervisionResult, error) {
	p := in.Person
	w := &supervision{
		lifecycle: newLifecycle(ctx, "supervision", "personal supervision", p.StaffID, p.Name, p.Authority, p.Team, in.Pack, in.ClosureDays, in.Escalation),
		in:        in,
	}
	if in.State == nil {
		w.initState(today(ctx), importing(ctx, "supervision-import-v1", !in.LastHeld.IsZero() || !p.DutiesFrom.IsZero()))
	} else {
		w.st = in.State
	}
	// Handlers first: an update or query may arrive before the first write.
	if err := w.registerHandlers(ctx); err != nil {
		return SupervisionResult{}, err
	}
	w.onLeave(ctx, w.leave)
	w.holder = func() (string, string) { return w.st.SupervisorID, w.st.Status }
	if in.State == nil {
		detail := map[string]any{
			"role": p.Role, "cadence_role": in.Cadence.Role, "cadence": w.cadenceText(today(ctx)),
			"first_due": w.st.Session.Due.String(), "handed_over": !in.FirstDue.IsZero(),
		}
		if !in.LastHeld.IsZero() {
			detail["last_held"] = in.LastHeld.String() // imported
		}
		w.record(ctx, "started", decision.Event{
			Actor:  in.Actor,
			Action: "supervision.started",
			RuleID: w.st.Session.Rule,
			Detail: detail,
			Due:    w.allDue(),
		})
	}
	w.findNextPack(ctx, w.moveTo) // a later version of the pack: move to it on its day (packmove.go)
	again, err := w.run(ctx, w.finished, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return SupervisionResult{}, err
	}
	if again {
		next := w.in
		next.State = w.compact()
		return SupervisionResult{}, workflow.NewContinueAsNewError(ctx, SupervisionWorkflow, next)
	}
	return SupervisionResult{Status: w.st.Status, ClosedOn: w.st.ClosedOn, Reason: w.st.CloseReason}, nil
}

// initState opens the duties: from the start, or for an imported worker
// from their last session (else the day of import).
func (w *supervision) initState(opened policy.Date, imported bool) {
	p := w.in.Person
	from, yearFrom := p.Start, p.Start
	if imported {
		if !p.DutiesFrom.IsZero() {
			from, yearFrom = p.DutiesFrom, p.DutiesFrom
		}
		if !w.in.LastHeld.IsZero() {
			from = w.in.LastHeld
		}
	}
	st := &SupervisionState{
		Status: SupervisionActive, Opened: opened, SupervisorID: p.SupervisorID, ManagerID: p.ManagerID,
		Requests: map[string]string{},
	}
	w.st = st
	if w.in.Cadence.Timed() {
		first := w.in.FirstDue
		if first.IsZero() {
			every, _ := w.interval(from)
			first = w.sessionDue(every, from)
		}
		_, rule := w.interval(first)
		st.Session = DueState{Seq: 1, Due: first, Rule: rule}
	}
	w.refreshHorizon(opened)
	d := w.in.Duties
	firstYear := func(s *policy.Span) DueState {
		if s == nil {
			return DueState{}
		}
		return DueState{Seq: 1, Due: laterOf(s.Period.AddTo(yearFrom, w.cal), opened), Rule: s.Rule}
	}
	st.Observation = firstYear(d.Observation)
	st.Appraisal = firstYear(d.Appraisal)
	st.MidTerm = firstYear(d.AppraisalMidTerm)
	st.Progress = firstYear(d.ProgressReview)
}

func laterOf(a, b policy.Date) policy.Date {
	if a.Before(b) {
		return b
	}
	return a
}

// sessionDue is the day a session is due one interval after from, moved off
// a day nobody works the way the pack says.
func (w *supervision) sessionDue(every policy.Period, from policy.Date) policy.Date {
	return w.in.NonWorkingDay.Adjust(every.AddTo(from, w.cal), w.cal)
}

func (w *supervision) finished() bool { return w.st.Status == SupervisionClosed }

// interval is how often a session is due on a day: the extra cadence while
// extra sessions run, else the role's cadence in its phase.
func (w *supervision) interval(on policy.Date) (policy.Period, string) {
	if x, c := w.st.Extra, w.in.Cadence.Extra; x != nil && c != nil && !on.Before(x.From) && !on.After(x.Until) {
		return c.Every, c.Rule
	}
	return w.in.Cadence.IntervalOn(w.in.Person.Start, on, w.st.AgreedFrom, w.cal)
}

// cadenceText says how often sessions are due today, for the schedule.
func (w *supervision) cadenceText(on policy.Date) string {
	c := w.in.Cadence
	switch {
	case c.ByShifts():
		return fmt.Sprintf("every %d shifts", c.EveryShifts)
	case !c.Timed():
		return ""
	}
	every, _ := w.interval(on)
	return every.String()
}

// duty is one open deadline, named for notices and the projection.
type duty struct {
	d          *DueState
	key, kind  string
	what       string
	supervisor string // who is told it is overdue
}

// duties are every open deadline, in a fixed order.
func (w *supervision) duties() []duty {
	st := w.st
	var out []duty
	add := func(d *DueState, key, kind, what string) {
		if !d.Due.IsZero() {
			out = append(out, duty{d: d, key: key, kind: kind, what: what, supervisor: st.SupervisorID})
		}
	}
	add(&st.Session, fmt.Sprintf("session:%d", st.Session.Seq), ItemSession, "supervision session")
	add(&st.Horizon, fmt.Sprintf("booking-horizon:%d", st.Horizon.Seq), ItemHorizon, "booking of sessions ahead")
	for i := range st.Rebookings {
		if r := &st.Rebookings[i]; r.MetOn.IsZero() {
			add(&r.DueState, rebookKey(r), ItemRebooking, fmt.Sprintf("rebooking of the session cancelled from %s", r.BookedOn))
		}
	}
	if a := st.Absence; a != nil {
		for i := range a.Covers {
			if c := &a.Covers[i]; c.MetOn.IsZero() && !c.Closed {
				add(&c.DueState, coverKey(a.Seq, i), ItemCover, fmt.Sprintf("cover for the supervisor absent since %s", a.From))
			}
		}
	}
	add(&st.Observation, fmt.Sprintf("observation:%d", st.Observation.Seq), ItemObservation, "practice observation")
	add(&st.Appraisal, fmt.Sprintf("appraisal:%d", st.Appraisal.Seq), ItemAppraisal, "appraisal review")
	add(&st.MidTerm, fmt.Sprintf("appraisal-mid-term:%d", st.MidTerm.Seq), ItemMidTerm, "mid-term appraisal review")
	add(&st.Progress, fmt.Sprintf("progress-review:%d", st.Progress.Seq), ItemProgress, "progress review")
	return out
}

func coverKey(absence, i int) string { return fmt.Sprintf("cover:%d:%d", absence, i) }

func (w *supervision) nextDeadline() (time.Time, bool) {
	if w.finished() {
		return time.Time{}, false
	}
	var ds []DueState
	for _, d := range w.duties() {
		ds = append(ds, *d.d)
	}
	return w.earliest(ds...)
}

// fireDeadlines records every overdue and escalation whose time has come.
func (w *supervision) fireDeadlines(ctx workflow.Context) {
	if w.finished() {
		return
	}
	for _, d := range w.duties() {
		w.fire(ctx, d.d, d.key, d.kind, d.what, d.supervisor, w.st.ManagerID)
	}
}

// allDue is the projection of every open duty.
func (w *supervision) allDue() []decision.DueItemRecord {
	var out []decision.DueItemRecord
	for _, d := range w.duties() {
		out = append(out, w.dueItem(d.key, d.kind, d.d.Due, dueStatus(d.d.Overdue), policy.Date{}, d.d.Rule))
	}
	return out
}

// dueOf projects one duty with a status.
func (w *supervision) dueOf(key, kind string, d DueState, status string, met policy.Date) decision.DueItemRecord {
	return w.dueItem(key, kind, d.Due, status, met, d.Rule)
}

// refreshHorizon recomputes the booking duty: bookings must reach far
// enough that, one session on from the last one booked, the pack's horizon
// is still covered. With no booking yet, booking is due the day the
// lifecycle opens. It returns the met occurrence when the bookings now
// reach further than the duty asked.
func (w *supervision) refreshHorizon(on policy.Date) *DueState {
	h := w.in.BookingHorizon
	if h == nil || !w.in.Cadence.Timed() {
		return nil
	}
	st := w.st
	due := st.Opened
	if last := w.lastBooked(); !last.IsZero() {
		every, _ := w.interval(last)
		due = laterOf(h.Period.SubtractFrom(every.AddTo(last, w.cal)), st.Opened)
	}
	switch {
	case st.Horizon.Due.IsZero():
		st.Horizon = DueState{Seq: 1, Due: due, Rule: h.Rule}
	case due.After(st.Horizon.Due):
		met := st.Horizon
		st.Horizon = DueState{Seq: met.Seq + 1, Due: due, Rule: h.Rule}
		return &met
	case due.Before(st.Horizon.Due):
		st.Horizon.Due = due
	}
	return nil
}

// lastBooked is the latest date booked or held from a booking.
func (w *supervision) lastBooked() policy.Date {
	var last policy.Date
	for _, b := range w.st.Bookings {
		if (b.Status == BookingBooked || b.Status == BookingHeld) && b.On.After(last) {
			last = b.On
		}
	}
	return last
}

// compact drops what is finished from the state carried into the next run,
// so the history does not grow: settled bookings and rebookings, and gaps
// already on a record.
func (w *supervision) compact() *SupervisionState {
	st := *w.st
	st.Bookings = nil
	for _, b := range w.st.Bookings {
		if b.Status == BookingBooked {
			st.Bookings = append(st.Bookings, b)
		}
	}
	st.Rebookings = nil
	for _, r := range w.st.Rebookings {
		if r.MetOn.IsZero() {
			st.Rebookings = append(st.Rebookings, r)
		}
	}
	st.Gaps = nil
	for _, g := range w.st.Gaps {
		if g.OnRecord == "" {
			st.Gaps = append(st.Gaps, g)
		}
	}
	return &st
}

// leave closes every open duty, recording why, and ends the lifecycle.
func (w *supervision) leave(ctx workflow.Context, s LeaveSignal) {
	if w.finished() {
		return
	}
	var closed []decision.DueItemRecord
	for _, d := range w.duties() {
		closed = append(closed, w.dueOf(d.key, d.kind, *d.d, "closed", policy.Date{}))
	}
	var dropped []string
	for i := range w.st.Bookings {
		if b := &w.st.Bookings[i]; b.Status == BookingBooked {
			b.Status, b.Reason = BookingCancelled, "the supervisee left"
			dropped = append(dropped, b.On.String())
		}
	}
	w.st.Status = SupervisionClosed
	w.st.ClosedOn = s.On
	if w.st.ClosedOn.IsZero() {
		w.st.ClosedOn = today(ctx)
	}
	w.st.CloseReason = "left: " + s.Reason
	w.record(ctx, "closed", decision.Event{
		Actor:  s.Actor,
		Action: "supervision.closed",
		Reason: w.st.CloseReason,
		Detail: map[string]any{"left_on": w.st.ClosedOn.String(), "request_id": s.RequestID, "duties_closed": len(closed), "bookings_cancelled": dropped},
		Due:    closed,
	})
}
