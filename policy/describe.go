package policy

import (
	"fmt"
	"strings"
)

// Describe writes the pack in plain words: what it is, the ASYE schedule the
// engine runs, then every rule by matrix section with its engine status.
func (p *Pack) Describe() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("%s (%s), policy pack version %s", p.Name, p.Authority, p.Version)
	if p.EffectiveTo.IsZero() {
		line("In force from %s until a later version takes effect.", p.EffectiveFrom)
	} else {
		line("In force from %s to %s.", p.EffectiveFrom, p.EffectiveTo)
	}
	line("Source: %s (%s).", p.Source.Title, p.Source.File)
	if len(p.ClosureDays) > 0 {
		var ds []string
		for _, d := range p.ClosureDays {
			ds = append(ds, d.String())
		}
		line("Closure days (not working days): %s.", strings.Join(ds, ", "))
	}

	a := p.ASYE
	line("")
	line("%s schedule the engine runs (%s long):", a.Programme, a.Length)
	for _, ph := range a.Phases {
		to := "the end"
		if !ph.To.IsZero() {
			to = ph.To.String()
		}
		line("  - a session at least every %s, from %s to %s [%s]", ph.Every, ph.From, to, ph.Rule)
	}
	for _, r := range a.Reviews {
		line("  - %s review at %s [%s]", r.Name, r.At, r.Rule)
	}
	line("  - sessions last %s [%s]", a.sessionLength(), a.SessionRule)
	if len(a.CaseloadShare) == 0 {
		line("  - caseload share: the policy sets none")
	}
	for _, s := range a.CaseloadShare {
		line("  - caseload share %d%% of a qualified worker's from %s [%s]", s.Percent, s.From, s.Rule)
	}
	line("  - paused for: %s; never for: %s [%s]", list(a.Pauses.Allowed), list(a.Pauses.Forbidden), a.Pauses.Rule)
	line("  - extended (beyond pauses) by at most %s [%s]", a.ExtensionCap, a.ExtensionRule)
	line("  - %s", a.Escalation.describe("the supervisor's manager"))

	if rt := p.Retention; rt != nil {
		line("")
		line("Retention: personal supervision records are purged %s after leaving [%s]", rt.AfterLeaving, rt.Rule)
		if rt.Grace != nil {
			line("  - never sooner than %s after the leave is recorded, and a leave may be corrected or withdrawn until then [%s]", rt.Grace.Period, rt.Grace.Rule)
		}
	} else {
		line("")
		line("Retention: the policy sets no period: supervision records are never purged by securebase")
	}

	for s := 1; s <= len(Sections); s++ {
		line("")
		line("§%d %s", s, Sections[s])
		n := 0
		for _, r := range p.Rules {
			if r.Section != s {
				continue
			}
			n++
			status := "enforced"
			if r.Engine != Enforced {
				status = "not yet enforced"
			}
			line("  %s (%s): %s", r.ID, status, r.Says)
			line("      source: %s", r.Source)
		}
		if n == 0 {
			line("  The policy has no rule in this section.")
		}
	}
	return b.String()
}

func (a ASYE) sessionLength() string {
	switch {
	case a.MinSessionMinutes > 0 && a.MaxSessionMinutes > 0:
		return fmt.Sprintf("%d to %d minutes", a.MinSessionMinutes, a.MaxSessionMinutes)
	case a.MaxSessionMinutes > 0:
		return fmt.Sprintf("up to %d minutes", a.MaxSessionMinutes)
	case a.MinSessionMinutes > 0:
		return fmt.Sprintf("at least %d minutes", a.MinSessionMinutes)
	}
	return "as long as needed (no length set)"
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "nothing listed"
	}
	return strings.ReplaceAll(strings.Join(xs, ", "), "_", " ")
}

// Defaults writes every value of the pack that no seed gives: each rule
// whose source is a securebase default, with the pack keys that carry it and
// whether the engine acts on it, so a council sees every assumption it
// inherits and can set its own in its own pack version.
func (p *Pack) Defaults() string {
	var b strings.Builder
	used := p.EngineRules()
	fmt.Fprintf(&b, "%s (%s), version %s: values the policy does not give (securebase defaults)\n", p.Name, p.Authority, p.Version)
	n := 0
	for _, r := range p.Rules {
		if !IsDefault(r) {
			continue
		}
		n++
		acts := "shown only: the engine does not act on it"
		if keys := used[r.ID]; len(keys) > 0 {
			acts = "the engine applies it (" + strings.Join(keys, ", ") + ")"
		}
		fmt.Fprintf(&b, "  %s [§%d] %s\n      %s\n", r.ID, r.Section, r.Says, acts)
	}
	if cl := p.Caseload; cl != nil && cl.Maximum != nil && cl.Maximum.SetBy == SetByDefault {
		fmt.Fprintf(&b, "  caseload.maximum %d cases [%s]: a default, shown only; set_by: council enforces it\n", cl.Maximum.Cases, cl.Maximum.Rule)
	}
	for _, e := range p.defaultEscalations() {
		fmt.Fprintf(&b, "  escalation after %s [%s]: a default, shown only (never escalated); set_by: council escalates\n", e.After, e.Rule)
	}
	if n == 0 {
		b.WriteString("  none: every value comes from the policy\n")
	}
	return b.String()
}

// describe says where an overdue duty goes next, and when.
func (e Escalation) describe(to string) string {
	if !e.Escalates() {
		return fmt.Sprintf("an overdue duty stays overdue; it is not escalated (the %s escalation is a securebase default, shown only until the council sets it) [%s]", e.After, e.Rule)
	}
	return fmt.Sprintf("an overdue duty goes to %s %s after its due day [%s]", to, e.After, e.Rule)
}

// defaultEscalations are the pack's escalations no seed or council set.
func (p *Pack) defaultEscalations() []Escalation {
	all := []Escalation{p.Escalation, p.ASYE.Escalation}
	if p.TeamDuties != nil {
		all = append(all, p.TeamDuties.Escalation)
	}
	var out []Escalation
	for _, e := range all {
		if !e.Escalates() {
			out = append(out, e)
		}
	}
	return out
}
