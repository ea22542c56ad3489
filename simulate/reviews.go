package simulate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// The newer personal supervision duties (issue 12): Surrey's quarterly
// progress reviews and the annual appraisal (S-PC-1), Cumberland's practice
// observation and its record within 10 working days (C-REC-4), and
// Bracknell Forest's agenda shared by the day before a booked session
// (BF-REC-2). The compliance report counts none of them
// (models.ComplianceDuties), so they are driven through the API's updates
// with their answers checked against the simulator's reckoning, and
// year_test.go asserts each happened; they add nothing to the book.

// recordedLateIs checks an update's answer flags the record late exactly
// when the simulator made it after its due day.
func recordedLateIs(late bool) func([]byte) error {
	return func(raw []byte) error {
		var got struct {
			Late *workflows.LateRecord `json:"recorded_late"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			return err
		}
		if (got.Late != nil) != late {
			return fmt.Errorf("recorded_late is %v, the simulator made it late: %v", got.Late, late)
		}
		return nil
	}
}

// both runs every check.
func both(checks ...func([]byte) error) func([]byte) error {
	return func(raw []byte) error {
		for _, c := range checks {
			if err := c(raw); err != nil {
				return err
			}
		}
		return nil
	}
}

// reviews plans the supervisee's progress reviews, annual appraisal and
// practice observation where the pack sets them: held on time, late, or
// never, each next due reckoned from the pack.
func (pl *plan) reviews(r *rand.Rand, b behaviour, in workflows.SupervisionInput, p workflows.Person, w window, leave policy.Date, cal *policy.Calendar) {
	d, by := in.Duties, p.SupervisorID
	// Progress reviews: a period after the last one held (the first a
	// period after joining), some late, a lapse now and then.
	if s := d.ProgressReview; s != nil {
		due, last := s.Period.AddTo(p.Start, cal), p.Start
		for n := 1; ; n++ {
			held, lapse := b.heldFor(r, due, last)
			if lapse || !canAct(held, w, leave) {
				break
			}
			next := s.Period.AddTo(held, cal)
			pl.Actions = append(pl.Actions, action{Day: held, Hour: 16, Update: workflows.UpdateRecordAppraisal,
				Arg:    workflows.AppraisalInput{RequestID: key("progress-", n), Kind: "progress", HeldOn: held, Actor: by},
				Expect: nextDueIs("next_due", next)})
			due, last = next, held
		}
	}
	// The annual appraisal: a year after joining, so held early in the
	// year (on time), after its day (late), or never.
	if s := d.Appraisal; s != nil {
		due, held := s.Period.AddTo(p.Start, cal), p.Start.AddDays(60+r.IntN(240))
		switch x := r.Float64(); {
		case x < b.ReviewMissed:
			held = policy.Date{}
		case x < b.ReviewMissed+b.Late:
			held = due.AddDays(1 + r.IntN(b.MaxLateDays))
		}
		if !held.IsZero() && canAct(held, w, leave) {
			pl.Actions = append(pl.Actions, action{Day: held, Hour: 16, Update: workflows.UpdateRecordAppraisal,
				Arg:    workflows.AppraisalInput{RequestID: "appraisal-1", Kind: "annual", HeldOn: held, Actor: by},
				Expect: nextDueIs("next_due", s.Period.AddTo(held, cal))})
		}
	}
	// The practice observation, once in the year, and its record: made
	// within the pack's limit, after it (kept and flagged), or never.
	if s := d.Observation; s != nil {
		observed := p.Start.AddDays(30 + r.IntN(300))
		recorded, late := observed.AddDays(r.IntN(3)), false
		if rd := in.ObservationRecord; rd != nil {
			due := rd.Due(observed, cal)
			switch x := r.Float64(); {
			case x < b.Unsigned:
				recorded = policy.Date{}
			case x < b.Unsigned+b.Late:
				recorded, late = due.AddDays(1+r.IntN(10)), true
			}
			late = late || recorded.After(due)
		}
		if !recorded.IsZero() && canAct(recorded, w, leave) {
			pl.Actions = append(pl.Actions, action{Day: recorded, Hour: 15, Update: workflows.UpdateRecordObservation,
				Arg:    workflows.ObservationInput{RequestID: "observation-1", HeldOn: observed, ObserverID: by, Actor: by},
				Expect: both(nextDueIs("next_due", s.Period.AddTo(observed, cal)), recordedLateIs(late))})
		}
	}
}

// agenda plans the booking of the nth session, held on held, and its
// agenda where the pack asks for one (BF-REC-2): the session is booked up
// to a week ahead (after the last session), and the supervisee shares the
// agenda by the day before it, on the day itself (late), or never.
func (pl *plan) agenda(r *rand.Rand, b behaviour, in workflows.SupervisionInput, p workflows.Person, n int, last, held policy.Date) {
	if in.Agenda == nil {
		return
	}
	bookOn := last.AddDays(1)
	if d := held.AddDays(-7); d.After(bookOn) {
		bookOn = d
	}
	if bookOn.After(held) {
		return
	}
	pl.Actions = append(pl.Actions, action{Day: bookOn, Hour: 9, Update: workflows.UpdateBookSupervision, Arg: workflows.BookingInput{
		RequestID: key("agenda-book-", n), Dates: []policy.Date{held}, Actor: p.SupervisorID}})
	shared := held.AddDays(-1)
	switch x := r.Float64(); {
	case x < b.Unsigned:
		return
	case x < b.Unsigned+b.Late || shared.Before(bookOn):
		shared = held
	}
	pl.Actions = append(pl.Actions, action{Day: shared, Hour: 10, Update: workflows.UpdateShareAgenda,
		Arg:    workflows.AgendaInput{RequestID: key("agenda-", n), SessionOn: held, Actor: p.StaffID},
		Expect: recordedLateIs(shared.After(held.AddDays(-1)))})
}
