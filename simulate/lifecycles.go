package simulate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Report duty names (models.ComplianceDuties) the simulated lifecycles owe.
const (
	dutyASYE     = "asye_session"
	dutyPersonal = "personal_supervision"
	dutyCase     = "case_supervision"
	dutyRebook   = "rebooking"
)

// window is the stretch of the simulated run: lifecycles start on or after
// First, and nothing is done after Last (the run ends that evening).
type window struct{ First, Last policy.Date }

// nextDueIs checks an update's answer names the next due day the simulator
// reckoned from the pack; field is the JSON name of the answer's next due day.
func nextDueIs(field string, want policy.Date) func([]byte) error {
	return func(raw []byte) error {
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			return err
		}
		if got[field] != want.String() {
			return fmt.Errorf("%s is %v, the simulator reckoned %s", field, got[field], want)
		}
		return nil
	}
}

// closeOpen marks every entry not met by the leave day as closed that day.
func closeOpen(entries []*entry, leave policy.Date) {
	if leave.IsZero() {
		return
	}
	for _, e := range entries {
		if e.Met.IsZero() {
			e.Closed = leave
		}
	}
}

// canAct reports whether the simulator may act on day: within the run and
// before the person leaves (the leave signal comes at noon on the leave day).
func canAct(day policy.Date, w window, leave policy.Date) bool {
	return !day.After(w.Last) && (leave.IsZero() || day.Before(leave))
}

// planSupervision is a supervisee's personal supervision for the run:
// sessions at the pack's cadence for their role, some late, some
// cancelled (and rebooked) where the pack sets a rebooking limit, a lapse
// now and then, and perhaps a leaving day.
func planSupervision(r *rand.Rand, b behaviour, pack *policy.Pack, p workflows.Person, w window, leave policy.Date, signOffs bool) *plan {
	in := workflows.NewSupervisionInput(p, pack, "hr-sim")
	id := workflows.ID(workflows.KindSupervision, p.StaffID)
	pl := &plan{ID: id, Workflow: workflows.SupervisionWorkflow, Input: in, Start: p.Start, SignOffs: signOffs}
	c, cal := in.Cadence, pack.Calendar()
	minutes := 90
	if sl := in.SessionMinutes; sl != nil && sl.Min > minutes {
		minutes = sl.Min
	}
	away := pl.absences(r, p, w, leave)
	if c.Timed() {
		every, _ := c.IntervalOn(p.Start, p.Start, policy.Date{}, cal)
		due, created, last := in.NonWorkingDay.Adjust(every.AddTo(p.Start, cal), cal), p.Start, p.Start
		for n := 1; ; n++ {
			session := &entry{Workflow: id, Duty: dutyPersonal, Due: due, Created: created}
			pl.Entries = append(pl.Entries, session)
			held, lapse := b.heldFor(r, due, last)
			var rebook *entry
			if in.RebookWithin != nil && r.Float64() < b.Cancel {
				// A session booked a few days ahead, cancelled the next day:
				// the pack's rebooking limit runs from the cancellation.
				bookOn := last.AddDays(1)
				if d := due.AddDays(-14); d.After(bookOn) {
					bookOn = d
				}
				booked, cancelOn := bookOn.AddDays(3), bookOn.AddDays(1)
				if canAct(cancelOn, w, leave) {
					pl.Actions = append(pl.Actions,
						action{Day: bookOn, Hour: 9, Update: workflows.UpdateBookSupervision, Arg: workflows.BookingInput{
							RequestID: key("book-", n), Dates: []policy.Date{booked}, Actor: p.SupervisorID}},
						action{Day: cancelOn, Hour: 10, Update: workflows.UpdateCancelSupervision, Arg: workflows.CancellationInput{
							RequestID: key("cancel-", n), BookedOn: booked, CancelledBy: p.StaffID, Reason: "sickness", Actor: p.SupervisorID}},
					)
					rebook = &entry{Workflow: id, Duty: dutyRebook, Due: in.RebookWithin.Period.AddTo(cancelOn, cal), Created: cancelOn}
					pl.Entries = append(pl.Entries, rebook)
					if !lapse && !held.After(cancelOn) {
						held = cancelOn.AddDays(1)
					}
				}
			}
			if !lapse {
				held = returned(held, away)
			}
			if lapse || !canAct(held, w, leave) {
				break
			}
			if rebook == nil { // a rebooked session is booked already
				pl.agenda(r, b, in, p, n, last, held)
			}
			every, _ := c.IntervalOn(p.Start, held, policy.Date{}, cal)
			next := in.NonWorkingDay.Adjust(every.AddTo(held, cal), cal) // off a non-working day (X-WD-1)
			pl.Actions = append(pl.Actions, action{Day: held, Hour: 14, Update: workflows.UpdateRecordSupervision,
				Arg: workflows.SupervisionSessionInput{
					RequestID: key("session-", n), HeldOn: held, DurationMinutes: minutes, SupervisorID: p.SupervisorID, Actor: p.SupervisorID,
				},
				Expect: nextDueIs("next_due", next)})
			session.Met = held
			if rebook != nil {
				rebook.Met = held // the session held after the cancellation is the rebooked one
			}
			pl.signRecord(r, b, pack, p, key("session-", n), held, next, w, leave)
			due, created, last = next, held, held
		}
	}
	pl.reviews(r, b, in, p, w, leave, cal)
	pl.leaves(leave, w)
	return pl
}

