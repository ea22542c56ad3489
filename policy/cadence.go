package policy

import "slices"

// Personal supervision: which of a pack's role cadences a member of staff is
// supervised at, and how often a session is due on a given day. Pure and
// deterministic, so the Supervision workflow calls it with workflow dates.

// staffCadences maps a staff role (as onboarded; see api.Roles) to the pack
// cadence roles that may apply to it, most specific first. The pack's general
// cadence follows (see generalCadences): a role the policy does not single
// out is supervised like everyone else, and the general rule's text says so.
var staffCadences = map[string][]string{
	"nqsw":                      {}, // after the ASYE: the standard cadence
	"social_worker":             {},
	"advanced_practitioner":     {},
	"student":                   {"student"},
	"team_manager":              {"manager"},
	"senior_manager":            {"manager"},
	"cp_chair":                  {"cp_chair_iro_lado"},
	"iro":                       {"cp_chair_iro_lado"},
	"lado":                      {"cp_chair_iro_lado"},
	"residential_worker":        {"residential_new_starter"},
	"agency_residential_worker": {"residential_agency"},
}

// caseHolding are the staff roles that hold cases: for them the pack's
// case-holding cadence comes before its default.
var caseHolding = []string{"nqsw", "social_worker", "advanced_practitioner", "team_manager", "senior_manager"}

// generalCadences is the order in which a pack's general cadences apply to a
// staff role that has no cadence of its own.
func generalCadences(staffRole string) []string {
	if slices.Contains(caseHolding, staffRole) {
		return []string{"case_holding", "default"}
	}
	return []string{"default", "case_holding"}
}

// PersonalCadence is the cadence resolved for one member of staff: a session
// every Every (or after every EveryShifts shifts worked); when For is set,
// only for that long from the start, then every ThenEvery under ThenRule;
// when ThenFrom is "agreed", ThenEvery applies from a date the parties agree.
type PersonalCadence struct {
	StaffRole   string `json:"staff_role"`
	Role        string `json:"role"` // the pack role applied; "" when the pack sets no cadence
	Every       Period `json:"every,omitzero"`
	EveryShifts int    `json:"every_shifts,omitempty"`
	Rule        string `json:"rule,omitempty"`
	For         Period `json:"for,omitzero"`
	ThenEvery   Period `json:"then_every,omitzero"`
	ThenFrom    string `json:"then_from,omitempty"`
	ThenRule    string `json:"then_rule,omitempty"`
	// Extra is the cadence of the additional sessions held during induction
	// or after a long absence, when the pack gives one.
	Extra *RoleCadence `json:"extra,omitempty"`
}

// CadenceFor resolves the cadence of a staff role under this block. A nil
// block (a pack silent on frequency) gives a cadence with no period: no
// session deadline, which the pack's section 1 rule explains.
func (ps *PersonalSupervision) CadenceFor(staffRole string) PersonalCadence {
	out := PersonalCadence{StaffRole: staffRole}
	if ps == nil {
		return out
	}
	find := func(role string) *RoleCadence {
		i := slices.IndexFunc(ps.Cadence, func(rc RoleCadence) bool { return rc.Role == role })
		if i < 0 {
			return nil
		}
		return &ps.Cadence[i]
	}
	out.Extra = find("induction_or_return")
	var general *RoleCadence
	for _, role := range generalCadences(staffRole) {
		if general = find(role); general != nil {
			break
		}
	}
	var own *RoleCadence
	for _, role := range staffCadences[staffRole] {
		if own = find(role); own != nil {
			break
		}
	}
	if own == nil {
		own = general
	}
	if own == nil {
		return out
	}
	out.Role, out.Every, out.EveryShifts, out.Rule = own.Role, own.Every, own.EveryShifts, own.Rule
	out.For, out.ThenEvery, out.ThenFrom = own.For, own.ThenEvery, own.ThenFrom
	if !out.ThenEvery.IsZero() {
		out.ThenRule = own.Rule
	}
	// A cadence only for a while (new residential staff) is followed by the
	// general one when the pack gives no second cadence of its own.
	if !own.For.IsZero() && own.ThenEvery.IsZero() && general != nil && general != own {
		out.ThenEvery, out.ThenRule = general.Every, general.Rule
	}
	return out
}

