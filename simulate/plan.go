package simulate

import (
	"fmt"
	"math/rand/v2"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// The simulator's own book: every duty occurrence it expects the product to
// owe, derived from the pack (with the policy package) and from what the
// simulator chose to do, never from the product's due_items.

// entry is one duty occurrence as the simulator knows it.
type entry struct {
	Workflow string      // the lifecycle's workflow ID
	Duty     string      // models.ComplianceDuties name
	Due      policy.Date // when it fell due
	Created  policy.Date // the day it came into being (lifecycle start, the session before, the cancellation)
	Met      policy.Date // the session that met it (zero: none held)
	Closed   policy.Date // the day it was closed unmet (a leaver); zero: never
	// Untimed is an occurrence the pack gives no deadline (a record's
	// sign-off where the pack sets none): not owed by a day, so not counted.
	Untimed bool
}

// outcome classifies an entry as at day asAt by the report's definitions
// (models/compliance.go), reading only what the simulator did. The
// simulator sends each action on the day it names, so what happened on a
// day was recorded that day. It returns "" when the entry is not counted.
func (e entry) outcome(asAt policy.Date) string {
	switch {
	case e.Untimed:
		return "" // no deadline: nothing to be late for
	case e.Created.After(asAt):
		return "" // not yet recorded
	case !e.Met.IsZero() && !e.Met.After(asAt):
		if e.Met.After(e.Due) {
			return models.OutcomeLate
		}
		return models.OutcomeOnTime
	case !e.Closed.IsZero() && !e.Closed.After(asAt):
		if !e.Closed.After(e.Due) {
			return "" // closed before it fell due: no longer owed
		}
		return models.OutcomeMissed
	case e.Due.Before(asAt):
		return models.OutcomeMissed
	}
	return models.OutcomePending
}

// action is one thing the simulator does to a lifecycle at a time: an
// update (name, argument) or the leave signal.
type action struct {
	Day    policy.Date
	Hour   int
	Target string // the workflow ID acted on; "" for the plan's own lifecycle
	Update string // update name; "" for the leave signal
	Arg    any
	// Expect checks the update's answer against the simulator's own
	// reckoning; nil when there is nothing to check.
	Expect func(result []byte) error
}

// plan is one lifecycle's year: what to start, what to do when, and the
// book of what it will owe.
type plan struct {
	ID       string // workflow ID
	Workflow string // registered workflow name
	Input    any
	Start    policy.Date
	Actions  []action
	Entries  []*entry
	// SignOffs is set when the records' SignOff lifecycles run for real
	// (the simulator signs them); otherwise a stub stands in.
	SignOffs    bool
	openRecords []string // records never signed, closed if the person leaves
	records     []string // every record's SignOff workflow ID
}

// behaviour is how the simulated service behaves: the chance that an
// occurrence is held late, that supervision lapses for the rest of the
// year, that a booked session is cancelled (where the pack sets a
// rebooking limit), that a member of staff leaves, and that an ASYE review
// is never held.
type behaviour struct {
	Late, Lapse, Cancel, Leave, ReviewMissed, Unsigned float64
	MaxLateDays                                        int
}

var defaultBehaviour = behaviour{Late: 0.2, Lapse: 0.02, Cancel: 0.1, Leave: 0.05, ReviewMissed: 0.05, Unsigned: 0.05, MaxLateDays: 30}

// heldFor picks the day an occurrence due on due is held: on time (up to
// five days early, never on or before the previous session), or late.
// lapse is true when supervision stops here for the rest of the year.
func (b behaviour) heldFor(r *rand.Rand, due, last policy.Date) (held policy.Date, lapse bool) {
	x := r.Float64()
	switch {
	case x < b.Lapse:
		return policy.Date{}, true
	case x < b.Lapse+b.Late:
		return due.AddDays(1 + r.IntN(b.MaxLateDays)), false
	}
	held = due.AddDays(-r.IntN(6))
	if !held.After(last) {
		held = last.AddDays(1)
	}
	return held, false
}

func dayAt(d policy.Date, days int) policy.Date { return d.AddDays(days) }

func key(parts ...any) string { return fmt.Sprint(parts...) }

// signOffDue is when both must have signed a record of a session held on
// held, by the pack: within its working days of the session, or by the
// next session (next); false when the pack sets no deadline.
func signOffDue(so *policy.SignOff, held, next policy.Date, cal *policy.Calendar) (policy.Date, bool) {
	switch {
	case so == nil:
		return held, false
	case so.By == "next_session":
		return next, !next.IsZero()
	case so.Within.IsZero():
		return held, false
	}
	return so.Within.AddTo(held, cal), true
}

// signRecord plans the record of a session held on held (its request id
// names the record): the supervisor writes and signs it and the supervisee
// signs, on the day of the session, after the deadline, or never.
func (pl *plan) signRecord(r *rand.Rand, b behaviour, pack *policy.Pack, p workflows.Person, requestID string, held, next policy.Date, w window, leave policy.Date) {
	if !pl.SignOffs {
		return
	}
	child := workflows.ID(workflows.KindSignOff, workflows.RecordID(p.StaffID, requestID))
	due, timed := signOffDue(pack.SignOff, held, next, pack.Calendar())
	e := &entry{Workflow: child, Duty: "record_signoff", Due: due, Created: held, Untimed: !timed}
	pl.records = append(pl.records, child)
	pl.Entries = append(pl.Entries, e)
	signed := held
	switch x := r.Float64(); {
	case x < b.Unsigned:
		signed = policy.Date{}
	case x < b.Unsigned+b.Late && timed:
		signed = due.AddDays(1 + r.IntN(10))
	}
	if signed.IsZero() || !canAct(signed, w, leave) {
		pl.openRecords = append(pl.openRecords, child)
		return
	}
	pl.Actions = append(pl.Actions,
		action{Day: signed, Hour: 17, Target: child, Update: workflows.UpdateWriteRecord, Arg: workflows.RecordTextInput{RequestID: "write", Text: "notes of the session", Actor: p.SupervisorID}},
		action{Day: signed, Hour: 18, Target: child, Update: workflows.UpdateSignRecord, Arg: workflows.RecordSignInput{RequestID: "sign-supervisor", Version: 1, Actor: p.SupervisorID}},
		action{Day: signed, Hour: 19, Target: child, Update: workflows.UpdateSignRecord, Arg: workflows.RecordSignInput{RequestID: "sign-supervisee", Version: 1, Actor: p.StaffID}},
	)
	e.Met = signed
}

// leaves plans a leaver's day: the records still unsigned close (the API's
// leave reaches every lifecycle of the person) before the lifecycle does.
func (pl *plan) leaves(leave policy.Date, w window) {
	if leave.IsZero() || leave.After(w.Last) {
		return
	}
	sig := workflows.LeaveSignal{RequestID: "leave", On: leave, Reason: "resigned", Actor: "hr-sim"}
	for _, child := range pl.openRecords {
		pl.Actions = append(pl.Actions, action{Day: leave, Hour: 11, Target: child, Arg: sig})
	}
	pl.Actions = append(pl.Actions, action{Day: leave, Hour: 12, Arg: sig})
	closeOpen(pl.Entries, leave)
}
