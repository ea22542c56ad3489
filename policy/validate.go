package policy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodePath is where a value sits in a pack file: keys and list indexes.
type nodePath []any

func pathOf(elems ...any) nodePath { return nodePath(elems) }

func (p nodePath) with(elems ...any) nodePath {
	return append(slices.Clip(p), elems...)
}

func (p nodePath) String() string {
	var b strings.Builder
	for i, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, e)
		}
	}
	return b.String()
}

// key names the value for a message. Under a rule, the key within the list
// item that carries the rule ("every"); otherwise the whole path.
func (p nodePath) key(underRule bool) string {
	last := -1
	for i, e := range p {
		if _, ok := e.(int); ok {
			last = i
		}
	}
	switch {
	case !underRule || last < 0:
		return p.String()
	case last == len(p)-1:
		return p[last-1:].String()
	default:
		return p[last+1:].String()
	}
}

// lookup walks to the node at p. It returns nil when the path is absent, and
// the line of the deepest node reached, so a missing key is reported at its
// parent.
func (d *doc) lookup(p nodePath) (*yaml.Node, int) {
	n := d.root
	line := n.Line
	for _, e := range p {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		switch e := e.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil, line
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == e {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
			if next == nil {
				return nil, line
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || e >= len(n.Content) {
				return nil, line
			}
			n = n.Content[e]
			line = n.Line
		}
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n, line
}

func (d *doc) line(p nodePath) int { _, l := d.lookup(p); return l }

// has reports whether the file gives a (non-null) value at p.
func (d *doc) has(p nodePath) bool {
	n, _ := d.lookup(p)
	return n != nil && n.Tag != "!!null"
}

// locHint is what a yaml decoding error tells of where it is: always the
// line; the column of the bad value, the unknown key's name or the bad value's
// text when the message carries them.
type locHint struct {
	line, col  int
	key, value string
}

// pathAt places a yaml decoding error in the file. Several keys can share a
// line (a flow mapping like {from: 6w, every: 2w}), so it prefers the value
// at the column, then the key named, then the value quoted, then the deepest.
func (d *doc) pathAt(h locHint) (nodePath, bool) {
	type cand struct {
		at       nodePath
		key, val *yaml.Node
	}
	var cands []cand
	var walk func(n *yaml.Node, at nodePath)
	walk = func(n *yaml.Node, at nodePath) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := at.with(k.Value)
				if k.Line == h.line || v.Line == h.line {
					cands = append(cands, cand{p, k, v})
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := at.with(i)
				if c.Line == h.line {
					cands = append(cands, cand{p, nil, c})
				}
				walk(c, p)
			}
		}
	}
	if d.root == nil {
		return nil, false
	}
	walk(d.root, nil)
	for _, match := range []func(c cand) bool{
		func(c cand) bool { return h.col > 0 && c.val.Line == h.line && c.val.Column == h.col },
		func(c cand) bool { return h.key != "" && c.key != nil && c.key.Value == h.key },
		func(c cand) bool { return h.value != "" && c.val.Kind == yaml.ScalarNode && c.val.Value == h.value },
	} {
		for _, c := range cands {
			if match(c) {
				return c.at, true
			}
		}
	}
	var best nodePath
	for _, c := range cands {
		if len(c.at) > len(best) {
			best = c.at
		}
	}
	return best, best != nil
}

// ruleAround is the rule a value belongs to: the id of the rule it is part
// of, or the `rule:` of the nearest block around it.
func (d *doc) ruleAround(p nodePath) string {
	for i := len(p); i >= 1; i-- {
		n, _ := d.lookup(p[:i])
		if n == nil || n.Kind != yaml.MappingNode {
			continue
		}
		key := "rule"
		if i == 2 && p[0] == "rules" {
			key = "id"
		}
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key && n.Content[j+1].Kind == yaml.ScalarNode {
				return n.Content[j+1].Value
			}
		}
	}
	return ""
}

// noRule asks fail not to name a rule (the problem is the rule reference).
const noRule = "-"

// fail records a problem at p. An empty rule is worked out from the file.
func (d *doc) fail(p nodePath, rule, format string, args ...any) {
	switch rule {
	case "":
		rule = d.ruleAround(p)
	case noRule:
		rule = ""
	}
	d.probs = append(d.probs, &Problem{File: d.file, Line: d.line(p), Rule: rule, Key: p.key(rule != ""), Msg: fmt.Sprintf(format, args...)})
}

