package models

import (
	"context"
	"fmt"
	"sort"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/securebase/securebase/policy"
)

// The stored compliance summary (issue 14 part 5): the report's counts per
// authority, month, team and duty, kept up to date in the transaction that
// writes the due item (SummariseDueItemChange), so it cannot drift.
//
// A cell counts each item in the state it is in now: held on time, held
// late, missed because it was closed after its due day, or open. An open
// item is missed or pending depending on the day the report is "as at"
// (due_on < D), which is why open items are counted per due day (decided
// ones per month: one cell per team and duty, DueOn ""): the month's report
// as at any day on or after the latest write is a sum over the month's cells
// (ComplianceSummaryCounts). Per due day throughout was nearly a cell per
// item at national scale (1.9 million cells for 2.4 million items). A report as at an earlier day needs the items'
// write times, so it is computed from the due items (ComputeCompliance).
// The summary has no item lists, supervisors, workers or short-session
// flags: those come from the computed or stored report.
type ComplianceSummary struct {
	Authority string `gorm:"primaryKey"`
	Month     string `gorm:"primaryKey;type:varchar(7)"` // YYYY-MM
	Team      string `gorm:"primaryKey"`
	Duty      string `gorm:"primaryKey"`
	DueOn     string `gorm:"primaryKey;type:varchar(10)"` // open items' due day; "" for the decided ones
	OnTime    int    `gorm:"not null;default:0"`
	Late      int    `gorm:"not null;default:0"`
	Missed    int    `gorm:"not null;default:0"`                   // closed after its due day, never held
	Open      int    `gorm:"column:open_items;not null;default:0"` // due or overdue: missed or pending as at a day
}

func (ComplianceSummary) TableName() string { return "compliance_summary" }

// summaryCell is where an item counts in the summary and as what ("" for
// an item the report leaves out).
type summaryCell struct {
	authority, month, team, duty, dueOn string
	column                              string // on_time, late, missed or open_items
}

// cellOf classifies an item as it stands, as ComputeCompliance does as at a
// day after its latest write.
func cellOf(it *DueItem) summaryCell {
	if it == nil || it.RuleID == "" {
		return summaryCell{}
	}
	if len(it.DueOn) < 7 {
		return summaryCell{} // no month: the report's range never holds it
	}
	c := summaryCell{authority: it.Authority, month: it.DueOn[:7], team: it.Team, duty: dutyOf(it.Kind)}
	switch {
	case c.duty == "":
		return summaryCell{}
	case it.MetOn != nil && *it.MetOn <= it.DueOn:
		c.column = "on_time"
	case it.MetOn != nil:
		c.column = "late"
	case it.Status == DueStatusClosed:
		if policy.DateOf(it.UpdatedAt).String() <= it.DueOn {
			return summaryCell{} // closed before it fell due: no longer owed
		}
		c.column = "missed"
	default:
		c.column, c.dueOn = "open_items", it.DueOn
	}
	return c
}

// SummariseDueItemChange moves an item's count in the summary from where it
// counted before the write (nil: a new item) to where it counts after it
// (nil: deleted). Call it in the transaction that writes the item, with the
// row as it was (read FOR UPDATE, LockDueItem) and as written.
func SummariseDueItemChange(tx *gorm.DB, before, after *DueItem) error {
	from, to := cellOf(before), cellOf(after)
	if from == to {
		return nil
	}
	if err := addToCell(tx, from, -1); err != nil {
		return err
	}
	return addToCell(tx, to, 1)
}

// set puts n in the row's count for a cell's column.
func (s *ComplianceSummary) set(column string, n int) {
	switch column {
	case "on_time":
		s.OnTime = n
	case "late":
		s.Late = n
	case "missed":
		s.Missed = n
	default:
		s.Open = n
	}
}

func addToCell(tx *gorm.DB, c summaryCell, n int) error {
	if c.column == "" {
		return nil
	}
	row := ComplianceSummary{Authority: c.authority, Month: c.month, Team: c.team, Duty: c.duty, DueOn: c.dueOn}
	row.set(c.column, n)
	add := clause.Assignments(map[string]any{c.column: gorm.Expr("compliance_summary." + c.column + " + excluded." + c.column)})
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "authority"}, {Name: "month"}, {Name: "team"}, {Name: "duty"}, {Name: "due_on"}}, DoUpdates: add}).
		Create(&row).Error
	if err != nil {
		return fmt.Errorf("compliance summary %s %s %s %s: %w", c.authority, c.month, c.team, c.duty, err)
	}
	return nil
}

