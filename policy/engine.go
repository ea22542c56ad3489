package policy

import (
	"maps"
	"slices"
	"strings"
)

// What the engine reads of a pack: the rules cited by the typed blocks the
// lifecycles, the API and the worker act on. A rule the engine reads is
// labelled enforced, and a rule labelled enforced is read here; a rule that
// only a block the engine ignores cites (the practice observation recording
// limit) is not_yet. Validation holds every pack to it (checkEngineLabels), and
// TestPacksDescribeTheEngine also wants a test naming each enforced rule.

// EngineBehaviours are what the engine does for every pack without a number
// to read; a rule says it is applied by one with applied_by.
var EngineBehaviours = map[string]string{
	"cancellation_recorded": "a cancelled session is recorded with who cancelled it and why (workflows/supervision_handlers.go)",
	"agreement_terms":       "an agreement is signed on its terms, the agreed frequency of supervision among them (workflows/agreement.go)",
	"agreement_not_renewed": "an agreement with no renew_every is re-opened only on its reagree_on events (workflows/agreement.go)",
	"record_both_views":     "a disputed record is amended by agreement or carries both views, signed by both (workflows/signoff.go)",
}

// recordKindsRead are the recording limits the engine reads: the case
// lifecycle's (CaseSupervision.RecordDeadline), and the practice
// observation's and the agenda's, read by personal supervision (NewSupervisionInput).
var recordKindsRead = []string{"significant_decision", "plan_change", "other_decisions", "child_file", "supervision_form", "practice_observation", "agenda"}

