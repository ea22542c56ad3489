package workflows

// A long-lived lifecycle (personal supervision, the agreement, a case) runs
// under the pack version it was started with, carried in its input. When a
// later version of its authority's pack comes into force, it moves to it on
// that day: it asks the worker's loaded packs (activities.NextPack, a local
// activity, at the start of each run and again when it wakes a month on)
// which version follows its own, waits for that version's first day as
// it waits for a deadline, rebuilds its input from the new version,
// recomputes its due dates, writes one audit event naming both versions and
// every due date that moved, and continues as new on the new version.
// A programme (the ASYE) is not moved: the only transition a pack may
// state, finish_under_previous, finishes it under the version it began in.

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// packMove is a version a run will move to, and how its lifecycle moves.
type packMove struct {
	to *policy.Pack
	// apply swaps the lifecycle's input for one built from the new version
	// and recomputes its due dates; it returns the open duties before and after.
	apply func(ctx workflow.Context, to *policy.Pack) (before, after []decision.DueItemRecord)
}

// DueChange is one due date a move to a new pack version changed (Old zero:
// a duty the new version adds; New zero: one it no longer has).
type DueChange struct {
	Duty string      `json:"duty"`
	Kind string      `json:"kind"`
	Old  policy.Date `json:"old,omitzero"`
	New  policy.Date `json:"new,omitzero"`
	Rule string      `json:"rule,omitempty"`
}

// findNextPack asks the worker's packs which version follows the one this
// run is pinned to. Runs whose history predates packmove-lookup-v1 never
// ask, so they replay as they ran; a failed lookup is asked again a month on.
func (l *lifecycle) findNextPack(ctx workflow.Context, apply func(workflow.Context, *policy.Pack) ([]decision.DueItemRecord, []decision.DueItemRecord)) {
	if workflow.GetVersion(ctx, "packmove-lookup-v1", workflow.DefaultVersion, 1) < 1 {
		return
	}
	l.askPacks = apply
	l.askNextPack(ctx)
}

// askAgain asks again when the lifecycle wakes a month or more after it
// last asked: a version a council adds (or changes) while a long run is
// under way is found when the lifecycle next wakes a month on (a deadline,
// an update, or the move's own day), not only at the next run.
func (l *lifecycle) askAgain(ctx workflow.Context) {
	if l.askPacks != nil && !today(ctx).Before(l.askedOn.AddMonths(1)) {
		l.askNextPack(ctx)
	}
}

func (l *lifecycle) askNextPack(ctx workflow.Context) {
	l.askedOn = today(ctx)
	// A local activity: an in-memory read of the worker's packs, one marker
	// in the history (an activity would cost six events a month).
	actx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
		Summary:             oneLine(fmt.Sprintf("%s.next_pack: which version of the %s pack follows %s", l.action, l.authority, l.pack.Version)),
	})
	var res decision.NextPackResult
	err := workflow.ExecuteLocalActivity(actx, decision.NextPackName, decision.NextPackInput{Authority: l.authority, Version: l.pack.Version}).Get(ctx, &res)
	if err != nil {
		workflow.GetLogger(ctx).Error("next pack version not found: this run stays on its version", "version", l.pack.Version, "error", err)
		return
	}
	l.move = nil // the answer replaces the last: a version added, moved or withdrawn since
	if res.Pack != nil && res.Pack.Authority == l.authority && res.Pack.Version != l.pack.Version {
		l.move = &packMove{to: res.Pack, apply: l.askPacks}
	}
}

// moveAt is the first instant of the next version's first day.
func (l *lifecycle) moveAt() (time.Time, bool) {
	if l.move == nil {
		return time.Time{}, false
	}
	return dayStart(l.move.to.EffectiveFrom), true
}

func (l *lifecycle) moveSummary() string {
	return fmt.Sprintf("Version %s of the %s pack comes into force on %s: the %s of %s (%s) moves to it from %s",
		l.move.to.Version, l.authority, l.move.to.EffectiveFrom, l.label, first(l.name, l.staffID), l.staffID, l.pack.Version)
}

// moveDue reports that the next version is in force now.
func (l *lifecycle) moveDue(ctx workflow.Context) bool {
	at, ok := l.moveAt()
	return ok && !workflow.Now(ctx).Before(at)
}

