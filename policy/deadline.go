package policy

import "fmt"

// Deadlines on days nobody works, and session lengths as guidance or limit:
// how a pack says what its seed's words mean (issue 12, items 1 and 3).

// Which way a deadline that falls on a non-working day moves.
const (
	MoveEarlier = "earlier" // to the last working day before: "at least every N" is still met
	MoveLater   = "later"   // to the next working day
)

// NonWorkingDay says which way a cadence's due day moves when it falls on a
// weekend, a bank holiday or a closure day, with the rule that says so. A
// nil NonWorkingDay leaves the day where it falls (packs written before it).
type NonWorkingDay struct {
	Move string `json:"move" yaml:"move"`
	Rule string `json:"rule" yaml:"rule"`
}

// Adjust moves d to a working day the pack's way; d itself when it is one,
// or when n is nil.
func (n *NonWorkingDay) Adjust(d Date, cal *Calendar) Date {
	if n == nil || d.IsZero() {
		return d
	}
	if cal == nil {
		cal = NewCalendar(nil)
	}
	step := -1
	if n.Move == MoveLater {
		step = 1
	}
	for i := 0; i < 31 && !cal.IsWorkingDay(d); i++ {
		d = d.AddDays(step)
	}
	return d
}

// nonWorkingDay checks a block's non_working_day.
func (c *checker) nonWorkingDay(at nodePath, n *NonWorkingDay, asye bool) {
	if n == nil {
		return
	}
	c.ref(at.with("rule"), n.Rule, asye)
	if n.Move != MoveEarlier && n.Move != MoveLater {
		c.fail(at.with("move"), n.Rule, "%q: a deadline on a non-working day moves %s or %s", n.Move, MoveEarlier, MoveLater)
	}
}

// Session length bounds: "generally" is guidance, "at least" or "must" a limit.
const (
	BoundGuidance = "guidance" // a shorter (or longer) session is recorded and flagged, never refused
	BoundLimit    = "limit"    // a session outside the range is refused
)

// ShortSession is a session shorter than the pack's usual length: flagged on
// the record, the schedule and the compliance report, and refused only when
// the pack's bound is a limit.
type ShortSession struct {
	Minutes int    `json:"minutes"`
	Usual   int    `json:"usual_min"`
	Bound   string `json:"bound"`
	Rule    string `json:"rule"`
}

// Refused reports a session the pack refuses rather than flags.
func (s ShortSession) Refused() bool { return s.Bound == BoundLimit }

// Message says what is short, and why it is refused or only flagged.
func (s ShortSession) Message() string {
	if s.Refused() {
		return fmt.Sprintf("%d minutes is under the minimum of %d", s.Minutes, s.Usual)
	}
	return fmt.Sprintf("%d minutes is shorter than the usual %d (guidance, not a limit): recorded and flagged", s.Minutes, s.Usual)
}

// ShortOf reports a session of minutes under the usual min, if it is; bound
// "" (a block written before bounds) reads as guidance, the kinder reading.
func ShortOf(minutes, min int, bound, rule string) (ShortSession, bool) {
	if min <= 0 || minutes >= min {
		return ShortSession{}, false
	}
	if bound == "" {
		bound = BoundGuidance
	}
	return ShortSession{Minutes: minutes, Usual: min, Bound: bound, Rule: rule}, true
}

// Short reports a session shorter than this length's minimum.
func (sl *SessionLength) Short(minutes int) (ShortSession, bool) {
	if sl == nil {
		return ShortSession{}, false
	}
	return ShortOf(minutes, sl.Min, sl.Bound, sl.Rule)
}

// Short reports an ASYE session shorter than the block's minimum.
func (a ASYE) Short(minutes int) (ShortSession, bool) {
	return ShortOf(minutes, a.MinSessionMinutes, a.SessionBound, a.SessionRule)
}

// sessionBound checks a bound: required where a length is given.
func (c *checker) sessionBound(at nodePath, bound, rule string, given bool) {
	switch {
	case bound == "" && given:
		c.fail(at, rule, "is missing: say whether the length is guidance (the seed says \"generally\") or a limit (\"at least\", \"must\")")
	case bound != "" && bound != BoundGuidance && bound != BoundLimit:
		c.fail(at, rule, "%q is neither %s nor %s", bound, BoundGuidance, BoundLimit)
	}
}