var (
	ruleID = regexp.MustCompile(`^[A-Z]+(-[A-Z0-9]+)+$`)
	word   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// canon writes weeks as days and years as months, so "1w" and "7d", "1y" and
// "12mo" are the same length.
func (p Period) canon() Period {
	switch p.Unit {
	case Weeks:
		return Period{7 * p.N, Days}
	case Years:
		return Period{12 * p.N, Months}
	case "":
		return Period{}
	}
	return p
}

func sameLength(a, b Period) bool { return a.canon() == b.canon() }

// longer reports whether a is longer than b (by average lengths).
func longer(a, b Period) bool { return !sameLength(a, b) && a.approxDays() > b.approxDays() }

// checker validates one pack against its file.
type checker struct {
	*doc
	p       *Pack
	rules   map[string]Rule
	asyeUse map[string]nodePath // rules the asye block reads, and where
}

func (d *doc) validate(p *Pack) {
	c := &checker{doc: d, p: p, rules: map[string]Rule{}, asyeUse: map[string]nodePath{}}
	c.header()
	c.ruleList()
	c.asye()
	c.escalation(pathOf("escalation"), p.Escalation)
	c.personalSupervision()
	c.supervisionDuties() // cadence.go
	c.agreement()
	c.signOff()
	c.caseSupervision()
	c.caseload()
	c.caseRules() // case.go
	c.retention()
	c.reminders()  // reminders.go
	c.delegation() // delegation.go
	c.teamDuties() // duties.go
	c.academy()    // academy.go
	if p.MonthlyReport != nil {
		c.ref(pathOf("monthly_report", "rule"), p.MonthlyReport.Rule, false)
	}
	if t := p.Transition; t != nil {
		c.ref(pathOf("transition", "rule"), t.Rule, false)
		if t.StartedBefore != FinishUnderPrevious {
			c.fail(pathOf("transition", "started_before"), t.Rule, "%q: the engine runs %s (a programme finishes under the version it started under)", t.StartedBefore, FinishUnderPrevious)
		}
	}
	c.checkEngineLabels() // engine.go
	c.seedFile()          // seeds.go
	// A rule the engine reads must say it is enforced.
	for _, id := range slices.Sorted(maps.Keys(c.asyeUse)) {
		if r, ok := c.rules[id]; ok && r.Engine != Enforced {
			at := pathOf("rules", slices.IndexFunc(p.Rules, func(r Rule) bool { return r.ID == id }), "engine")
			c.fail(at, id, "%q, but the asye block (%s) uses this rule, so the engine enforces it: write enforced", r.Engine, c.asyeUse[id])
		}
	}
}

func (c *checker) text(at nodePath, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(at, "", "is missing")
	}
}

func (c *checker) header() {
	p := c.p
	c.text(pathOf("authority"), p.Authority)
	if p.Authority != "" && !slices.Contains(KnownAuthorities, p.Authority) {
		c.fail(pathOf("authority"), "", "unknown authority %q: the known authorities are %s", p.Authority, strings.Join(KnownAuthorities, ", "))
	}
	c.text(pathOf("name"), p.Name)
	c.text(pathOf("version"), p.Version)
	if strings.ContainsAny(p.Version, " \t") {
		c.fail(pathOf("version"), "", "%q: a version has no spaces", p.Version)
	}
	if p.EffectiveFrom.IsZero() {
		c.fail(pathOf("effective_from"), "", "is missing: the first day this version is in force")
	}
	if !p.EffectiveTo.IsZero() && p.EffectiveTo.Before(p.EffectiveFrom) {
		c.fail(pathOf("effective_to"), "", "%s is before effective_from %s", p.EffectiveTo, p.EffectiveFrom)
	}
	c.text(pathOf("source", "file"), p.Source.File)
	c.text(pathOf("source", "title"), p.Source.Title)
	seen := map[int]bool{}
	for i, d := range p.ClosureDays {
		if seen[dayKey(d)] {
			c.fail(pathOf("closure_days", i), "", "%s is listed twice", d)
		}
		seen[dayKey(d)] = true
	}
}