// absence is a stretch someone is away: from From, back on To.
type absence struct{ From, To policy.Date }

// absences plans the supervisee's sickness and their supervisor's absence,
// now and then, recorded as the API records them (the absence when it
// begins, the return when it ends); cover is arranged for a supervisor away
// long enough to need it. Sessions wait for both to be back: the pack does
// not move a due day for an absence (the gap goes on the next record), so
// the sessions it delays are late.
func (pl *plan) absences(r *rand.Rand, p workflows.Person, w window, leave policy.Date) []absence {
	var away []absence
	for _, who := range workflows.AbsentParties {
		if r.Float64() >= 0.15 {
			continue
		}
		a := absence{From: p.Start.AddDays(45 + r.IntN(200))}
		a.To = a.From.AddDays(7 + r.IntN(40))
		if !canAct(a.To, w, leave) {
			continue
		}
		away = append(away, a)
		pl.Actions = append(pl.Actions,
			action{Day: a.From, Hour: 8, Update: workflows.UpdateRecordAbsence, Arg: workflows.AbsenceInput{
				RequestID: "absence-" + who, Who: who, Kind: "sickness", From: a.From, Actor: p.SupervisorID}},
			action{Day: a.To, Hour: 8, Update: workflows.UpdateRecordReturn, Arg: workflows.ReturnInput{
				RequestID: "return-" + who, Who: who, On: a.To, Actor: p.SupervisorID}})
		if cover := a.From.AddDays(14 + r.IntN(14)); who == "supervisor" && cover.Before(a.To) {
			pl.Actions = append(pl.Actions, action{Day: cover, Hour: 9, Update: workflows.UpdateArrangeCover, Arg: workflows.CoverInput{
				RequestID: "cover", CoverSupervisorID: p.ManagerID, From: cover, Actor: p.ManagerID}})
		}
	}
	return away
}

// returned is the first day on or after day when nobody is away.
func returned(day policy.Date, away []absence) policy.Date {
	for moved := true; moved; {
		moved = false
		for _, a := range away {
			if !day.Before(a.From) && day.Before(a.To) {
				day, moved = a.To, true
			}
		}
	}
	return day
}

