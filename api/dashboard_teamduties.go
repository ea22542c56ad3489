package api

import (
	"context"
	"net/url"
	"strings"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// teamDutyRow is one duty my team owes (team_duty.go), as the supervisor
// page shows it and records it.
type teamDutyRow struct {
	Authority, Duty, Rule string
	NextDue               string // YYYY-MM-DD; "" before its lifecycle starts
	Overdue               bool
	Record                bool   // the pack sets a time to make its record
	RecordHeldOn          string // the meeting whose record is due first, if any
	URL                   string // the duty's routes: <URL>/held, <URL>/records
}

// teamDutiesOf reads the duties a team owes from the due items their
// lifecycles keep: the page's reads are of the database, while the route's
// query (GET /teams/:team/duties) asks each lifecycle.
func (s *Server) teamDutiesOf(ctx context.Context, authority, team string, today policy.Date) ([]teamDutyRow, error) {
	pack, err := s.Packs.Pack(authority, today)
	if err != nil {
		return nil, nil // no pack in force: no duties to show (as the case forms, dashboard_cases.go)
	}
	var rows []teamDutyRow
	for _, d := range pack.TeamDutiesFor(team) {
		row := teamDutyRow{Authority: authority, Duty: d.Duty, Rule: d.Rule, Record: d.RecordWithin != nil,
			URL: "/api/v1/teams/" + url.PathEscape(team) + "/duties/" + url.PathEscape(d.Duty)}
		var items []models.DueItem
		err := s.DB.WithContext(ctx).Where("workflow_id = ? AND status IN ?", workflows.TeamDutyID(authority, team, d.Duty),
			[]string{models.DueStatusDue, models.DueStatusOverdue}).Order("due_on, key").Find(&items).Error
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if held, ok := strings.CutPrefix(it.Key, "record:"); ok {
				if row.RecordHeldOn == "" {
					row.RecordHeldOn = held
				}
				continue
			}
			if row.NextDue == "" {
				row.NextDue, row.Overdue = it.DueOn, it.Status == models.DueStatusOverdue
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