func (c *checker) ruleList() {
	if len(c.p.Rules) == 0 {
		c.fail(pathOf("rules"), "", "is missing: a pack states its rules")
	}
	for i, r := range c.p.Rules {
		at := pathOf("rules", i)
		switch {
		case r.ID == "":
			c.fail(at.with("id"), noRule, "is missing")
		case !ruleID.MatchString(r.ID):
			c.fail(at.with("id"), noRule, "%q is not a rule id like C-ASYE-1 (capitals, digits, hyphens)", r.ID)
		default:
			if _, dup := c.rules[r.ID]; dup {
				first := slices.IndexFunc(c.p.Rules, func(q Rule) bool { return q.ID == r.ID })
				c.fail(at.with("id"), "", "duplicate rule id (first at line %d)", c.line(pathOf("rules", first, "id")))
				continue
			}
			c.rules[r.ID] = r
		}
		if _, ok := Sections[r.Section]; !ok {
			c.fail(at.with("section"), "", "%d is not a section of the policy matrix (1 to 10)", r.Section)
		}
		c.text(at.with("source"), r.Source)
		c.text(at.with("says"), r.Says)
		if r.Engine != Enforced && r.Engine != NotYet {
			c.fail(at.with("engine"), "", "%q: write enforced or not_yet", r.Engine)
		}
	}
}

// ref checks a typed value's rule id; asye marks the rules the engine reads.
func (c *checker) ref(at nodePath, id string, asye bool) {
	if id == "" {
		c.fail(at, noRule, "is missing: name the rule that gives this value")
		return
	}
	if _, ok := c.rules[id]; !ok {
		c.fail(at, noRule, "%q is not a rule of this pack", id)
		return
	}
	if _, seen := c.asyeUse[id]; asye && !seen {
		c.asyeUse[id] = at
	}
}

// positive checks a period that must be given and longer than nothing.
func (c *checker) positive(at nodePath, p Period, rule string) bool {
	if !c.has(at) {
		c.fail(at, rule, "is missing")
		return false
	}
	if p.IsZero() {
		c.fail(at, rule, "%q must be more than zero", p)
		return false
	}
	return true
}

// optional checks a period that may be left out, but not given as zero.
func (c *checker) optional(at nodePath, p Period, rule string) {
	if c.has(at) && p.IsZero() {
		c.fail(at, rule, "%q must be more than zero (or leave it out)", p)
	}
}