// planASYE is a newly qualified social worker's programme for the run:
// sessions at the phase cadence, the milestone reviews that fall due, some
// late, some never held.
func planASYE(r *rand.Rand, b behaviour, pack *policy.Pack, p workflows.Person, w window, leave policy.Date, signOffs bool) *plan {
	rules, cal := pack.ASYE, pack.Calendar()
	in := workflows.ASYEInput{
		StaffID: p.StaffID, Name: p.Name, Authority: p.Authority, Team: p.Team, SupervisorID: p.SupervisorID, ManagerID: p.ManagerID,
		Start: p.Start, Pack: pack.Ref(), Rules: rules, ClosureDays: pack.ClosureDays, Actor: "hr-sim",
		SignOff: pack.SignOff, StandingEscalation: pack.Escalation,
	}
	id := workflows.ID(workflows.KindASYE, p.StaffID)
	// The ASYE starts a record's sign-off only where the pack sets one.
	pl := &plan{ID: id, Workflow: workflows.ASYEWorkflow, Input: in, Start: p.Start, SignOffs: signOffs && pack.SignOff != nil}
	minutes := max(rules.MinSessionMinutes, 90)
	due, created, last := rules.NextDue(p.Start, p.Start, cal), p.Start, p.Start
	for n := 1; ; n++ {
		session := &entry{Workflow: id, Duty: dutyASYE, Due: due, Created: created}
		pl.Entries = append(pl.Entries, session)
		held, lapse := b.heldFor(r, due, last)
		if lapse || !canAct(held, w, leave) {
			break
		}
		next := rules.NextDue(p.Start, held, cal)
		pl.Actions = append(pl.Actions, action{Day: held, Hour: 14, Update: workflows.UpdateRecordSession,
			Arg: workflows.SessionInput{
				RequestID: key("session-", n), HeldOn: held, DurationMinutes: minutes, SupervisorID: p.SupervisorID, Kind: "individual", Actor: p.SupervisorID,
			},
			Expect: nextDueIs("next_due", next)})
		session.Met = held
		pl.signRecord(r, b, pack, p, key("session-", n), held, next, w, leave)
		due, created, last = next, held, held
	}
	for _, rv := range rules.ReviewDates(p.Start, cal) {
		review := &entry{Workflow: id, Duty: dutyASYE, Due: rv.Due, Created: p.Start}
		pl.Entries = append(pl.Entries, review)
		if r.Float64() < b.ReviewMissed {
			continue
		}
		held, _ := behaviour{Late: b.Late, MaxLateDays: b.MaxLateDays}.heldFor(r, rv.Due, p.Start)
		if !canAct(held, w, leave) {
			continue
		}
		pl.Actions = append(pl.Actions, action{Day: held, Hour: 16, Update: workflows.UpdateRecordReview,
			Arg: workflows.ReviewInput{RequestID: "review-" + rv.Name, Name: rv.Name, HeldOn: held, Actor: p.SupervisorID}})
		review.Met = held
	}
	pl.leaves(leave, w)
	return pl
}

