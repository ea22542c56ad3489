package policy

import (
	"fmt"
	"slices"
	"strings"
)

// This file holds the child's case rules (matrix sections 5, 6 and 7) beyond
// the category table: the blocks the case and caseload lifecycles read, and
// the helpers that answer their questions (which cadence, which recording
// deadline, who may hold a case, what is the limit).

// AllCases is the category a pack uses for a rule over every case ("every
// case at least every 3 months"). It is also a category a case may be
// allocated under; where a pack has both a category table and all_cases, the
// stricter of the two applies.
const AllCases = "all_cases"

// CaseRules are case_supervision's further rules. A nil block means the
// pack's policy does not have the rule (and the engine does not apply it).
type CaseRules struct {
	// GroupSatisfies: a child discussed in group supervision that month needs
	// no separate case supervision that month.
	GroupSatisfies *RuleRef `json:"group_satisfies,omitempty" yaml:"group_satisfies,omitempty"`
	// OversightBefore lists the case events ("transfer", "closure") that need
	// a recorded management oversight decision first.
	OversightBefore *Trigger `json:"oversight_before,omitempty" yaml:"oversight_before,omitempty"`
	// JointWorking: a lead worker named at a planning meeting; both workers
	// supervised on the case by the lead worker's manager.
	JointWorking *RuleRef `json:"joint_working,omitempty" yaml:"joint_working,omitempty"`
	// Actions: SMART actions tracked; one past its date without progress is
	// flagged at the next supervision.
	Actions *RuleRef `json:"actions,omitempty" yaml:"actions,omitempty"`
	// Flags raise a matter for the manager's attention (not a duty).
	Flags []CaseFlag `json:"flags,omitempty" yaml:"flags,omitempty"`
}

// OversightEvents are the case events a pack may require oversight for.
var OversightEvents = []string{"transfer", "closure"}

// CaseFlag is a matter the manager is alerted to: chronic_neglect (a child
// protection plan for chronic neglect) or plan_longer_than After.
type CaseFlag struct {
	Flag  string `json:"flag" yaml:"flag"`
	After Period `json:"after,omitzero" yaml:"after,omitempty"`
	Rule  string `json:"rule" yaml:"rule"`
}

// Case flags a pack may raise.
const (
	FlagChronicNeglect = "chronic_neglect"
	FlagPlanLongerThan = "plan_longer_than"
)

// CaseFlags are the flags a pack may name.
var CaseFlags = []string{FlagChronicNeglect, FlagPlanLongerThan}

// CaseloadRules are caseload's further rules.
type CaseloadRules struct {
	// Maximum is the most cases a qualified worker holds before an
	// allocation needs a recorded reason and a review date.
	Maximum *CaseloadMax `json:"maximum,omitempty" yaml:"maximum,omitempty"`
	// NotAllocated names the roles that hold no cases.
	NotAllocated []RoleAllocation `json:"not_allocated,omitempty" yaml:"not_allocated,omitempty"`
}

// CaseloadMax is a number of cases, with its rule. A number no seed gives
// is a securebase default until the council sets it in its own pack version
// (set_by: council): a default is shown, never enforced.
type CaseloadMax struct {
	Cases int    `json:"cases" yaml:"cases"`
	Rule  string `json:"rule" yaml:"rule"`
	SetBy string `json:"set_by,omitempty" yaml:"set_by,omitempty"`
}

// Who set a value the seed does not give.
const (
	SetBySeed    = ""        // the seed gives it (the default)
	SetByCouncil = "council" // the council chose it in its own pack version
	SetByDefault = "default" // securebase's assumption: informational only
)

// Applies reports a maximum the engine holds allocations to: one the seed
// gives or the council set, not a securebase default.
func (m *CaseloadMax) Applies() bool { return m != nil && m.SetBy != SetByDefault }