func (c *checker) asye() {
	a := c.p.ASYE
	base := pathOf("asye")
	if !c.has(base) {
		c.fail(base, noRule, "is missing: every pack has an asye block (for a silent policy, the authority's general cadence)")
		return
	}
	c.text(base.with("programme"), a.Programme)
	lengthOK := c.positive(base.with("length"), a.Length, noRule)
	if a.LengthRule != "" {
		c.ref(base.with("length_rule"), a.LengthRule, true)
	}

	if len(a.Phases) == 0 {
		c.fail(base.with("phases"), noRule, "is missing: the session cadence")
	}
	for i, ph := range a.Phases {
		at := base.with("phases", i)
		c.ref(at.with("rule"), ph.Rule, true)
		c.positive(at.with("every"), ph.Every, ph.Rule)
		if i == 0 {
			if !ph.From.IsZero() {
				c.fail(at.with("from"), ph.Rule, "%q: the first phase starts at the programme start, 0d", ph.From)
			}
		} else if prev := a.Phases[i-1]; !sameLength(ph.From, prev.To) {
			gap := "overlaps"
			if longer(ph.From, prev.To) {
				gap = "leaves a gap after"
			}
			c.fail(at.with("from"), ph.Rule, "%q %s the previous phase, which ends at %q", ph.From, gap, prev.To)
		}
		last := i == len(a.Phases)-1
		switch {
		case ph.To.IsZero() && !last:
			c.fail(at.with("to"), ph.Rule, "is missing: only the last phase runs to the end")
		case !ph.To.IsZero() && !longer(ph.To, ph.From):
			c.fail(at.with("to"), ph.Rule, "%q is not after from %q", ph.To, ph.From)
		case !ph.To.IsZero() && last && lengthOK && !sameLength(ph.To, a.Length):
			c.fail(at.with("to"), ph.Rule, "%q: the last phase runs to the programme end (%s): leave to out", ph.To, a.Length)
		case !ph.To.IsZero() && lengthOK && longer(ph.To, a.Length):
			c.fail(at.with("to"), ph.Rule, "%q is beyond the programme length %s", ph.To, a.Length)
		}
	}

	names := map[string]bool{}
	for i, r := range a.Reviews {
		at := base.with("reviews", i)
		c.ref(at.with("rule"), r.Rule, true)
		c.text(at.with("name"), r.Name)
		if names[r.Name] {
			c.fail(at.with("name"), r.Rule, "%q: two reviews have this name", r.Name)
		}
		names[r.Name] = true
		if !c.positive(at.with("at"), r.At, r.Rule) {
			continue
		}
		if lengthOK && longer(r.At, a.Length) {
			c.fail(at.with("at"), r.Rule, "%q is beyond the programme length %s", r.At, a.Length)
		}
		if i > 0 && longer(a.Reviews[i-1].At, r.At) {
			c.fail(at.with("at"), r.Rule, "%q comes before the previous review (%s): list reviews in date order", r.At, a.Reviews[i-1].At)
		}
	}

	c.ref(base.with("session_rule"), a.SessionRule, true)
	if a.MinSessionMinutes < 0 || a.MinSessionMinutes > 24*60 {
		c.fail(base.with("min_session_minutes"), a.SessionRule, "%d is not a number of minutes in a day", a.MinSessionMinutes)
	}
	if a.MaxSessionMinutes < 0 || a.MaxSessionMinutes > 24*60 {
		c.fail(base.with("max_session_minutes"), a.SessionRule, "%d is not a number of minutes in a day", a.MaxSessionMinutes)
	} else if a.MaxSessionMinutes > 0 && a.MinSessionMinutes > a.MaxSessionMinutes {
		c.fail(base.with("min_session_minutes"), a.SessionRule, "%d is more than max_session_minutes %d", a.MinSessionMinutes, a.MaxSessionMinutes)
	}
	c.sessionBound(base.with("session_bound"), a.SessionBound, a.SessionRule, a.MinSessionMinutes > 0)
	c.nonWorkingDay(base.with("non_working_day"), a.NonWorkingDay, true)

	for i, s := range a.CaseloadShare {
		at := base.with("caseload_share", i)
		c.ref(at.with("rule"), s.Rule, true)
		if s.Percent < 1 || s.Percent > 100 {
			c.fail(at.with("percent"), s.Rule, "%d is not a percentage from 1 to 100", s.Percent)
		}
		if i == 0 && !s.From.IsZero() {
			c.fail(at.with("from"), s.Rule, "%q: the first share applies from the programme start, 0d", s.From)
		}
		if i > 0 && !longer(s.From, a.CaseloadShare[i-1].From) {
			c.fail(at.with("from"), s.Rule, "%q is not after the previous share's from (%s)", s.From, a.CaseloadShare[i-1].From)
		}
		if lengthOK && !longer(a.Length, s.From) {
			c.fail(at.with("from"), s.Rule, "%q is not within the programme length %s", s.From, a.Length)
		}
	}

	pz := base.with("pauses")
	c.ref(pz.with("rule"), a.Pauses.Rule, true)
	seen := map[string]string{}
	for _, list := range []struct {
		key     string
		reasons []string
	}{{"allowed", a.Pauses.Allowed}, {"forbidden", a.Pauses.Forbidden}} {
		for i, r := range list.reasons {
			at := pz.with(list.key, i)
			if !word.MatchString(r) {
				c.fail(at, a.Pauses.Rule, "%q: a reason is a lower-case word like sickness or parental_leave", r)
			}
			if prev, dup := seen[r]; dup {
				c.fail(at, a.Pauses.Rule, "%q is already listed under %s", r, prev)
			}
			seen[r] = list.key
		}
	}

	c.ref(base.with("extension_rule"), a.ExtensionRule, true)
	if !c.has(base.with("extension_cap")) {
		c.fail(base.with("extension_cap"), a.ExtensionRule, "is missing (write 0d if the programme is never extended)")
	}
	c.escalation(base.with("escalation"), a.Escalation)
}