// planCase is a child's case for the run: the allocation supervision where
// the pack asks for one (it is also the case's first supervision), then
// case supervision at the category's cadence, some late, a lapse now and
// then; perhaps a transfer to another worker (its transfer supervision
// held by the outgoing manager where the pack asks for one) and a closure,
// each after the manager's oversight decision where the pack requires it.
func planCase(r *rand.Rand, b behaviour, pack *policy.Pack, c caseSpec, w window) *plan {
	cs := pack.CaseSupervision
	in := workflows.CaseInput{
		CaseID: c.ID, RequestID: "allocate-" + c.ID, Authority: pack.Authority, Team: c.Team, Category: c.Category,
		WorkerID: c.WorkerID, SupervisorID: c.SupervisorID, ManagerID: c.ManagerID, AllocatedOn: c.AllocatedOn,
		Pack: pack.Ref(), Rules: *cs, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: c.SupervisorID,
	}
	id := workflows.ID(workflows.KindCase, c.ID)
	pl := &plan{ID: id, Workflow: workflows.CaseWorkflow, Input: in, Start: c.AllocatedOn}
	cad, _ := cs.Cadence(c.Category)
	cal := pack.Calendar()
	closed := c.CloseOn // nothing is done on the case from its closure on
	decide := func(day policy.Date, kind, actor string) {
		if _, needed := cs.NeedsOversight(kind); needed {
			pl.Actions = append(pl.Actions, action{Day: day, Hour: 9, Update: workflows.UpdateCaseDecision, Arg: workflows.DecisionInput{
				RequestID: kind + "-decision", Kind: kind, DecidedOn: day, Why: "agreed by the team manager", Actor: actor}})
		}
	}
	// The transfer: agreed a week ahead; the case moves when its transfer
	// supervision is held, or at once where the pack asks for none.
	var moved policy.Date
	if t := c.Transfer; t != nil && canAct(t.On.AddDays(-7), w, closed) {
		agreed := t.On.AddDays(-7)
		decide(agreed, "transfer", c.SupervisorID)
		pl.Actions = append(pl.Actions, action{Day: agreed, Hour: 10, Update: workflows.UpdateCaseTransfer, Arg: workflows.TransferInput{
			RequestID: "transfer", ToWorkerID: t.WorkerID, ToTeam: t.Team, ToSupervisorID: t.SupervisorID, ToManagerID: c.ManagerID, On: t.On, Actor: c.SupervisorID}})
		moved = agreed
		if cs.BeforeTransfer != nil {
			e := &entry{Workflow: id, Duty: dutyCase, Due: t.On, Created: agreed}
			pl.Entries = append(pl.Entries, e)
			held, lapse := b.heldFor(r, t.On, agreed.AddDays(-1))
			moved = policy.Date{}
			if !lapse && canAct(held, w, closed) {
				pl.Actions = append(pl.Actions, action{Day: held, Hour: 11, Update: workflows.UpdateCaseSupervision, Arg: workflows.CaseSupervisionInput{
					RequestID: "transfer-supervision", Kind: "transfer", HeldOn: held, SupervisorID: c.SupervisorID, Actor: c.SupervisorID}})
				e.Met, moved = held, held
			}
		}
	}
	supervisor := func(day policy.Date) string {
		if !moved.IsZero() && !day.Before(moved) {
			return c.Transfer.SupervisorID
		}
		return c.SupervisorID
	}
	var alloc, next *entry
	if cs.OnAllocation != nil {
		alloc = &entry{Workflow: id, Duty: dutyCase, Due: c.AllocatedOn, Created: c.AllocatedOn}
		pl.Entries = append(pl.Entries, alloc)
	}
	if cad.Timed() {
		next = &entry{Workflow: id, Duty: dutyCase, Due: cs.NonWorkingDay.Adjust(cad.Every.AddTo(c.AllocatedOn, cal), cal), Created: c.AllocatedOn}
		pl.Entries = append(pl.Entries, next)
	}
	last := c.AllocatedOn.AddDays(-1)
	for n := 1; alloc != nil || next != nil; n++ {
		kind, due := "case", policy.Date{}
		if alloc != nil {
			kind, due = "allocation", alloc.Due
		} else {
			due = next.Due
		}
		held, lapse := b.heldFor(r, due, last)
		if lapse || !canAct(held, w, closed) {
			break
		}
		sup := supervisor(held)
		arg := workflows.CaseSupervisionInput{RequestID: key("supervision-", n), Kind: kind, HeldOn: held, SupervisorID: sup, Actor: sup}
		if kind == "allocation" {
			arg.Plan = "allocation plan agreed"
			alloc.Met, alloc = held, nil
		}
		act := action{Day: held, Hour: 15, Update: workflows.UpdateCaseSupervision, Arg: arg}
		// Any supervision that counts meets the case supervision due and
		// sets the next from the day held.
		if next != nil {
			next.Met = held
			next = &entry{Workflow: id, Duty: dutyCase, Due: cs.NonWorkingDay.Adjust(cad.Every.AddTo(held, cal), cal), Created: held}
			pl.Entries = append(pl.Entries, next)
			act.Expect = nextDueIs("next_due", next.Due)
		}
		pl.Actions = append(pl.Actions, act)
		last = held
	}
	if !closed.IsZero() && !closed.After(w.Last) {
		decide(closed, "closure", supervisor(closed))
		pl.Actions = append(pl.Actions, action{Day: closed, Hour: 12, Update: workflows.UpdateCaseClose, Arg: workflows.CloseInput{
			RequestID: "close", On: closed, Reason: "no further involvement needed", Actor: supervisor(closed)}})
		closeOpen(pl.Entries, closed)
	}
	return pl
}