// ByShifts reports a cadence counted in shifts worked, not in time.
func (c PersonalCadence) ByShifts() bool { return c.EveryShifts > 0 }

// Timed reports a cadence that gives a session a date.
func (c PersonalCadence) Timed() bool { return !c.Every.IsZero() }

// IntervalOn is how often a session is due on `on` for someone who started
// in the role on start; agreed is the date the second cadence was agreed
// from (zero until agreed). Zero when the cadence has no period.
func (c PersonalCadence) IntervalOn(start, on, agreed Date, cal *Calendar) (Period, string) {
	switch {
	case !c.Timed():
		return Period{}, c.Rule
	case !c.For.IsZero() && !c.ThenEvery.IsZero() && !on.Before(c.For.AddTo(start, cal)):
		return c.ThenEvery, c.ThenRule
	case c.ThenFrom == "agreed" && !agreed.IsZero() && !on.Before(agreed):
		return c.ThenEvery, c.ThenRule
	}
	return c.Every, c.Rule
}

// SubtractFrom is the day the period starts when it ends on d: the inverse
// of AddTo for days, weeks, months and years (months clamp to the month's
// end). Working days and hours count back as calendar days.
func (p Period) SubtractFrom(d Date) Date {
	switch p.Unit {
	case Weeks:
		return d.AddDays(-7 * p.N)
	case Months, CalendarMonths:
		return d.AddMonths(-p.N)
	case Years:
		return d.AddMonths(-12 * p.N)
	case Hours:
		return d.AddDays(-(p.N + 23) / 24)
	case WorkingDays:
		return d.AddDays(-p.N * 7 / 5)
	}
	return d.AddDays(-p.N)
}

// SupervisionDuties are the duties around personal supervision that are not
// its session cadence: the yearly practice observation, the appraisal and
// its mid-term review (section 9), and whether a session may only be
// rearranged, never simply cancelled (section 8). They sit inline in the
// personal_supervision block (embedded in PersonalSupervision).
type SupervisionDuties struct {
	Observation      *Span `json:"observation,omitempty" yaml:"observation,omitempty"`
	Appraisal        *Span `json:"appraisal,omitempty" yaml:"appraisal,omitempty"`
	AppraisalMidTerm *Span `json:"appraisal_mid_term,omitempty" yaml:"appraisal_mid_term,omitempty"`
	// ProgressReview is a progress review due a period after the last one
	// (Surrey's quarterly Performance Conversations).
	ProgressReview *Span    `json:"progress_review,omitempty" yaml:"progress_review,omitempty"`
	RearrangeOnly  *RuleRef `json:"rearrange_only,omitempty" yaml:"rearrange_only,omitempty"`
}

// duties is promoted to PersonalSupervision once SupervisionDuties is
// embedded in it: Duties finds the block's duties through it.
func (d SupervisionDuties) duties() SupervisionDuties { return d }

// Duties are the block's observation, appraisal and rearrangement rules;
// none when the block (or the pack's personal_supervision type) has none.
func (ps *PersonalSupervision) Duties() SupervisionDuties {
	if ps == nil {
		return SupervisionDuties{}
	}
	if v, ok := any(ps).(interface{ duties() SupervisionDuties }); ok {
		return v.duties()
	}
	return SupervisionDuties{}
}

// supervisionDuties checks the duties of the personal_supervision block.
func (c *checker) supervisionDuties() {
	ps := c.p.PersonalSupervision
	if ps == nil {
		return
	}
	d := ps.Duties()
	base := pathOf("personal_supervision")
	c.span(base.with("observation"), d.Observation)
	c.span(base.with("appraisal"), d.Appraisal)
	c.span(base.with("appraisal_mid_term"), d.AppraisalMidTerm)
	c.span(base.with("progress_review"), d.ProgressReview)
	if d.AppraisalMidTerm != nil && d.Appraisal == nil {
		c.fail(base.with("appraisal"), d.AppraisalMidTerm.Rule, "is missing: a mid-term review is the middle of an appraisal year")
	}
	if d.RearrangeOnly != nil {
		c.ref(base.with("rearrange_only", "rule"), d.RearrangeOnly.Rule, false)
	}
}
