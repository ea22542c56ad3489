package policy

// Reminders: a notice to the supervisor Before a duty falls due, so it can
// be booked and held on time. Every pack states it; where the authority's
// policy is silent the rule says securebase default.
type Reminders struct {
	Before Period `json:"before" yaml:"before"`
	Rule   string `json:"rule" yaml:"rule"`
}

// RemindFrom is the last due date a reminder is owed for on today: a duty
// due on or before it is within the lead time.
func (r *Reminders) RemindFrom(today Date, cal *Calendar) Date { return r.Before.AddTo(today, cal) }

// reminders checks the block when a pack gives one.
func (c *checker) reminders() {
	r := c.p.Reminders
	if r == nil {
		return // no reminders before due dates under this pack
	}
	c.ref(pathOf("reminders", "rule"), r.Rule, false)
	c.positive(pathOf("reminders", "before"), r.Before, r.Rule)
}
