package activities

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/securebase/securebase/models"
)

func writeCase(tx *gorm.DB, ev Event) error {
	c := ev.Case
	if c.ID == "" {
		return invalid("event %s/%s: case.id is required", ev.WorkflowID, ev.EventID)
	}
	row := models.Case{
		ID: c.ID, WorkflowID: ev.WorkflowID, Authority: c.Authority, Team: c.Team, Category: c.Category,
		WorkerID: c.WorkerID, InvolvedID: c.InvolvedID, JointWorker: c.JointWorker, LeadWorker: c.LeadWorker,
		SupervisorID: c.SupervisorID, Status: c.Status, AllocatedOn: c.AllocatedOn, ClosedOn: c.ClosedOn,
		NextDue: c.NextDue, OverMaxNote: c.OverMaxNote, PackVersion: c.PackVersion,
	}
	set := clause.AssignmentColumns([]string{"workflow_id", "authority", "team", "category", "worker_id", "involved_id",
		"joint_worker", "lead_worker", "supervisor_id", "status", "allocated_on", "closed_on", "next_due", "over_max_note", "pack_version", "updated_at"})
	if err := tx.Clauses(clause.OnConflict{Columns: columns("id"), DoUpdates: set}).Create(&row).Error; err != nil {
		return fmt.Errorf("upsert case %s: %w", c.ID, err)
	}
	for _, a := range c.Actions {
		act := models.CaseAction{
			CaseID: c.ID, Key: a.Key, WorkflowID: ev.WorkflowID, What: a.What, Who: a.Who, ByWhen: a.ByWhen,
			Status: a.Status, SetOn: a.SetOn, DoneOn: a.DoneOn, RuleID: or(a.RuleID, ev.RuleID),
		}
		set := clause.AssignmentColumns([]string{"what", "who", "by_when", "status", "set_on", "done_on", "rule_id", "updated_at"})
		if err := tx.Clauses(clause.OnConflict{Columns: columns("case_id", "key"), DoUpdates: set}).Create(&act).Error; err != nil {
			return fmt.Errorf("upsert action %s of case %s: %w", a.Key, c.ID, err)
		}
	}
	return nil
}