// EngineRules maps each rule the engine applies to the pack keys it is read
// from.
func (p *Pack) EngineRules() map[string][]string {
	out := map[string][]string{}
	use := func(key, rule string) {
		if rule != "" && !slices.Contains(out[rule], key) {
			out[rule] = append(out[rule], key)
		}
	}
	a := p.ASYE
	use("asye.length_rule", a.LengthRule)
	for _, ph := range a.Phases {
		use("asye.phases", ph.Rule)
	}
	for _, r := range a.Reviews {
		use("asye.reviews", r.Rule)
	}
	use("asye.session_rule", a.SessionRule)
	for _, s := range a.CaseloadShare {
		use("asye.caseload_share", s.Rule)
	}
	use("asye.pauses", a.Pauses.Rule)
	use("asye.extension_rule", a.ExtensionRule)
	use("asye.escalation", a.Escalation.Rule)
	if a.NonWorkingDay != nil {
		use("asye.non_working_day", a.NonWorkingDay.Rule)
	}
	use("escalation", p.Escalation.Rule)
	if p.Reminders != nil {
		use("reminders", p.Reminders.Rule)
	}
	if p.Delegation != nil {
		use("delegation", p.Delegation.Rule)
		if p.Delegation.Longest != nil {
			use("delegation.longest", p.Delegation.Longest.Rule)
		}
	}
	if ps := p.PersonalSupervision; ps != nil {
		for _, c := range ps.Cadence {
			use("personal_supervision.cadence", c.Rule)
		}
		if ps.SessionMinutes != nil {
			use("personal_supervision.session_minutes", ps.SessionMinutes.Rule)
		}
		spans := map[string]*Span{"booking_horizon": ps.BookingHorizon, "rebook_within": ps.RebookWithin}
		d := ps.Duties()
		maps.Copy(spans, map[string]*Span{"observation": d.Observation, "appraisal": d.Appraisal, "appraisal_mid_term": d.AppraisalMidTerm, "progress_review": d.ProgressReview})
		for k, s := range spans {
			if s != nil {
				use("personal_supervision."+k, s.Rule)
			}
		}
		if ps.NonWorkingDay != nil {
			use("personal_supervision.non_working_day", ps.NonWorkingDay.Rule)
		}
		for _, c := range ps.SupervisorAbsence {
			use("personal_supervision.supervisor_absence", c.Rule)
		}
		if d.RearrangeOnly != nil {
			use("personal_supervision.rearrange_only", d.RearrangeOnly.Rule)
		}
	}
	if ag := p.Agreement; ag != nil {
		if ag.SignWithin != nil {
			use("agreement.sign_within", ag.SignWithin.Rule)
		}
		if ag.RenewEvery != nil {
			use("agreement.renew_every", ag.RenewEvery.Rule)
		}
		if ag.ReagreeOn != nil {
			use("agreement.reagree_on", ag.ReagreeOn.Rule)
		}
	}
	if p.SignOff != nil {
		use("sign_off", p.SignOff.Rule)
	}
	if cs := p.CaseSupervision; cs != nil {
		for _, c := range cs.Categories {
			use("case_supervision.categories", c.Rule)
		}
		for k, r := range map[string]*RuleRef{"on_allocation": cs.OnAllocation, "before_transfer": cs.BeforeTransfer,
			"group_satisfies": cs.GroupSatisfies, "joint_working": cs.JointWorking, "actions": cs.Actions} {
			if r != nil {
				use("case_supervision."+k, r.Rule)
			}
		}
		if cs.OversightBefore != nil {
			use("case_supervision.oversight_before", cs.OversightBefore.Rule)
		}
		if cs.NonWorkingDay != nil {
			use("case_supervision.non_working_day", cs.NonWorkingDay.Rule)
		}
		for _, f := range cs.Flags {
			use("case_supervision.flags", f.Rule)
		}
		for _, rd := range cs.RecordWithin {
			if slices.Contains(recordKindsRead, rd.What) {
				use("case_supervision.record_within."+rd.What, rd.Rule)
			}
		}
	}
	if cl := p.Caseload; cl != nil {
		if cl.AnalysisEvery != nil {
			use("caseload.analysis_every", cl.AnalysisEvery.Rule)
		}
		if cl.OverMaxNotifyAfter != nil && cl.Maximum.Applies() {
			use("caseload.over_max_notify_after", cl.OverMaxNotifyAfter.Rule)
		}
		if cl.Maximum.Applies() {
			use("caseload.maximum", cl.Maximum.Rule)
		}
		for _, r := range cl.NotAllocated {
			use("caseload.not_allocated", r.Rule)
		}
	}
	if p.Transition != nil {
		// A lifecycle runs under the version in force on its start day.
		use("transition", p.Transition.Rule)
	}
	if p.MonthlyReport != nil {
		// The worker's compliance Schedule reports every authority monthly.
		use("monthly_report", p.MonthlyReport.Rule)
	}
	if p.Retention != nil {
		use("retention", p.Retention.Rule)
		if p.Retention.Grace != nil {
			use("retention.grace", p.Retention.Grace.Rule)
		}
	}
	if td := p.TeamDuties; td != nil {
		// The team duty lifecycle (workflows/team_duty.go).
		use("team_duties.escalation", td.Escalation.Rule)
		if td.NonWorkingDay != nil {
			use("team_duties.non_working_day", td.NonWorkingDay.Rule)
		}
		for _, d := range td.Duties {
			use("team_duties.duties", d.Rule)
			if d.RecordWithin != nil {
				use("team_duties.duties.record_within", d.RecordWithin.Rule)
			}
		}
	}
	if p.Concerns != nil {
		use("concerns", p.Concerns.Rule)
	}
	if p.AcademyGroupSupervision != nil {
		use("academy_group_supervision", p.AcademyGroupSupervision.Rule)
	}
	for _, r := range p.Rules {
		if _, ok := EngineBehaviours[r.AppliedBy]; ok {
			use("applied_by "+r.AppliedBy, r.ID)
		}
	}
	for _, k := range out {
		slices.Sort(k)
	}
	return out
}

// checkEngineLabels: a rule the engine reads is enforced, an enforced rule is
// read, and applied_by names a behaviour the engine has.
func (c *checker) checkEngineLabels() {
	used := c.p.EngineRules()
	for i, r := range c.p.Rules {
		at := pathOf("rules", i)
		if r.AppliedBy != "" {
			if _, ok := EngineBehaviours[r.AppliedBy]; !ok {
				c.fail(at.with("applied_by"), r.ID, "%q is not a behaviour of the engine (%s)", r.AppliedBy, strings.Join(slices.Sorted(maps.Keys(EngineBehaviours)), ", "))
				continue
			}
		}
		keys, read := used[r.ID]
		switch {
		case read && r.Engine != Enforced:
			c.fail(at.with("engine"), r.ID, "%q, but the engine applies this rule (%s): write enforced", r.Engine, strings.Join(keys, ", "))
		case !read && r.Engine == Enforced:
			c.fail(at.with("engine"), r.ID, "enforced, but no block the engine reads cites this rule: cite it, name the behaviour that applies it (applied_by), or write not_yet")
		}
	}
}
