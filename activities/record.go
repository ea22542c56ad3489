// Package activities is the only code that writes the database. Each
// workflow decision arrives as one Event and is applied in one transaction,
// keyed by (workflow ID, event ID) so retries write nothing twice.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Activities holds what the activities need. Register its methods under the
// names in event.go.
type Activities struct {
	DB *gorm.DB
	// Packs are the worker's loaded packs (built in, or --packs): the
	// versions a running lifecycle moves to (NextPack). Nil: none moves.
	Packs *policy.Registry
}

// RecordEvent writes the audit row and every record the event carries, all
// or nothing. If the event was recorded before (a retry, or two attempts
// racing) it writes nothing and returns Applied=false.
//
// Errors: an invalid event is a non-retryable application error of type
// InvalidEventError; anything else (database down, lock timeout, a
// concurrent supervisor change) is an ordinary, retryable error.
func (a Activities) RecordEvent(ctx context.Context, ev Event) (RecordResult, error) {
	if err := validate(ev); err != nil {
		return RecordResult{}, invalid("%v", err)
	}
	detail := []byte("{}")
	if len(ev.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(ev.Detail); err != nil {
			return RecordResult{}, invalid("event %s/%s: detail is not JSON: %v", ev.WorkflowID, ev.EventID, err)
		}
	}
	if ev.At.IsZero() {
		ev.At = time.Now() // workflows should set it; a retry keeps the first write's time anyway
	}
	ev.At = ev.At.UTC()

	var applied bool
	err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		applied, err = apply(tx, ev, string(detail))
		return err
	})
	if err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			return RecordResult{}, appErr
		}
		return RecordResult{}, fmt.Errorf("record event %s/%s: %w", ev.WorkflowID, ev.EventID, err)
	}
	return RecordResult{Applied: applied}, nil
}

// personalText reports whether an event's reason is kept out of the audit
// log: personal text about a person, outside a child's case (whose file
// keeps its own record under its own retention).
func personalText(ev Event) bool {
	return ev.Reason != "" && ev.StaffID != "" && ev.CaseID == "" && !strings.HasPrefix(ev.WorkflowID, "Case:") && models.PersonalTextActions[ev.Action]
}

// apply writes the event inside tx. It returns false when the audit row was
// already there, having written nothing.
func apply(tx *gorm.DB, ev Event, detail string) (bool, error) {
	// The audit row goes first and claims the event, appended to the audit
	// hash chain (models.AppendAudit). A concurrent attempt blocks on the
	// chain's lock (PostgreSQL) or the write lock (SQLite) until this
	// transaction ends, then inserts nothing.
	audit := models.AuditEvent{
		WorkflowID:  ev.WorkflowID,
		EventID:     ev.EventID,
		RunID:       ev.RunID,
		StaffID:     ev.StaffID,
		CaseID:      ev.CaseID,
		Actor:       ev.Actor,
		Action:      ev.Action,
		Reason:      ev.Reason,
		Authority:   ev.Authority,
		PackVersion: ev.PackVersion,
		RuleID:      ev.RuleID,
		Detail:      detail,
		OccurredAt:  ev.At,
		RecordedAt:  time.Now().UTC(),
	}
	personal := personalText(ev)
	if personal {
		audit.Reason = models.PersonalTextRef // the text goes beside the records, where the purge reaches it
	}
	inserted, err := models.AppendAudit(tx, &audit)
	if err != nil {
		return false, err
	}
	if !inserted {
		return false, nil // recorded before
	}
	if personal {
		if err := tx.Create(&models.PersonalText{WorkflowID: ev.WorkflowID, EventID: ev.EventID, StaffID: ev.StaffID, Text: ev.Reason, CreatedAt: ev.At}).Error; err != nil {
			return false, fmt.Errorf("insert personal text: %w", err)
		}
	}

	if ev.Staff != nil {
		if err := upsertStaff(tx, ev.Staff); err != nil {
			return false, err
		}
	}
	if ev.Supervisor != nil {
		if err := assignSupervisor(tx, ev); err != nil {
			return false, err
		}
	}
	if ev.Session != nil {
		if err := insertSession(tx, ev); err != nil {
			return false, err
		}
	}
	if len(ev.Due) > 0 {
		if err := upsertDue(tx, ev); err != nil {
			return false, err
		}
	}
	if ev.Record != nil {
		if err := writeRecord(tx, ev); err != nil {
			return false, err
		}
	}
	if ev.Case != nil {
		if err := writeCase(tx, ev); err != nil { // case.go
			return false, err
		}
	}
	for _, n := range ev.Notifications {
		row := models.Notification{
			WorkflowID:    ev.WorkflowID,
			EventID:       ev.EventID,
			RecipientRole: n.RecipientRole,
			Recipient:     n.Recipient,
			StaffID:       ev.StaffID,
			Kind:          n.Kind,
			Subject:       n.Subject,
			Body:          n.Body,
			DueKey:        n.DueKey,
			CreatedAt:     ev.At, // raised when the workflow decided, not when written
		}
		err := tx.Clauses(onConflictDoNothing("workflow_id", "event_id", "recipient_role", "recipient")).Create(&row).Error
		if err != nil {
			return false, fmt.Errorf("insert notification to %s %s: %w", n.RecipientRole, n.Recipient, err)
		}
	}
	return true, nil
}