// escalation checks an escalation and who set it: one no seed gives says
// set_by default (shown only) or council (escalates).
func (c *checker) escalation(at nodePath, e Escalation) {
	c.ref(at.with("rule"), e.Rule, true)
	c.positive(at.with("after"), e.After, e.Rule)
	r, ok := c.rules[e.Rule]
	switch {
	case e.SetBy != SetBySeed && e.SetBy != SetByCouncil && e.SetBy != SetByDefault:
		c.fail(at.with("set_by"), e.Rule, "%q: write council (the council set it: escalates) or default (securebase's assumption: shown only)", e.SetBy)
	case ok && e.SetBy == SetBySeed && IsDefault(r):
		c.fail(at.with("set_by"), e.Rule, "is missing: the seed gives no escalation, so say who set it: council (escalates) or default (shown only, never escalated)")
	case ok && e.SetBy == SetByDefault && !IsDefault(r):
		c.fail(at.with("set_by"), e.Rule, "says default but the rule cites the seed (%q): an escalation the seed gives escalates", r.Source)
	}
}

func (c *checker) span(at nodePath, s *Span) {
	if s == nil {
		return
	}
	c.ref(at.with("rule"), s.Rule, false)
	c.positive(at.with("period"), s.Period, s.Rule)
}

func (c *checker) personalSupervision() {
	ps := c.p.PersonalSupervision
	if ps == nil {
		return
	}
	base := pathOf("personal_supervision")
	roles := map[string]bool{}
	for i, rc := range ps.Cadence {
		at := base.with("cadence", i)
		c.ref(at.with("rule"), rc.Rule, false)
		if !slices.Contains(Roles, rc.Role) {
			c.fail(at.with("role"), rc.Rule, "%q is not a role: use one of %s", rc.Role, strings.Join(Roles, ", "))
		} else if roles[rc.Role] {
			c.fail(at.with("role"), rc.Rule, "%q has two cadences", rc.Role)
		}
		roles[rc.Role] = true
		switch {
		case c.has(at.with("every")) && c.has(at.with("every_shifts")):
			c.fail(at.with("every_shifts"), rc.Rule, "give every or every_shifts, not both")
		case c.has(at.with("every_shifts")):
			if rc.EveryShifts < 1 {
				c.fail(at.with("every_shifts"), rc.Rule, "%d must be a number of shifts of 1 or more", rc.EveryShifts)
			}
		default:
			c.positive(at.with("every"), rc.Every, rc.Rule)
		}
		c.optional(at.with("for"), rc.For, rc.Rule)
		c.optional(at.with("then_every"), rc.ThenEvery, rc.Rule)
		switch {
		case rc.ThenFrom != "" && rc.ThenFrom != "agreed":
			c.fail(at.with("then_from"), rc.Rule, "%q: the only switch point without a period is agreed", rc.ThenFrom)
		case rc.ThenFrom != "" && rc.ThenEvery.IsZero():
			c.fail(at.with("then_every"), rc.Rule, "is missing: then_from says when the cadence changes, then_every to what")
		case !rc.ThenEvery.IsZero() && rc.ThenFrom == "" && rc.For.IsZero():
			c.fail(at.with("then_every"), rc.Rule, "needs for (how long the first cadence lasts) or then_from: agreed")
		}
	}
	if sl := ps.SessionMinutes; sl != nil {
		at := base.with("session_minutes")
		c.ref(at.with("rule"), sl.Rule, false)
		if sl.Min < 1 || sl.Max < sl.Min || sl.Max > 24*60 {
			c.fail(at, sl.Rule, "min %d and max %d are not a range of minutes", sl.Min, sl.Max)
		}
		c.sessionBound(at.with("bound"), sl.Bound, sl.Rule, true)
	}
	c.nonWorkingDay(base.with("non_working_day"), ps.NonWorkingDay, false)
	c.span(base.with("booking_horizon"), ps.BookingHorizon)
	c.span(base.with("rebook_within"), ps.RebookWithin)
	for i, a := range ps.SupervisorAbsence {
		at := base.with("supervisor_absence", i)
		c.ref(at.with("rule"), a.Rule, false)
		c.positive(at.with("after"), a.After, a.Rule)
		c.optional(at.with("cover_within"), a.CoverWithin, a.Rule)
	}
}