// caseSpec is one simulated child's case.
type caseSpec struct {
	ID, Team, Category, WorkerID, SupervisorID, ManagerID string
	AllocatedOn                                           policy.Date
	Transfer                                              *transferSpec // nil: the case stays with its worker
	CloseOn                                               policy.Date   // zero: open all year
}

// transferSpec is a case's move to another worker on a day.
type transferSpec struct {
	WorkerID, Team, SupervisorID string
	On                           policy.Date
}

// Report duty names of the agreement and the team duties.
const (
	dutyAgreement = "agreement"
	dutyTeam      = "team_duties"
)

// planAgreement is a supervisee's supervision agreement for the run, driven
// as the API drives it (the supervisor proposes the terms, then both sign):
// signed on time, late or never within the pack's limit, and renewed by
// the lifecycle itself at the pack's interval (met on its day), the new
// version signed again. Where the pack renews, one worker in three is
// imported with an agreement signed last year, so a renewal falls in the year.
func planAgreement(r *rand.Rand, b behaviour, pack *policy.Pack, p workflows.Person, w window, leave policy.Date) *plan {
	in := workflows.NewAgreementInput(p, pack, "hr-sim")
	id := workflows.ID(workflows.KindAgreement, p.StaffID)
	pl := &plan{ID: id, Workflow: workflows.AgreementWorkflow, Input: in, Start: p.Start}
	rules, cal := in.Rules, pack.Calendar()
	renewal := func(agreed, created policy.Date) {
		due, _, ok := rules.RenewalDue(agreed, cal)
		if !ok {
			return
		}
		e := &entry{Workflow: id, Duty: dutyAgreement, Due: due, Created: created}
		pl.Entries = append(pl.Entries, e)
		// The lifecycle opens the renewal at the start of its day (met that
		// day), before a leave signalled at noon.
		if due.After(w.Last) || (!leave.IsZero() && leave.Before(due)) {
			return
		}
		e.Met = due
		pl.signAgreement(r, b, rules, cal, p, id, 2, due, w, leave)
	}
	if rules.RenewEvery != nil && r.IntN(3) == 0 {
		in.SignedOn = p.Start.AddDays(-335 + r.IntN(300))
		pl.Input = in
		renewal(in.SignedOn, p.Start)
	} else if agreed := pl.signAgreement(r, b, rules, cal, p, id, 1, p.Start, w, leave); !agreed.IsZero() {
		renewal(agreed, agreed)
	}
	if !leave.IsZero() && !leave.After(w.Last) {
		pl.Actions = append(pl.Actions, action{Day: leave, Hour: 12, Arg: workflows.LeaveSignal{RequestID: "leave", On: leave, Reason: "resigned", Actor: "hr-sim"}})
		closeOpen(pl.Entries, leave)
	}
	return pl
}

