package policy

// This file is the contract the lifecycles read. A workflow receives the parts
// of a pack it needs (for example ASYE) in its start input, so its history
// holds the exact rules it runs under and a later pack edit never changes it.

// PeriodUnit is how a Period counts.
type PeriodUnit string

const (
	Days        PeriodUnit = "d"
	Weeks       PeriodUnit = "w"
	Months      PeriodUnit = "mo"
	Years       PeriodUnit = "y"
	WorkingDays PeriodUnit = "wd"
	Hours       PeriodUnit = "h"

	// CalendarMonths counts whole calendar months ("mo" is a rolling month):
	// "every calendar month" is met by a session in each month, so the next
	// is due by the last day of the month after the last one's (seen 4
	// January: due by 28 February).
	CalendarMonths PeriodUnit = "cmo"
)

// Period is a length of time as a policy states it: "6w", "1mo", "5wd", "72h".
// Written in YAML and JSON as that string.
type Period struct {
	N    int        `json:"n"`
	Unit PeriodUnit `json:"unit"`
}

// Phase is one stretch of a cadence: from From to To (measured from the
// programme start; a zero To means to the end), a session is due Every.
type Phase struct {
	From  Period `json:"from" yaml:"from"`
	To    Period `json:"to" yaml:"to"`
	Every Period `json:"every" yaml:"every"`
	Rule  string `json:"rule" yaml:"rule"`
}

// Review is a milestone review of the programme, due At after the start.
type Review struct {
	Name string `json:"name" yaml:"name"`
	At   Period `json:"at" yaml:"at"`
	Rule string `json:"rule" yaml:"rule"`
}

// Share is the share of a qualified worker's caseload carried from From on.
type Share struct {
	From    Period `json:"from" yaml:"from"`
	Percent int    `json:"percent" yaml:"percent"`
	Rule    string `json:"rule" yaml:"rule"`
}

// Pauses says why a programme may be paused (and why never).
type Pauses struct {
	Allowed   []string `json:"allowed" yaml:"allowed"`
	Forbidden []string `json:"forbidden" yaml:"forbidden"`
	Rule      string   `json:"rule" yaml:"rule"`
}

// Escalation: an overdue duty notifies the supervisor at once, then the
// supervisor's manager After the due day if still unmet. A value no seed
// gives never drives an escalation: SetBy "default" (securebase's
// assumption) is shown only; "council" (set in the council's own pack
// version) escalates; empty means the seed gives it.
type Escalation struct {
	After Period `json:"after" yaml:"after"`
	Rule  string `json:"rule" yaml:"rule"`
	SetBy string `json:"set_by,omitempty" yaml:"set_by,omitempty"`
}

// Escalates reports whether an overdue duty goes on to a manager.
func (e Escalation) Escalates() bool { return e.SetBy != SetByDefault }

// ASYE is the early-career programme: its length, cadence, reviews, session
// length, caseload share, pauses and extension cap.
type ASYE struct {
	Programme         string     `json:"programme" yaml:"programme"` // e.g. "ASYE", or the 2027 early career programme
	Length            Period     `json:"length" yaml:"length"`
	LengthRule        string     `json:"length_rule,omitempty" yaml:"length_rule,omitempty"` // the rule that gives the length
	Phases            []Phase    `json:"phases" yaml:"phases"`
	Reviews           []Review   `json:"reviews" yaml:"reviews"`
	MinSessionMinutes int        `json:"min_session_minutes" yaml:"min_session_minutes"`
	MaxSessionMinutes int        `json:"max_session_minutes" yaml:"max_session_minutes"`
	SessionRule       string     `json:"session_rule" yaml:"session_rule"`
	CaseloadShare     []Share    `json:"caseload_share" yaml:"caseload_share"`
	Pauses            Pauses     `json:"pauses" yaml:"pauses"`
	ExtensionCap      Period     `json:"extension_cap" yaml:"extension_cap"`
	ExtensionRule     string     `json:"extension_rule" yaml:"extension_rule"`
	Escalation        Escalation `json:"escalation" yaml:"escalation"`

	// SessionBound says whether the session length is guidance or a limit.
	SessionBound  string         `json:"session_bound,omitempty" yaml:"session_bound,omitempty"`
	NonWorkingDay *NonWorkingDay `json:"non_working_day,omitempty" yaml:"non_working_day,omitempty"`
}

// PackRef names the pack a lifecycle runs under.
type PackRef struct {
	Authority string `json:"authority"`
	Version   string `json:"version"`
}