// RoleAllocation: a role that is not allocated cases. Instead "supervisor"
// allocates the case to the person's supervisor with the person recorded as
// involved; empty refuses the allocation.
type RoleAllocation struct {
	Role    string `json:"role" yaml:"role"`
	Instead string `json:"instead,omitempty" yaml:"instead,omitempty"`
	Rule    string `json:"rule" yaml:"rule"`
}

// CaseCadence is how often a case in a category is supervised.
type CaseCadence struct {
	Category string `json:"category"`
	Every    Period `json:"every,omitzero"` // zero: no timer (as required, or once)
	Rule     string `json:"rule"`
}

// Timed reports whether the cadence sets a due date.
func (c CaseCadence) Timed() bool { return !c.Every.IsZero() }

// Categories are the categories a case may be allocated under.
func (cs *CaseSupervision) CategoryNames() []string {
	if cs == nil {
		return nil
	}
	var names []string
	for _, c := range cs.Categories {
		names = append(names, c.Category)
	}
	return names
}

// Category finds a category by name.
func (cs *CaseSupervision) Category(name string) (CaseCategory, bool) {
	if cs == nil {
		return CaseCategory{}, false
	}
	for _, c := range cs.Categories {
		if c.Category == name {
			return c, true
		}
	}
	return CaseCategory{}, false
}

// Cadence is the case supervision cadence for a category: the category's
// own, or the all_cases rule where that is stricter (or the category has
// no timer of its own). ok is false for a category the pack does not name.
func (cs *CaseSupervision) Cadence(category string) (CaseCadence, bool) {
	c, ok := cs.Category(category)
	if !ok {
		return CaseCadence{}, false
	}
	out := CaseCadence{Category: category, Rule: c.Rule}
	if !c.Every.IsZero() {
		out.Every = c.Every
	}
	if floor, ok := cs.Category(AllCases); ok && category != AllCases && !floor.Every.IsZero() {
		if out.Every.IsZero() || longer(out.Every, floor.Every) {
			out.Every, out.Rule = floor.Every, floor.Rule
		}
	}
	return out, true
}

// RecordDeadline is when a case supervision record must reach the child's
// file: the pack's limit for a significant decision (or plan change) when
// significant, else for other decisions, the child's file or the supervision
// form, in that order. ok is false when the pack sets no limit.
func (cs *CaseSupervision) RecordDeadline(significant bool) (RecordDeadline, bool) {
	if cs == nil {
		return RecordDeadline{}, false
	}
	order := []string{"other_decisions", "child_file", "supervision_form"}
	if significant {
		order = append([]string{"significant_decision", "plan_change"}, order...)
	}
	for _, what := range order {
		for _, rd := range cs.RecordWithin {
			if rd.What == what {
				return rd, true
			}
		}
	}
	return RecordDeadline{}, false
}

// Record is the recording limit the pack sets for records of kind what.
func (cs *CaseSupervision) Record(what string) (RecordDeadline, bool) {
	if cs != nil {
		for _, rd := range cs.RecordWithin {
			if rd.What == what {
				return rd, true
			}
		}
	}
	return RecordDeadline{}, false
}

// Due is the day a record is due when the supervision was held on held.
func (rd RecordDeadline) Due(held Date, cal *Calendar) Date {
	if rd.Immediately {
		return held
	}
	return rd.Within.AddTo(held, cal)
}

// NeedsOversight reports whether a case event needs a management oversight
// decision first, and the rule.
func (cs *CaseSupervision) NeedsOversight(event string) (string, bool) {
	if cs == nil || cs.OversightBefore == nil || !slices.Contains(cs.OversightBefore.Events, event) {
		return "", false
	}
	return cs.OversightBefore.Rule, true
}

// Flag finds a flag the pack raises.
func (cs *CaseSupervision) Flag(name string) (CaseFlag, bool) {
	if cs == nil {
		return CaseFlag{}, false
	}
	for _, f := range cs.Flags {
		if f.Flag == name {
			return f, true
		}
	}
	return CaseFlag{}, false
}