// moveNow moves the lifecycle to the next version: the input and due dates
// are rebuilt by the lifecycle's apply, and one event records both versions
// and every due date that changed. The caller then continues as new.
func (l *lifecycle) moveNow(ctx workflow.Context) {
	m := l.move
	l.move = nil
	from := l.pack
	before, after := m.apply(ctx, m.to)
	l.pack, l.cal, l.escalation = m.to.Ref(), m.to.Calendar(), m.to.Escalation
	changes, items := dueChanges(before, after)
	l.record(ctx, "pack:"+m.to.Version, decision.Event{
		Actor:  "system",
		Action: l.action + ".pack_moved",
		RuleID: first(dueRule(items), m.to.Escalation.Rule),
		Reason: fmt.Sprintf("version %s of the %s pack came into force on %s: moved from version %s, %d due date(s) changed",
			m.to.Version, l.authority, m.to.EffectiveFrom, from.Version, len(changes)),
		Detail: map[string]any{
			"from_version": from.Version, "to_version": m.to.Version,
			"effective_from": m.to.EffectiveFrom.String(), "changed": changes,
		},
		Due: items,
	})
}

// dueChanges compares the open duties before and after a move: each due
// date or rule that changed, and the projection rows to write (changed
// duties as now, dropped ones closed).
func dueChanges(before, after []decision.DueItemRecord) ([]DueChange, []decision.DueItemRecord) {
	changes := []DueChange{}
	var items []decision.DueItemRecord
	date := func(s string) policy.Date { d, _ := policy.ParseDate(s); return d }
	for _, a := range after {
		i := slices.IndexFunc(before, func(b decision.DueItemRecord) bool { return b.Key == a.Key })
		switch {
		case i < 0:
			changes = append(changes, DueChange{Duty: a.Key, Kind: a.Kind, New: date(a.DueOn), Rule: a.RuleID})
		case before[i].DueOn != a.DueOn || before[i].RuleID != a.RuleID:
			changes = append(changes, DueChange{Duty: a.Key, Kind: a.Kind, Old: date(before[i].DueOn), New: date(a.DueOn), Rule: a.RuleID})
		default:
			continue
		}
		items = append(items, a)
	}
	for _, b := range before {
		if !slices.ContainsFunc(after, func(a decision.DueItemRecord) bool { return a.Key == b.Key }) {
			changes = append(changes, DueChange{Duty: b.Key, Kind: b.Kind, Old: date(b.DueOn), Rule: b.RuleID})
			b.Status = "closed"
			items = append(items, b)
		}
	}
	return changes, items
}

// moveTo is personal supervision's move (packmove.go): the input rebuilt
// from the new version, the next session due one interval (the new
// cadence's) after the last one held, the booking horizon recomputed, and
// the yearly duties citing the new version's rules (their dates stand).
func (w *supervision) moveTo(ctx workflow.Context, to *policy.Pack) (before, after []decision.DueItemRecord) {
	before = w.allDue()
	old := w.in
	w.in = NewSupervisionInput(old.Person, to, old.Actor)
	w.in.FirstDue, w.in.LastHeld = old.FirstDue, old.LastHeld
	w.cal = to.Calendar()
	st, now := w.st, workflow.Now(ctx)

	prev := st.Session
	st.Session = DueState{Seq: prev.Seq}
	if w.in.Cadence.Timed() {
		if prev.Due.IsZero() {
			st.Session.Seq++
		}
		var due policy.Date
		rule := ""
		if from := w.sessionAnchor(); !from.IsZero() {
			var every policy.Period
			every, rule = w.interval(from)
			due = w.sessionDue(every, from)
		} else { // handed over by the ASYE, no session held yet: its date stands
			due = w.in.FirstDue
			_, rule = w.interval(due)
		}
		st.Session.Due, st.Session.Rule = due, rule
		if due.Equal(prev.Due) {
			st.Session.Overdue, st.Session.Escalated = prev.Overdue, prev.Escalated
		}
	}

	if h := w.in.BookingHorizon; h == nil || !w.in.Cadence.Timed() {
		st.Horizon = DueState{}
	} else {
		prevH := st.Horizon
		st.Horizon = DueState{}
		w.refreshHorizon(st.Opened)
		if !prevH.Due.IsZero() {
			st.Horizon.Seq = prevH.Seq
			if st.Horizon.Due.Equal(prevH.Due) {
				st.Horizon.Overdue, st.Horizon.Escalated = prevH.Overdue, prevH.Escalated
			}
		}
		resetIfFuture(&st.Horizon, now)
	}

	d := w.in.Duties
	for _, y := range []struct {
		d    *DueState
		span *policy.Span
	}{{&st.Observation, d.Observation}, {&st.Appraisal, d.Appraisal}, {&st.MidTerm, d.AppraisalMidTerm}, {&st.Progress, d.ProgressReview}} {
		switch {
		case y.d.Due.IsZero():
		case y.span == nil:
			*y.d = DueState{} // the new version has no such duty
		default:
			y.d.Rule = y.span.Rule
		}
	}
	return before, w.allDue()
}

