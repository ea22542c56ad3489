package policy

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// What the CLI runs, kept here so tests cover it without the binary.

// RoleNQSW is a newly qualified social worker: their lifecycle is the
// pack's early career programme (the ASYE, or its successor).
const RoleNQSW = "nqsw"

// StaffRoles are the roles a member of staff is onboarded in (api.Roles):
// each can be planned. The nqsw plans the early career programme; every
// other role its personal supervision under the pack's cadence for it.
func StaffRoles() []string { return slices.Sorted(maps.Keys(staffCadences)) }

// packRoleStaff plans a pack's cadence role (Roles) as a member of staff it
// applies to; "" is nobody the policy singles out (the default cadence).
var packRoleStaff = map[string]string{
	"default": "", "case_holding": "social_worker", "student": "student", "manager": "team_manager",
	"cp_chair_iro_lado": "cp_chair", "residential_new_starter": "residential_worker", "residential_agency": "agency_residential_worker",
}

// Schedule is the planned due duties of one worker's lifecycle.
type Schedule struct {
	Pack      PackRef       `json:"pack"`
	Role      string        `json:"role"`
	Programme string        `json:"programme"`
	Start     Date          `json:"start"`
	End       Date          `json:"end"`
	Items     []PlannedItem `json:"items"`
	// Cadence is the personal supervision cadence planned (not for the nqsw),
	// and Note says why a role has no dated session.
	Cadence *PersonalCadence `json:"cadence,omitempty"`
	Note    string           `json:"note,omitempty"`
}

// Schedule plans the lifecycle of a worker in a role who starts on start,
// under the authority's pack in force that day. count > 0 keeps only the
// first count items.
func (r *Registry) Schedule(authority, role string, start Date, count int) (*Schedule, error) {
	if start.IsZero() {
		return nil, fmt.Errorf("a start date is needed")
	}
	if count < 0 {
		return nil, fmt.Errorf("count %d: give 0 (the whole lifecycle) or more", count)
	}
	role = strings.ToLower(role)
	staffRole, packRole := packRoleStaff[role]
	if !packRole {
		staffRole = role
	}
	if !packRole && role != "induction_or_return" && !slices.Contains(StaffRoles(), role) {
		return nil, fmt.Errorf("no role %q: the staff roles are %s; the pack roles %s", role, strings.Join(StaffRoles(), ", "), strings.Join(Roles, ", "))
	}
	p, err := r.Pack(authority, start)
	if err != nil {
		return nil, err
	}
	cal := p.Calendar()
	if role == RoleNQSW {
		return &Schedule{
			Pack:      p.Ref(),
			Role:      RoleNQSW,
			Programme: p.ASYE.Programme,
			Start:     start,
			End:       p.ASYE.End(start, cal),
			Items:     p.ASYE.Plan(start, count, cal),
		}, nil
	}
	if role == "induction_or_return" {
		c := p.PersonalSupervision.CadenceFor("")
		s := &Schedule{Pack: p.Ref(), Role: role, Programme: "extra sessions during induction or after a long absence", Start: start, End: start, Items: []PlannedItem{}, Cadence: &c,
			Note: "extra sessions run between the dates the supervisor records, beside the worker's own cadence: none is dated from a start"}
		if c.Extra == nil {
			s.Note = "the policy sets no extra sessions for induction or a return from absence"
		}
		return s, nil
	}
	c, end, items := p.PersonalPlan(staffRole, start, count, cal)
	s := &Schedule{Pack: p.Ref(), Role: role, Programme: "personal supervision (first year)", Start: start, End: end, Items: items, Cadence: &c}
	switch {
	case c.ByShifts():
		s.Note = fmt.Sprintf("a session is due after every %d shifts worked, so no session has a date [%s]", c.EveryShifts, c.Rule)
	case !c.Timed():
		s.Note = "the policy sets no frequency for this role, so no session has a date"
	}
	if s.Items == nil {
		s.Items = []PlannedItem{}
	}
	return s, nil
}

// CheckPacks validates pack files, or the built-in packs when none are
// given, or with a council's directory of packs as they load together
// (LoadWith), and says how many packs they hold.
func CheckPacks(paths ...string) (int, error) {
	var reg *Registry
	var err error
	if len(paths) == 0 {
		reg, err = Load()
	} else if fi, serr := os.Stat(paths[0]); len(paths) == 1 && serr == nil && fi.IsDir() {
		reg, err = LoadWith(paths[0])
	} else {
		reg, err = LoadFiles(paths...)
	}
	if err != nil {
		return 0, err
	}
	return len(reg.Packs()), nil
}
