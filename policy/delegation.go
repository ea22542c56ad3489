package policy

import "slices"

// Delegation: a supervisor may hand some supervision tasks for a supervisee
// or a case to an experienced worker, naming which (Bolton B-CONF-1).
// Managerial tasks are never delegated. A pack without the block does not
// provide for delegation at all.
type Delegation struct {
	Rule  string   `json:"rule" yaml:"rule"`
	Tasks []string `json:"tasks" yaml:"tasks"`
	// Longest is how far ahead a delegation's last day may be: a delegation
	// is a cover arrangement, reviewed and renewed, never open-ended.
	Longest *Span `json:"longest" yaml:"longest"`
}

// LastDay is the latest last day of a delegation made on day.
func (d *Delegation) LastDay(day Date) Date { return d.Longest.Period.AddTo(day, nil) }

// DelegableTasks are the supervision tasks a pack may let a supervisor delegate.
var DelegableTasks = []string{
	"personal_supervision", // record, book and cancel personal supervision sessions; write the record's text
	"case_supervision",     // record case supervision sessions and file their records
}

// ManagerialTasks are never delegated, whatever a pack says: allocation,
// transfer, closure, decisions, category change, the ASYE's assessment,
// caseload analysis, supervisor change, appraisal, observation, finalising
// a record.
var ManagerialTasks = []string{
	"allocation", "transfer", "closure", "decisions", "category_change",
	"asye_outcome", "asye_extension", "asye_pause", "asye_resume", "asye_review",
	"caseload_analysis", "supervisor_change", "appraisal", "observation", "record_finalise",
}

// Allows reports whether the pack lets task be delegated.
func (d *Delegation) Allows(task string) bool { return d != nil && slices.Contains(d.Tasks, task) }

// delegation checks the block when a pack gives one.
func (c *checker) delegation() {
	d := c.p.Delegation
	if d == nil {
		return // this authority's policy does not provide for delegation
	}
	at := pathOf("delegation")
	c.ref(at.with("rule"), d.Rule, false)
	if r, ok := c.rules[d.Rule]; ok && r.Engine != Enforced {
		c.fail(at.with("rule"), d.Rule, "rule %s is %q, but the delegation block uses it, so the engine enforces it: write enforced", d.Rule, r.Engine)
	}
	if len(d.Tasks) == 0 {
		c.fail(at.with("tasks"), d.Rule, "is missing: name the tasks a supervisor may delegate %v", DelegableTasks)
	}
	if d.Longest == nil {
		c.fail(at.with("longest"), d.Rule, "is missing: say how far ahead a delegation may run (a period, and the rule that sets it)")
	} else {
		c.span(at.with("longest"), d.Longest)
	}
	for i, task := range d.Tasks {
		switch {
		case slices.Contains(ManagerialTasks, task):
			c.fail(at.with("tasks", i), d.Rule, "%q is a managerial task: managerial tasks are never delegated", task)
		case !slices.Contains(DelegableTasks, task):
			c.fail(at.with("tasks", i), d.Rule, "%q is not a delegable task %v", task, DelegableTasks)
		case slices.Index(d.Tasks, task) != i:
			c.fail(at.with("tasks", i), d.Rule, "%q is named twice", task)
		}
	}
}
