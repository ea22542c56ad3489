package policy

import (
	"fmt"
	"slices"
)

// Planning on the ASYE block. Pure and deterministic: the ASYE workflow calls
// these with dates from workflow time, and the CLI with dates from flags.

// DatedReview is a milestone review with its due day.
type DatedReview struct {
	Name string `json:"name"`
	Due  Date   `json:"due"`
	Rule string `json:"rule"`
}

// PlannedItem is one due duty of a plan.
type PlannedItem struct {
	Kind  string `json:"kind"` // "session" or "review"
	Name  string `json:"name"`
	Due   Date   `json:"due"`
	Rule  string `json:"rule"`
	Every Period `json:"every,omitzero"` // the cadence a session is due under
	// MovedFrom is the day the cadence gave, when it fell on a day nobody
	// works and the pack's non_working_day rule (MovedBy) moved it to Due.
	MovedFrom Date   `json:"moved_from,omitzero"`
	MovedBy   string `json:"moved_by,omitempty"`
}

// moved fills in where a due day moved from, if it moved.
func (a ASYE) moved(it PlannedItem, raw Date) PlannedItem {
	if !raw.Equal(it.Due) {
		it.MovedFrom, it.MovedBy = raw, a.NonWorkingDay.Rule
	}
	return it
}

// Plan item kinds.
const (
	KindSession = "session"
	KindReview  = "review"
)

// phaseAt is the index of the phase in force on `on` for a programme that
// started `start`: before the start the first, after the last the last.
func (a ASYE) phaseAt(start, on Date, cal *Calendar) int {
	for i, p := range a.Phases {
		if p.To.IsZero() || on.Before(p.To.AddTo(start, cal)) {
			return i
		}
	}
	return len(a.Phases) - 1
}

// IntervalAt is how often sessions are due on `on` for a programme that
// started `start`.
func (a ASYE) IntervalAt(start, on Date, cal *Calendar) Period {
	if len(a.Phases) == 0 {
		return Period{}
	}
	return a.Phases[a.phaseAt(start, on, cal)].Every
}

// PhaseRuleAt is the rule of the phase in force on `on`.
func (a ASYE) PhaseRuleAt(start, on Date, cal *Calendar) string {
	if len(a.Phases) == 0 {
		return ""
	}
	return a.Phases[a.phaseAt(start, on, cal)].Rule
}

// NextDue is the day the next session is due after one held on `from`,
// moved off a non-working day the way the pack says.
func (a ASYE) NextDue(start, from Date, cal *Calendar) Date {
	return a.NonWorkingDay.Adjust(a.IntervalAt(start, from, cal).AddTo(from, cal), cal)
}

// End is the programme's last day as planned (before pauses and extension).
func (a ASYE) End(start Date, cal *Calendar) Date { return a.Length.AddTo(start, cal) }

// ReviewDates are the milestone reviews with their due days, in pack order
// (validation keeps that in date order).
func (a ASYE) ReviewDates(start Date, cal *Calendar) []DatedReview {
	out := make([]DatedReview, 0, len(a.Reviews))
	for _, r := range a.Reviews {
		out = append(out, DatedReview{Name: r.Name, Due: a.NonWorkingDay.Adjust(r.At.AddTo(start, cal), cal), Rule: r.Rule})
	}
	return out
}

// ShareAt is the share of a qualified worker's caseload the worker carries on
// `on`, with its rule; 0 and "" when the pack sets no share.
func (a ASYE) ShareAt(start, on Date, cal *Calendar) (percent int, rule string) {
	for _, s := range a.CaseloadShare {
		if on.Before(s.From.AddTo(start, cal)) {
			break
		}
		percent, rule = s.Percent, s.Rule
	}
	return percent, rule
}

// Plan lists the programme's due duties in date order: sessions assuming
// each is held on its due day (the first due one interval after the start,
// the last on or before the programme end; each carries the rule and
// interval that set its day), with the reviews interleaved (a session due on
// a review day comes first). count > 0 keeps only the first count items.
func (a ASYE) Plan(start Date, count int, cal *Calendar) []PlannedItem {
	end := a.End(start, cal)
	var items []PlannedItem
	if len(a.Phases) > 0 {
		// A session is due under the phase in force when the one before it
		// was held (or at the start): that phase's interval set its day.
		prev := start
		for n := 1; count <= 0 || n <= count; n++ {
			due := a.NextDue(start, prev, cal)
			if due.After(end) || !due.After(prev) { // past the end, or a zero interval
				break
			}
			every := a.IntervalAt(start, prev, cal)
			items = append(items, a.moved(PlannedItem{
				Kind:  KindSession,
				Name:  fmt.Sprintf("session %d", n),
				Due:   due,
				Rule:  a.PhaseRuleAt(start, prev, cal),
				Every: every,
			}, every.AddTo(prev, cal)))
			prev = due
		}
	}
	for i, r := range a.ReviewDates(start, cal) {
		items = append(items, a.moved(PlannedItem{Kind: KindReview, Name: r.Name, Due: r.Due, Rule: r.Rule}, a.Reviews[i].At.AddTo(start, cal)))
	}
	slices.SortStableFunc(items, func(x, y PlannedItem) int {
		if c := x.Due.Time().Compare(y.Due.Time()); c != 0 {
			return c
		}
		if x.Kind == y.Kind {
			return 0
		}
		if x.Kind == KindSession {
			return -1
		}
		return 1
	})
	if count > 0 && len(items) > count {
		items = items[:count]
	}
	return items
}

// PersonalPlan lists the personal supervision sessions of the first year of
// a worker in a staff role who starts on start, each held on its due day
// (the first due one interval after the start), with the yearly practice
// observation and appraisal when the pack has them. A cadence counted in
// shifts, or a policy silent on frequency, gives no dated session.
func (p *Pack) PersonalPlan(staffRole string, start Date, count int, cal *Calendar) (PersonalCadence, Date, []PlannedItem) {
	end := start.AddMonths(12)
	c := p.PersonalSupervision.CadenceFor(staffRole)
	var items []PlannedItem
	prev := start
	for n := 1; c.Timed() && (count <= 0 || n <= count); n++ {
		every, rule := c.IntervalOn(start, prev, Date{}, cal)
		due := every.AddTo(prev, cal)
		if due.After(end) || !due.After(prev) {
			break
		}
		items = append(items, PlannedItem{Kind: KindSession, Name: fmt.Sprintf("session %d", n), Due: due, Rule: rule, Every: every})
		prev = due
	}
	d := p.PersonalSupervision.Duties()
	for _, x := range []struct {
		name string
		s    *Span
	}{{"practice observation", d.Observation}, {"appraisal mid-term review", d.AppraisalMidTerm}, {"appraisal", d.Appraisal}} {
		if x.s != nil {
			if due := x.s.Period.AddTo(start, cal); !due.After(end) {
				items = append(items, PlannedItem{Kind: KindReview, Name: x.name, Due: due, Rule: x.s.Rule})
			}
		}
	}
	slices.SortStableFunc(items, func(x, y PlannedItem) int { return x.Due.Time().Compare(y.Due.Time()) })
	if count > 0 && len(items) > count {
		items = items[:count]
	}
	return c, end, items
}