// sessionAnchor is the day the next session is timed from: the last one
// held, else the start (an imported worker's last session before
// securebase, or the day their duties began); zero when the ASYE handed
// over a first due date and no session is held yet.
func (w *supervision) sessionAnchor() policy.Date {
	p := w.in.Person
	switch {
	case !w.st.LastSessionOn.IsZero():
		return w.st.LastSessionOn
	case !w.in.FirstDue.IsZero():
		return policy.Date{}
	case !w.in.LastHeld.IsZero():
		return w.in.LastHeld
	case !p.DutiesFrom.IsZero():
		return p.DutiesFrom
	}
	return p.Start
}

// moveTo is the agreement's move: an open version's signing due within the
// new version's limit of its opening, an agreed one renewed at the new
// version's interval from the day it was agreed.
func (w *agreement) moveTo(ctx workflow.Context, to *policy.Pack) (before, after []decision.DueItemRecord) {
	before = w.openItems()
	old := w.in
	w.in = NewAgreementInput(old.Person, to, old.Actor)
	w.in.SignedOn = old.SignedOn
	w.cal = to.Calendar()
	st := w.st
	switch st.Status {
	case AgreementOpen:
		prev := st.Signing
		due, _, _ := w.in.Rules.SignDue(st.OpenedOn, w.cal)
		st.Signing = DueState{Seq: prev.Seq, Due: due, Rule: w.ruleFor(st.OpenedFor)}
		if due.Equal(prev.Due) {
			st.Signing.Overdue, st.Signing.Escalated = prev.Overdue, prev.Escalated
		}
	case AgreementAgreed:
		if due, rule, ok := w.in.Rules.RenewalDue(st.AgreedOn, w.cal); ok {
			st.Renewal = &DueState{Seq: st.Version + 1, Due: due, Rule: rule}
		} else {
			st.Renewal = nil
		}
	}
	return before, w.openItems()
}

// moveTo is the case's move: the category's cadence under the new version,
// the next case supervision due one (new) interval after the last one held
// or the category's start; the plan flag, if not yet raised, at the new
// version's limit. A category the new version lacks keeps its cadence.
func (w *caseFlow) moveTo(ctx workflow.Context, to *policy.Pack) (before, after []decision.DueItemRecord) {
	before = w.allDue()
	in := w.in
	in.Pack, in.Escalation, in.ClosureDays = to.Ref(), to.Escalation, to.ClosureDays
	in.Rules = policy.CaseSupervision{}
	if to.CaseSupervision != nil {
		in.Rules = *to.CaseSupervision
	}
	w.in = in
	w.cal = to.Calendar()
	st := w.st
	if c, ok := in.Rules.Cadence(st.Category); ok {
		st.Cadence = c
	}
	prev := st.Supervision
	if !st.Cadence.Timed() {
		st.Supervision = nil
	} else {
		due := in.Rules.NonWorkingDay.Adjust(st.Cadence.Every.AddTo(w.caseAnchor(), w.cal), w.cal)
		if prev == nil {
			w.scheduleNext(w.caseAnchor())
		} else if !due.Equal(prev.Due) || prev.Rule != st.Cadence.Rule {
			s := *prev
			s.Due, s.Rule = due, st.Cadence.Rule
			resetIfFuture(&s.DueState, workflow.Now(ctx))
			st.Supervision = &s
		}
	}
	if !st.PlanFlagged {
		w.setPlanFlag(st.CategorySince)
	}
	return before, w.allDue()
}

// caseAnchor is the day the next case supervision is timed from.
func (w *caseFlow) caseAnchor() policy.Date {
	st, in := w.st, w.in
	from := st.CategorySince
	if st.LastHeldOn.IsZero() {
		if in.LastSupervised.After(from) {
			from = in.LastSupervised
		} else if in.DutiesFrom.After(from) {
			from = in.DutiesFrom
		}
	}
	return laterOf(st.LastHeldOn, from)
}