// NotAllocatedFor is the rule for a role that holds no cases, if any.
func (cl *Caseload) NotAllocatedFor(role string) (RoleAllocation, bool) {
	if cl == nil {
		return RoleAllocation{}, false
	}
	for _, r := range cl.NotAllocated {
		if r.Role == role {
			return r, true
		}
	}
	return RoleAllocation{}, false
}

// Limit is the most cases a worker holds before an allocation is over the
// maximum: the pack's maximum, held to the ASYE share (percent > 0) for a
// worker in the programme. ok is false when the pack sets no maximum.
func (cl *Caseload) Limit(asyeSharePercent int) (cases int, rule string, ok bool) {
	if cl == nil || !cl.Maximum.Applies() {
		return 0, "", false
	}
	if asyeSharePercent > 0 && asyeSharePercent < 100 {
		return cl.Maximum.Cases * asyeSharePercent / 100, cl.Maximum.Rule, true
	}
	return cl.Maximum.Cases, cl.Maximum.Rule, true
}

// caseRules checks the blocks above.
func (c *checker) caseRules() {
	if cs := c.p.CaseSupervision; cs != nil {
		base := pathOf("case_supervision")
		for _, k := range []struct {
			key string
			ref *RuleRef
		}{{"group_satisfies", cs.GroupSatisfies}, {"joint_working", cs.JointWorking}, {"actions", cs.Actions}} {
			if k.ref != nil {
				c.ref(base.with(k.key, "rule"), k.ref.Rule, false)
			}
		}
		if t := cs.OversightBefore; t != nil {
			c.ref(base.with("oversight_before", "rule"), t.Rule, false)
			for i, e := range t.Events {
				if !slices.Contains(OversightEvents, e) {
					c.fail(base.with("oversight_before", "events", i), t.Rule, "%q is not one of %s", e, strings.Join(OversightEvents, ", "))
				}
			}
		}
		for i, f := range cs.Flags {
			at := base.with("flags", i)
			c.ref(at.with("rule"), f.Rule, false)
			switch {
			case !slices.Contains(CaseFlags, f.Flag):
				c.fail(at.with("flag"), f.Rule, "%q is not one of %s", f.Flag, strings.Join(CaseFlags, ", "))
			case f.Flag == FlagPlanLongerThan:
				c.positive(at.with("after"), f.After, f.Rule)
			}
		}
	}
	if cl := c.p.Caseload; cl != nil {
		base := pathOf("caseload")
		if m := cl.Maximum; m != nil {
			c.ref(base.with("maximum", "rule"), m.Rule, false)
			if m.Cases <= 0 {
				c.fail(base.with("maximum", "cases"), m.Rule, "%d: a maximum is a positive number of cases", m.Cases)
			}
			switch r, _ := c.rules[m.Rule]; {
			case m.SetBy != SetBySeed && m.SetBy != SetByCouncil && m.SetBy != SetByDefault:
				c.fail(base.with("maximum", "set_by"), m.Rule, "%q: write council (the council set it: enforced) or default (securebase's assumption: shown only)", m.SetBy)
			case m.SetBy == SetBySeed && IsDefault(r):
				c.fail(base.with("maximum", "set_by"), m.Rule, "is missing: the seed gives no maximum, so say who set it: council (enforced) or default (shown only, never escalated)")
			}
		}
		for i, r := range cl.NotAllocated {
			at := base.with("not_allocated", i)
			c.ref(at.with("rule"), r.Rule, false)
			if !word.MatchString(r.Role) {
				c.fail(at.with("role"), r.Rule, "%q is not a role", r.Role)
			}
			if r.Instead != "" && r.Instead != "supervisor" {
				c.fail(at.with("instead"), r.Rule, "%q: the only alternative is supervisor", r.Instead)
			}
		}
	}
}

// String describes a cadence for people.
func (c CaseCadence) String() string {
	if !c.Timed() {
		return "as required"
	}
	return fmt.Sprintf("every %s", c.Every)
}