// signAgreement plans version n of the agreement, opened on opened: the
// supervisor proposes the terms that day and both sign on time, late or
// never. It returns the day agreed (zero: not in the run).
func (pl *plan) signAgreement(r *rand.Rand, b behaviour, rules policy.Agreement, cal *policy.Calendar, p workflows.Person, id string, n int, opened policy.Date, w window, leave policy.Date) policy.Date {
	due, _, timed := rules.SignDue(opened, cal)
	if !canAct(opened, w, leave) {
		return policy.Date{}
	}
	signed := opened.AddDays(r.IntN(5))
	switch x := r.Float64(); {
	case x < b.Unsigned:
		signed = policy.Date{}
	case x < b.Unsigned+b.Late && timed:
		signed = due.AddDays(1 + r.IntN(b.MaxLateDays))
	case timed && signed.After(due):
		signed = due
	}
	var e *entry
	if timed { // where the pack sets no limit, no signing is owed by a day
		e = &entry{Workflow: id, Duty: dutyAgreement, Due: due, Created: opened}
		pl.Entries = append(pl.Entries, e)
	}
	pl.Actions = append(pl.Actions, action{Day: opened, Hour: 10, Update: workflows.UpdateProposeAgreementTerms, Arg: workflows.AgreementTermsInput{
		RequestID: key("terms-", n), Frequency: "4w", PurposeAndAims: "support and accountability", Disagreements: "raised with the team manager", Actor: p.SupervisorID}})
	if signed.IsZero() || !canAct(signed, w, leave) {
		return policy.Date{}
	}
	pl.Actions = append(pl.Actions,
		action{Day: signed, Hour: 11, Update: workflows.UpdateSignAgreement, Arg: workflows.AgreementSignInput{RequestID: key("sign-supervisee-", n), SignedOn: signed, Actor: p.StaffID}},
		action{Day: signed, Hour: 12, Update: workflows.UpdateSignAgreement, Arg: workflows.AgreementSignInput{RequestID: key("sign-supervisor-", n), SignedOn: signed, Actor: p.SupervisorID}},
	)
	if e != nil {
		e.Met = signed
	}
	return signed
}

// planTeamDuty is one team's duty for the run (group supervision, a team
// brief, a caseload review, a file audit): held at the pack's interval from
// the last time, some late, a lapse now and then; where the pack limits
// its record, the record made the same day, late, or never.
func planTeamDuty(r *rand.Rand, b behaviour, pack *policy.Pack, team, managerID string, duty policy.TeamDuty, w window) *plan {
	in := workflows.NewTeamDutyInput(pack, team, duty, managerID, w.First, "hr-sim")
	id := workflows.TeamDutyID(pack.Authority, team, duty.Duty)
	pl := &plan{ID: id, Workflow: workflows.TeamDutyWorkflow, Input: in, Start: w.First}
	cal := pack.Calendar()
	dueFrom := func(d policy.Date) policy.Date { return in.NonWorkingDay.Adjust(duty.Every.AddTo(d, cal), cal) }
	due, created, last := dueFrom(w.First), w.First, w.First
	for n := 1; ; n++ {
		e := &entry{Workflow: id, Duty: dutyTeam, Due: due, Created: created}
		pl.Entries = append(pl.Entries, e)
		held, lapse := b.heldFor(r, due, last)
		if lapse || !canAct(held, w, policy.Date{}) {
			break
		}
		e.Met = held
		arg := workflows.TeamDutyHeld{RequestID: key("held-", n), HeldOn: held, Attendees: []string{managerID}, Actor: managerID}
		if rw := duty.RecordWithin; rw != nil {
			rec := &entry{Workflow: id, Duty: dutyTeam, Due: rw.Period.AddTo(held, cal), Created: held}
			pl.Entries = append(pl.Entries, rec)
			switch x := r.Float64(); {
			case x < b.Unsigned: // never recorded
			case x < b.Unsigned+b.Late:
				if day := rec.Due.AddDays(1 + r.IntN(10)); canAct(day, w, policy.Date{}) {
					pl.Actions = append(pl.Actions, action{Day: day, Hour: 16, Update: workflows.UpdateTeamDutyRecorded,
						Arg: workflows.TeamDutyRecorded{RequestID: key("recorded-", n), HeldOn: held, RecordedOn: day, Actor: managerID}})
					rec.Met = day
				}
			default:
				arg.RecordedOn, rec.Met = held, held
			}
		}
		pl.Actions = append(pl.Actions, action{Day: held, Hour: 13, Update: workflows.UpdateTeamDutyHeld, Arg: arg})
		due, created, last = dueFrom(held), held, held
	}
	return pl
}
