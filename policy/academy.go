package policy

import (
	"slices"
	"strings"
)

// AcademyGroupSupervision is a duty the seed gives with no frequency: the
// Academy's mandatory group supervisions for students and NQSWs. With no
// frequency there is nothing to fall due, so securebase records attendance
// and shows it; it is never due and never escalated (set_by: default).
type AcademyGroupSupervision struct {
	Roles []string `json:"roles" yaml:"roles"` // staff roles (StaffRoles) who attend
	SetBy string   `json:"set_by" yaml:"set_by"`
	Rule  string   `json:"rule" yaml:"rule"`
}

// AcademyRule is the rule an attendance of role is recorded under, and
// whether the pack asks that role to attend at all.
func (p *Pack) AcademyRule(role string) (string, bool) {
	a := p.AcademyGroupSupervision
	if a == nil || !slices.Contains(a.Roles, role) {
		return "", false
	}
	return a.Rule, true
}

func (c *checker) academy() {
	a := c.p.AcademyGroupSupervision
	if a == nil {
		return
	}
	at := pathOf("academy_group_supervision")
	c.ref(at.with("rule"), a.Rule, false)
	if len(a.Roles) == 0 {
		c.fail(at.with("roles"), a.Rule, "is missing: name the staff roles who attend (%s)", strings.Join(StaffRoles(), ", "))
	}
	for j, r := range a.Roles {
		if !slices.Contains(StaffRoles(), r) || slices.Index(a.Roles, r) != j {
			c.fail(at.with("roles", j), a.Rule, "%q: each staff role once, one of %s", r, strings.Join(StaffRoles(), ", "))
		}
	}
	if a.SetBy != SetByDefault {
		c.fail(at.with("set_by"), a.Rule, "%q: write default (no frequency is given: attendance is recorded and shown, never due)", a.SetBy)
	}
}