// LockDueItem reads the item (nil if there is none) and, on PostgreSQL,
// locks it for the transaction, so two writes of one item can't both count
// from the same before.
func LockDueItem(tx *gorm.DB, workflowID, key string) (*DueItem, error) {
	q := tx.Where("workflow_id = ? AND \"key\" = ?", workflowID, key)
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var rows []DueItem
	if err := q.Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read due item %s/%s: %w", workflowID, key, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// RebuildComplianceSummary recounts the whole summary from the due items
// (migration 23, and after bulk loads that bypass the write path).
func RebuildComplianceSummary(ctx context.Context, db *gorm.DB) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM compliance_summary").Error; err != nil {
			return err
		}
		cells := map[summaryCell]int{}
		rows, err := tx.Raw(`SELECT kind, team, authority, due_on, status, met_on, rule_id, updated_at FROM due_items WHERE rule_id <> ''`).Rows()
		if err != nil {
			return fmt.Errorf("compliance summary: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var it DueItem
			if err := rows.Scan(&it.Kind, &it.Team, &it.Authority, &it.DueOn, &it.Status, &it.MetOn, &it.RuleID, &it.UpdatedAt); err != nil {
				return fmt.Errorf("compliance summary: %w", err)
			}
			if c := cellOf(&it); c.column != "" {
				cells[c]++
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("compliance summary: %w", err)
		}
		byKey := map[summaryCell]*ComplianceSummary{}
		var out []*ComplianceSummary
		for c, n := range cells {
			k := c
			k.column = ""
			s := byKey[k]
			if s == nil {
				s = &ComplianceSummary{Authority: c.authority, Month: c.month, Team: c.team, Duty: c.duty, DueOn: c.dueOn}
				byKey[k] = s
				out = append(out, s)
			}
			s.set(c.column, n)
		}
		if len(out) == 0 {
			return nil
		}
		return tx.CreateInBatches(out, 1000).Error
	})
}

// ComplianceSummaryCounts is the month's report counts (per duty: the total
// and each team; no item lists, supervisors or workers) as at asAt, from
// the stored summary. asAt must be on or after the day of the latest write
// of the month's items (today, for the live report).
func ComplianceSummaryCounts(ctx context.Context, db *gorm.DB, authority, month, asAt, team string) ([]DutyCompliance, error) {
	if _, _, err := MonthBounds(month); err != nil {
		return nil, err
	}
	q := db.WithContext(ctx).Model(&ComplianceSummary{}).
		Select(`team, duty, SUM(on_time) AS on_time, SUM(late) AS late,
			SUM(missed) + SUM(CASE WHEN due_on < ? THEN open_items ELSE 0 END) AS missed,
			SUM(CASE WHEN due_on >= ? THEN open_items ELSE 0 END) AS pending`, asAt, asAt).
		Where("authority = ? AND month = ?", authority, month)
	if team != "" {
		q = q.Where("team = ?", team)
	}
	var sums []struct {
		Team, Duty                    string
		OnTime, Late, Missed, Pending int
	}
	if err := q.Group("team, duty").Scan(&sums).Error; err != nil {
		return nil, fmt.Errorf("compliance summary %s %s: %w", authority, month, err)
	}
	out := make([]DutyCompliance, len(ComplianceDuties))
	at := map[string]int{}
	for i, d := range ComplianceDuties {
		out[i] = DutyCompliance{Duty: d.Name, Kinds: d.Kinds, ByTeam: []GroupCounts{}, BySupervisor: []GroupCounts{}, ByWorker: []GroupCounts{}}
		at[d.Name] = i
	}
	for _, s := range sums {
		i, ok := at[s.Duty]
		if !ok || s.OnTime+s.Late+s.Missed+s.Pending == 0 {
			continue // a cell whose items all moved away
		}
		c := ComplianceCounts{OnTime: s.OnTime, Late: s.Late, Missed: s.Missed, Pending: s.Pending, Due: s.OnTime + s.Late + s.Missed + s.Pending}
		c.finish()
		out[i].ByTeam = append(out[i].ByTeam, GroupCounts{ID: s.Team, ComplianceCounts: c})
		t := &out[i].Total
		t.OnTime, t.Late, t.Missed, t.Pending, t.Due = t.OnTime+c.OnTime, t.Late+c.Late, t.Missed+c.Missed, t.Pending+c.Pending, t.Due+c.Due
	}
	for i := range out {
		out[i].Total.finish()
		sort.Slice(out[i].ByTeam, func(a, b int) bool { return out[i].ByTeam[a].ID < out[i].ByTeam[b].ID }) // Go's order, as the report's
	}
	return out, nil
}

// CountsOnly is a report's duties with what the summary holds: each duty's
// total and teams, counts only.
func CountsOnly(duties []DutyCompliance) []DutyCompliance {
	strip := func(c ComplianceCounts) ComplianceCounts {
		c.Short, c.ShortItems = 0, nil
		c.OnTimeItems, c.LateItems, c.MissedItems, c.PendingItems = []string{}, []string{}, []string{}, []string{}
		return c
	}
	out := make([]DutyCompliance, len(duties))
	for i, d := range duties {
		out[i] = DutyCompliance{Duty: d.Duty, Kinds: d.Kinds, Total: strip(d.Total), ByTeam: []GroupCounts{}, BySupervisor: []GroupCounts{}, ByWorker: []GroupCounts{}}
		for _, g := range d.ByTeam {
			out[i].ByTeam = append(out[i].ByTeam, GroupCounts{ID: g.ID, ComplianceCounts: strip(g.ComplianceCounts)})
		}
	}
	return out
}

// migrateComplianceSummary creates the summary and counts the existing items.
func migrateComplianceSummary(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&ComplianceSummary{}); err != nil {
		return err
	}
	return RebuildComplianceSummary(tx.Statement.Context, tx)
}

// unsummariseDueItems takes the items about to be deleted out of the summary.
func unsummariseDueItems(tx *gorm.DB, where string, args ...any) error {
	var gone []DueItem
	if err := tx.Where(where, args...).Find(&gone).Error; err != nil {
		return fmt.Errorf("due items to delete: %w", err)
	}
	for i := range gone {
		if err := SummariseDueItemChange(tx, &gone[i], nil); err != nil {
			return err
		}
	}
	return nil
}
