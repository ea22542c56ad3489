package policy

import (
	"fmt"
	"os"
	"strings"
)

// What the CLI runs, kept here so tests cover it without the binary.

// RoleNQSW is a newly qualified social worker: the only role with a
// lifecycle (the ASYE) in this release.
const RoleNQSW = "nqsw"

// Schedule is the planned due duties of one worker's lifecycle.
type Schedule struct {
	Pack      PackRef       `json:"pack"`
	Role      string        `json:"role"`
	Programme string        `json:"programme"`
	Start     Date          `json:"start"`
	End       Date          `json:"end"`
	Items     []PlannedItem `json:"items"`
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
	if !strings.EqualFold(role, RoleNQSW) {
		return nil, fmt.Errorf("no lifecycle for role %s in this release (only %s, the ASYE, is planned)", role, RoleNQSW)
	}
	p, err := r.Pack(authority, start)
	if err != nil {
		return nil, err
	}
	cal := p.Calendar()
	return &Schedule{
		Pack:      p.Ref(),
		Role:      RoleNQSW,
		Programme: p.ASYE.Programme,
		Start:     start,
		End:       p.ASYE.End(start, cal),
		Items:     p.ASYE.Plan(start, count, cal),
	}, nil
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