// upsertStaff writes the staff row and its period (models.StaffPeriod).
// The supervisor is kept when the record leaves it empty: supervision
// changes arrive as SupervisorRecords, which keep the dated history and
// this projection in step. A record of a later period (a rehire) replaces
// the row, its leaving day included; one of an earlier period changes
// nothing on it.
func upsertStaff(tx *gorm.DB, s *StaffRecord) error {
	period := max(s.Period, 1)
	row := models.Staff{
		ID:          s.ID,
		Name:        s.Name,
		Authority:   s.Authority,
		Team:        s.Team,
		Role:        s.Role,
		StartDate:   s.StartDate,
		Status:      s.Status,
		PackVersion: s.PackVersion,
		LeftOn:      s.LeftOn,
		Period:      period,
		ASYEStart:   s.ASYEStart,
	}
	if s.SupervisorID != "" {
		row.SupervisorID = &s.SupervisorID
	}
	set := clause.AssignmentColumns([]string{"name", "authority", "team", "role", "start_date", "status", "pack_version", "period", "updated_at"})
	set = append(set, clause.Assignment{
		Column: clause.Column{Name: "supervisor_id"},
		Value:  gorm.Expr("COALESCE(excluded.supervisor_id, staff.supervisor_id)"),
	}, clause.Assignment{
		Column: clause.Column{Name: "left_on"},
		Value:  gorm.Expr("CASE WHEN excluded.left_on = '' AND excluded.period = staff.period THEN staff.left_on ELSE excluded.left_on END"),
	}, clause.Assignment{
		Column: clause.Column{Name: "asye_start"},
		Value:  gorm.Expr("CASE WHEN excluded.asye_start = '' THEN staff.asye_start ELSE excluded.asye_start END"),
	})
	err := tx.Clauses(clause.OnConflict{
		Columns: columns("id"), DoUpdates: set,
		Where: clause.Where{Exprs: []clause.Expression{gorm.Expr("excluded.period >= staff.period")}},
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("upsert staff %s: %w", s.ID, err)
	}
	p := models.StaffPeriod{
		StaffID: s.ID, Period: period, Authority: s.Authority, Team: s.Team, Role: s.Role,
		StartDate: s.StartDate, LeftOn: s.LeftOn, PackVersion: s.PackVersion,
	}
	pset := clause.AssignmentColumns([]string{"authority", "team", "role", "start_date", "pack_version", "updated_at"})
	pset = append(pset, clause.Assignment{
		Column: clause.Column{Name: "left_on"},
		Value:  gorm.Expr("CASE WHEN excluded.left_on = '' THEN staff_periods.left_on ELSE excluded.left_on END"),
	})
	if err := tx.Clauses(clause.OnConflict{Columns: columns("staff_id", "period"), DoUpdates: pset}).Create(&p).Error; err != nil {
		return fmt.Errorf("upsert period %d of staff %s: %w", period, s.ID, err)
	}
	return nil
}

// assignSupervisor opens a supervision relationship from rec.From, closing
// the open one on that day. Re-stating the current supervisor changes
// nothing, so several workflows may report the same change; a rehire opens
// its period's own, whoever the supervisor.
func assignSupervisor(tx *gorm.DB, ev Event) error {
	rec := ev.Supervisor
	now := time.Now().UTC()
	// A rehire's assignment is the new period's, under the same supervisor too.
	rehire := ev.Staff != nil && ev.Staff.Period > 1

	var open models.SupervisorAssignment
	err := tx.Where("staff_id = ? AND to_date IS NULL", rec.StaffID).Take(&open).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		// First supervisor.
	case err != nil:
		return fmt.Errorf("find current supervisor of %s: %w", rec.StaffID, err)
	case open.SupervisorID == rec.SupervisorID && !(rehire && open.From < rec.From):
		return nil
	case rec.From < open.From:
		return invalid("event %s/%s: supervisor change for %s from %s predates the current assignment (from %s)",
			ev.WorkflowID, ev.EventID, rec.StaffID, rec.From, open.From)
	default:
		// "to_date IS NULL" again: if another event closed it since we read
		// it, nothing matches and this attempt retries against the new state.
		res := tx.Model(&models.SupervisorAssignment{}).
			Where("id = ? AND to_date IS NULL", open.ID).
			Updates(map[string]any{"to_date": rec.From, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("close supervisor assignment %d: %w", open.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("supervisor of %s changed concurrently; retry", rec.StaffID)
		}
	}

	// A concurrent first assignment trips the one-open-per-staff unique
	// index; the error is retryable and the retry sees it.
	next := models.SupervisorAssignment{
		StaffID:      rec.StaffID,
		SupervisorID: rec.SupervisorID,
		From:         rec.From,
		WorkflowID:   ev.WorkflowID,
		EventID:      ev.EventID,
	}
	if err := tx.Create(&next).Error; err != nil {
		return fmt.Errorf("open supervisor assignment for %s: %w", rec.StaffID, err)
	}
	// Keep the staff row's current supervisor in step (no row yet is fine).
	err = tx.Model(&models.Staff{}).Where("id = ?", rec.StaffID).
		Updates(map[string]any{"supervisor_id": rec.SupervisorID, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("set supervisor of %s: %w", rec.StaffID, err)
	}
	return nil
}

func insertSession(tx *gorm.DB, ev Event) error {
	s := ev.Session
	row := models.Session{
		WorkflowID:      ev.WorkflowID,
		EventID:         ev.EventID,
		StaffID:         s.StaffID,
		SupervisorID:    s.SupervisorID,
		Kind:            s.Kind,
		HeldOn:          s.HeldOn,
		DurationMinutes: s.DurationMinutes,
		RequestID:       s.RequestID,
		Notes:           s.Notes,
		UsualMinutes:    s.UsualMinutes,
	}
	if err := tx.Clauses(onConflictDoNothing("workflow_id", "event_id")).Create(&row).Error; err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// upsertDue writes each due item, keyed by (workflow, key). Who and where
// default to the event's: the team lists need a team, and a workflow need
// not repeat the staff row on every item.
func upsertDue(tx *gorm.DB, ev Event) error {
	teams := map[string]string{} // staff id → team, looked up once per event
	for _, d := range ev.Due {
		row := models.DueItem{
			WorkflowID: ev.WorkflowID,
			Key:        d.Key,
			Kind:       d.Kind,
			StaffID:    or(d.StaffID, ev.StaffID),
			CaseID:     or(d.CaseID, ev.CaseID),
			Team:       d.Team,
			Authority:  or(d.Authority, ev.Authority),
			DueOn:      d.DueOn,
			Status:     d.Status,
			RuleID:     or(d.RuleID, ev.RuleID),
		}
		if d.MetOn != "" {
			row.MetOn = &d.MetOn
		}
		if row.Team == "" && row.StaffID != "" {
			// The staff row, upserted above if this event carried it.
			team, ok := teams[row.StaffID]
			if !ok {
				var err error
				if team, err = staffTeam(tx, row.StaffID); err != nil {
					return err
				}
				teams[row.StaffID] = team
			}
			row.Team = team
		}
		before, err := models.LockDueItem(tx, row.WorkflowID, row.Key)
		if err != nil {
			return err
		}
		set := clause.AssignmentColumns([]string{"kind", "staff_id", "case_id", "team", "authority", "due_on", "status", "met_on", "rule_id", "updated_at"})
		if err := tx.Clauses(clause.OnConflict{Columns: columns("workflow_id", "key"), DoUpdates: set}).Create(&row).Error; err != nil {
			return fmt.Errorf("upsert due item %s: %w", d.Key, err)
		}
		// The report's stored counts, in this transaction (issue 14).
		if err := models.SummariseDueItemChange(tx, before, &row); err != nil {
			return err
		}
	}
	return nil
}

// staffTeam is the team on the staff row, "" when there is no row yet.
func staffTeam(tx *gorm.DB, staffID string) (string, error) {
	var teams []string
	if err := tx.Model(&models.Staff{}).Where("id = ?", staffID).Limit(1).Pluck("team", &teams).Error; err != nil {
		return "", fmt.Errorf("look up team of %s: %w", staffID, err)
	}
	if len(teams) == 0 {
		return "", nil
	}
	return teams[0], nil
}

// validate reports everything wrong with an event at once, so one failed
// activity tells the workflow author all they need to fix.
func validate(ev Event) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	date := func(field, v string, required bool) {
		if v == "" {
			if required {
				bad("%s is required", field)
			}
			return
		}
		if _, err := time.Parse(models.DateLayout, v); err != nil {
			bad("%s %q is not a date in the form YYYY-MM-DD", field, v)
		}
	}

	if ev.WorkflowID == "" {
		bad("workflow_id is required")
	}
	if ev.EventID == "" {
		bad("event_id is required")
	}
	if s := ev.Staff; s != nil {
		if s.ID == "" {
			bad("staff.id is required")
		}
		date("staff.start_date", s.StartDate, false)
	}
	if s := ev.Supervisor; s != nil {
		if s.StaffID == "" {
			bad("supervisor.staff_id is required")
		}
		if s.SupervisorID == "" {
			bad("supervisor.supervisor_id is required")
		}
		if s.StaffID != "" && s.StaffID == s.SupervisorID {
			bad("supervisor.supervisor_id: %s cannot supervise themselves", s.StaffID)
		}
		date("supervisor.from", s.From, true)
	}
	if s := ev.Session; s != nil {
		if s.StaffID == "" {
			bad("session.staff_id is required")
		}
		date("session.held_on", s.HeldOn, true)
		if s.DurationMinutes < 0 {
			bad("session.duration_minutes %d is negative", s.DurationMinutes)
		}
	}
	for i, d := range ev.Due {
		if d.Key == "" {
			bad("due[%d].key is required", i)
		}
		date(fmt.Sprintf("due[%d].due_on", i), d.DueOn, true)
		date(fmt.Sprintf("due[%d].met_on", i), d.MetOn, false)
		switch d.Status {
		case models.DueStatusDue, models.DueStatusOverdue, models.DueStatusMet, models.DueStatusClosed:
		default:
			bad("due[%d].status %q is not one of due, overdue, met, closed", i, d.Status)
		}
	}
	for i, n := range ev.Notifications {
		if n.Recipient == "" && n.RecipientRole == "" {
			bad("notifications[%d] needs a recipient or a recipient_role", i)
		}
	}
	if r := ev.Record; r != nil {
		validateRecord(r, bad, date)
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid event %s/%s: %s", ev.WorkflowID, ev.EventID, strings.Join(problems, "; "))
	}
	return nil
}

func invalid(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), InvalidEventError, nil)
}

func onConflictDoNothing(cols ...string) clause.OnConflict {
	return clause.OnConflict{Columns: columns(cols...), DoNothing: true}
}

func columns(names ...string) []clause.Column {
	cs := make([]clause.Column, len(names))
	for i, n := range names {
		cs[i] = clause.Column{Name: n}
	}
	return cs
}

func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// RecordFinalisedError is the application error type of a write to a
// finalised supervision record: it can never be amended, so retrying is
// pointless and the whole event is rolled back.
const RecordFinalisedError = "RecordFinalised"

// writeRecord upserts the record's row and appends its new version,
// signature or dispute. A finalised record refuses every write.
func writeRecord(tx *gorm.DB, ev Event) error {
	r := ev.Record
	var existing []models.SupervisionRecord
	if err := tx.Where("id = ?", r.ID).Limit(1).Find(&existing).Error; err != nil {
		return fmt.Errorf("read record %s: %w", r.ID, err)
	}
	if len(existing) == 1 && existing[0].Status == models.RecordFinalised {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("event %s/%s: record %s was finalised and cannot be amended", ev.WorkflowID, ev.EventID, r.ID), RecordFinalisedError, nil)
	}
	row := models.SupervisionRecord{
		ID: r.ID, WorkflowID: ev.WorkflowID, StaffID: r.StaffID, SupervisorID: r.SupervisorID, ManagerID: r.ManagerID,
		Team: r.Team, Authority: ev.Authority, PackVersion: ev.PackVersion,
		SessionWorkflowID: r.SessionWorkflowID, SessionKind: r.SessionKind, HeldOn: r.HeldOn, DueOn: r.DueOn,
		RuleID: or(r.RuleID, ev.RuleID), PreviousRecordID: r.PreviousRecordID, Status: r.Status, Outcome: r.Outcome,
		CurrentVersion: r.CurrentVersion, SignedOn: r.SignedOn, FinalisedBy: r.FinalisedBy, ClosedReason: r.ClosedReason,
	}
	if row.Team == "" {
		team, err := staffTeam(tx, r.StaffID)
		if err != nil {
			return err
		}
		row.Team = team
	}
	if r.Status == models.RecordFinalised {
		at := ev.At
		row.FinalisedAt = &at
	}
	set := clause.AssignmentColumns([]string{
		"supervisor_id", "manager_id", "team", "due_on", "rule_id", "status", "outcome", "current_version",
		"signed_on", "finalised_by", "finalised_at", "closed_reason", "updated_at",
	})
	if err := tx.Clauses(clause.OnConflict{Columns: columns("id"), DoUpdates: set}).Create(&row).Error; err != nil {
		return fmt.Errorf("upsert record %s: %w", r.ID, err)
	}
	// Versions, signatures and disputes are written once: a second write of
	// the same one (from a different event) is a lifecycle bug, not a retry.
	once := func(what string, res *gorm.DB) error {
		if res.Error != nil {
			return fmt.Errorf("insert %s of record %s: %w", what, r.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return invalid("event %s/%s: %s of record %s was already written", ev.WorkflowID, ev.EventID, what, r.ID)
		}
		return nil
	}
	if v := r.Version; v != nil {
		res := tx.Clauses(onConflictDoNothing("record_id", "version")).Create(&models.RecordVersion{
			RecordID: r.ID, Version: v.Version, Kind: v.Kind, Text: v.Text, SupervisorView: v.SupervisorView,
			SuperviseeView: v.SuperviseeView, AuthorID: v.AuthorID, WorkflowID: ev.WorkflowID, EventID: ev.EventID, WrittenAt: ev.At,
		})
		if err := once(fmt.Sprintf("version %d", v.Version), res); err != nil {
			return err
		}
	}
	if sg := r.Signature; sg != nil {
		res := tx.Clauses(onConflictDoNothing("record_id", "version", "role")).Create(&models.RecordSignature{
			RecordID: r.ID, Version: sg.Version, Role: sg.Role, SignerID: sg.SignerID, WorkflowID: ev.WorkflowID, EventID: ev.EventID, SignedAt: ev.At,
		})
		if err := once(fmt.Sprintf("the %s's signature on version %d", sg.Role, sg.Version), res); err != nil {
			return err
		}
	}
	if d := r.Dispute; d != nil {
		res := tx.Clauses(onConflictDoNothing("record_id", "version")).Create(&models.RecordDispute{
			RecordID: r.ID, Version: d.Version, View: d.View, RaisedBy: d.RaisedBy, WorkflowID: ev.WorkflowID, EventID: ev.EventID, RaisedAt: ev.At,
		})
		if err := once(fmt.Sprintf("the dispute of version %d", d.Version), res); err != nil {
			return err
		}
	}
	return nil
}

func validateRecord(r *RecordWrite, bad func(string, ...any), date func(string, string, bool)) {
	if r.ID == "" {
		bad("record.id is required")
	}
	if r.StaffID == "" {
		bad("record.staff_id is required")
	}
	date("record.held_on", r.HeldOn, true)
	date("record.due_on", r.DueOn, false)
	date("record.signed_on", r.SignedOn, false)
	switch r.Status {
	case models.RecordDraft, models.RecordAwaitingSupervisee, models.RecordDisputed, models.RecordSigned, models.RecordFinalised, models.RecordClosed:
	default:
		bad("record.status %q is not a record status", r.Status)
	}
	if v := r.Version; v != nil {
		if v.Version <= 0 {
			bad("record.version.version must be positive")
		}
		switch v.Kind {
		case models.VersionDraft, models.VersionAmendment, models.VersionBothViews:
		default:
			bad("record.version.kind %q is not one of draft, amendment, both_views", v.Kind)
		}
		if v.Text == "" {
			bad("record.version.text is required")
		}
		if v.AuthorID == "" {
			bad("record.version.author_id is required")
		}
	}
	if sg := r.Signature; sg != nil {
		if sg.Version <= 0 {
			bad("record.signature.version must be positive")
		}
		if sg.Role != models.RoleSupervisor && sg.Role != models.RoleSupervisee {
			bad("record.signature.role %q is not supervisor or supervisee", sg.Role)
		}
		if sg.SignerID == "" {
			bad("record.signature.signer_id is required")
		}
	}
	if d := r.Dispute; d != nil {
		if d.Version <= 0 {
			bad("record.dispute.version must be positive")
		}
		if d.View == "" {
			bad("record.dispute.view is required")
		}
	}
}