func (c *checker) agreement() {
	ag := c.p.Agreement
	if ag == nil {
		return
	}
	base := pathOf("agreement")
	c.span(base.with("sign_within"), ag.SignWithin)
	c.span(base.with("renew_every"), ag.RenewEvery)
	if t := ag.ReagreeOn; t != nil {
		at := base.with("reagree_on")
		c.ref(at.with("rule"), t.Rule, false)
		if len(t.Events) == 0 {
			c.fail(at.with("events"), t.Rule, "is missing")
		}
		for i, e := range t.Events {
			if !slices.Contains(AgreementEvents, e) {
				c.fail(at.with("events", i), t.Rule, "%q is not an event: use one of %s", e, strings.Join(AgreementEvents, ", "))
			}
		}
	}
}

func (c *checker) signOff() {
	so := c.p.SignOff
	if so == nil {
		return
	}
	at := pathOf("sign_off")
	c.ref(at.with("rule"), so.Rule, false)
	switch {
	case c.has(at.with("within")) == (so.By != ""):
		c.fail(at, so.Rule, "give within (a period) or by: next_session, one of them")
	case so.By != "" && so.By != "next_session":
		c.fail(at.with("by"), so.Rule, "%q: the only point is next_session", so.By)
	case so.By == "":
		c.positive(at.with("within"), so.Within, so.Rule)
	}
	if so.OwedBy != "" && so.OwedBy != OwedBySupervisor && so.OwedBy != OwedByBoth {
		c.fail(at.with("owed_by"), so.Rule, "%q: the deadline is owed by %s or %s", so.OwedBy, OwedBySupervisor, OwedByBoth)
	}
}

func (c *checker) caseSupervision() {
	cs := c.p.CaseSupervision
	if cs == nil {
		return
	}
	base := pathOf("case_supervision")
	c.nonWorkingDay(base.with("non_working_day"), cs.NonWorkingDay, false)
	cats := map[string]bool{}
	for i, cc := range cs.Categories {
		at := base.with("categories", i)
		c.ref(at.with("rule"), cc.Rule, false)
		if !word.MatchString(cc.Category) {
			c.fail(at.with("category"), cc.Rule, "%q: a category is a lower-case word like child_in_need", cc.Category)
		} else if cats[cc.Category] {
			c.fail(at.with("category"), cc.Rule, "%q is listed twice", cc.Category)
		}
		cats[cc.Category] = true
		n := 0
		for _, set := range []bool{c.has(at.with("every")), cc.Once, cc.AsRequired} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.fail(at, cc.Rule, "give one of every (a period), once: true or as_required: true")
		} else if c.has(at.with("every")) {
			c.positive(at.with("every"), cc.Every, cc.Rule)
		}
	}
	for _, k := range []struct {
		key string
		ref *RuleRef
	}{{"on_allocation", cs.OnAllocation}, {"before_transfer", cs.BeforeTransfer}} {
		if k.ref != nil {
			c.ref(base.with(k.key, "rule"), k.ref.Rule, false)
		}
	}
	for i, rd := range cs.RecordWithin {
		at := base.with("record_within", i)
		c.ref(at.with("rule"), rd.Rule, false)
		if !slices.Contains(RecordKinds, rd.What) {
			c.fail(at.with("what"), rd.Rule, "%q is not a kind of record: use one of %s", rd.What, strings.Join(RecordKinds, ", "))
		}
		switch {
		case c.has(at.with("within")) == rd.Immediately:
			c.fail(at, rd.Rule, "give within (a period) or immediately: true, one of them")
		case !rd.Immediately:
			c.positive(at.with("within"), rd.Within, rd.Rule)
		}
	}
}

func (c *checker) caseload() {
	cl := c.p.Caseload
	if cl == nil {
		return
	}
	base := pathOf("caseload")
	c.span(base.with("analysis_every"), cl.AnalysisEvery)
	c.span(base.with("over_max_notify_after"), cl.OverMaxNotifyAfter)
}

func (c *checker) retention() {
	rt := c.p.Retention
	if rt == nil {
		return
	}
	at := pathOf("retention")
	c.ref(at.with("rule"), rt.Rule, false)
	c.positive(at.with("after_leaving"), rt.AfterLeaving, rt.Rule)
	if rt.Grace == nil {
		c.fail(at.with("grace"), rt.Rule, "is missing: a purge needs a grace period after the leave is recorded")
		return
	}
	c.span(at.with("grace"), rt.Grace)
}
