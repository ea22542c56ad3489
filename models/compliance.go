package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/securebase/securebase/policy"
)

// The monthly compliance report: for each duty, of the due items that fell
// due in a month, how many were held on time, held late, missed, and not
// yet due, by team, supervisor and worker, with the items behind each number.
//
// "As at" a day D (London) means: computed from what had been recorded by
// the end of D. The due_items projection keeps only each item's latest
// state, and its created_at and updated_at are written in the same
// transaction as the audit event that wrote the item (that event's
// recorded_at), so:
//   - an item counts only if it had been recorded by D (created_at before
//     the end of D);
//   - it counts as held as at D only if met_on <= D and its latest write
//     (the one that marked it met) was recorded by D; a session held before
//     D but recorded after it was not known at D;
//   - a closed item (leaver, case closed, superseded) whose closing was
//     recorded by D is not counted if it closed on or before its due day
//     (it was no longer owed), and is missed if it closed after it; a
//     closure recorded after D did not exist at D, so the item was open;
//   - an item not held as at D is missed if due_on < D, and pending (not
//     yet late) if due_on >= D.
//
// Items move due → overdue → met or closed and never back, so the latest
// write settles what the item was before it. What the projection cannot
// tell: a due day that was moved later (the current due_on is used).
//
// Rate = on time / (on time + late + missed): pending items are not yet
// decided. It is absent when nothing has been decided.

// Report outcomes of one due item.
const (
	OutcomeOnTime  = "on_time"
	OutcomeLate    = "late"
	OutcomeMissed  = "missed"
	OutcomePending = "pending"
)

// ComplianceDuty is one line of the report and the due item kinds it counts.
type ComplianceDuty struct {
	Name  string
	Kinds []string
}

// ComplianceDuties are the duties reported, in report order. The kinds are
// the ones the lifecycles write (workflows/*.go); a case's record filing
// (case_record) is a worker's duty, not supervision, and is left out.
var ComplianceDuties = []ComplianceDuty{
	{"asye_session", []string{"asye_session", "asye_review"}},
	{"personal_supervision", []string{"supervision_session"}},
	{"agreement", []string{"agreement_signature", "agreement_renewal"}},
	{"case_supervision", []string{"case_allocation_supervision", "case_supervision", "case_transfer_supervision"}},
	{"record_signoff", []string{"record_signoff"}},
	{"rebooking", []string{"supervision_rebooking"}},
	// A team's duties (workflows/team_duty.go): the kinds are policy.TeamDutyKinds, and a record's "<duty>_record".
	{"team_duties", []string{"group_supervision", "group_supervision_record", "team_brief", "team_caseload_review", "case_file_audit"}},
}

func dutyOf(kind string) string {
	for _, d := range ComplianceDuties {
		if slices.Contains(d.Kinds, kind) {
			return d.Name
		}
	}
	return ""
}

// ComplianceItem is one due item as the report classified it.
type ComplianceItem struct {
	DueItemID    int64  `json:"due_item_id"`
	WorkflowID   string `json:"workflow_id"`
	Key          string `json:"key"`
	Kind         string `json:"kind"`
	Duty         string `json:"duty"`
	StaffID      string `json:"staff_id"`
	CaseID       string `json:"case_id,omitempty"`
	Team         string `json:"team"`
	SupervisorID string `json:"supervisor_id"` // the staff member's supervisor on the due day ("" if none recorded)
	DueOn        string `json:"due_on"`
	MetOn        string `json:"met_on,omitempty"` // as at the report's day
	Outcome      string `json:"outcome"`
	// Short: the session that met it was shorter than the pack's usual
	// length (guidance, so held, and flagged here; issue 12).
	Short bool `json:"short,omitempty"`
}

// Ref names the due item behind a number: its workflow and key.
func (i ComplianceItem) Ref() string { return i.WorkflowID + "/" + i.Key }

// ComplianceReport is a stored monthly report, one per authority and month.
// Items holds the classified items (JSON); the counts are derived from them
// on read, so a team's view is the same items filtered.
type ComplianceReport struct {
	ID         int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	Authority  string    `gorm:"not null;uniqueIndex:ux_compliance_reports_month,priority:1" json:"authority"`
	Month      string    `gorm:"type:varchar(7);not null;uniqueIndex:ux_compliance_reports_month,priority:2" json:"month"` // YYYY-MM
	AsAt       string    `gorm:"type:varchar(10);not null" json:"as_at"`                                                   // YYYY-MM-DD
	Items      string    `gorm:"type:text;not null;default:'[]'" json:"-"`
	WorkflowID string    `gorm:"not null;default:''" json:"workflow_id"` // the ComplianceReport run that wrote it
	ComputedAt time.Time `gorm:"not null" json:"computed_at"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (ComplianceReport) TableName() string { return "compliance_reports" }

// ComplianceModels lists the report's tables.
func ComplianceModels() []any { return []any{&ComplianceReport{}} }

// MonthBounds parses YYYY-MM and returns its first and last days.
func MonthBounds(month string) (first, last string, err error) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a month in the form YYYY-MM", month)
	}
	return t.Format(DateLayout), t.AddDate(0, 1, -1).Format(DateLayout), nil
}

// ComputeCompliance classifies the authority's due items that fell due in
// month (YYYY-MM), as at asAt (YYYY-MM-DD; see above), in a stable order.
func ComputeCompliance(ctx context.Context, db *gorm.DB, authority, month, asAt string) ([]ComplianceItem, error) {
	first, last, err := MonthBounds(month)
	if err != nil {
		return nil, err
	}
	d, err := policy.ParseDate(asAt)
	if err != nil {
		return nil, fmt.Errorf("as at: %w", err)
	}
	// The end of D in London: what was written before it was recorded by D.
	next := d.AddDays(1)
	cutoff := time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, policy.London)

	var kinds []string
	for _, duty := range ComplianceDuties {
		kinds = append(kinds, duty.Kinds...)
	}
	// In the order of ix_due_items_report (migration 19), so PostgreSQL
	// reads a month of an authority from that index alone; the columns are
	// scanned directly: a national month is hundreds of thousands of rows.
	//
	// An item with no rule is listed, not owed: a record's sign-off where the
	// pack sets no deadline (Plymouth, Bracknell Forest) is dated from its
	// session and never overdue, so it is no duty to be on time for.
	const inMonth = `authority = ? AND due_on >= ? AND due_on <= ? AND kind IN ? AND rule_id <> ''`
	args := []any{authority, first, last, kinds}
	rows, err := db.WithContext(ctx).Raw(`SELECT id, workflow_id, "key", kind, staff_id, case_id, team, due_on, status, met_on, created_at, updated_at
		FROM due_items WHERE `+inMonth+` ORDER BY due_on, staff_id, workflow_id, "key", id`, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("compliance items for %s %s: %w", authority, month, err)
	}
	defer rows.Close()
	// Gathered in blocks and copied once: growing one slice of a national
	// month's items copied them over and over.
	var blocks [][]ComplianceItem
	block, n := make([]ComplianceItem, 0, 4096), 0
	for rows.Next() {
		var (
			it               ComplianceItem
			status           string
			metOn            *string
			created, updated time.Time
		)
		if err := rows.Scan(&it.DueItemID, &it.WorkflowID, &it.Key, &it.Kind, &it.StaffID, &it.CaseID, &it.Team, &it.DueOn,
			&status, &metOn, &created, &updated); err != nil {
			return nil, fmt.Errorf("compliance items for %s %s: %w", authority, month, err)
		}
		if !created.Before(cutoff) {
			continue // not yet recorded as at D
		}
		it.Duty = dutyOf(it.Kind)
		settledByD := updated.Before(cutoff) // the latest write was known at D
		switch {
		case metOn != nil && *metOn <= asAt && settledByD:
			it.MetOn = *metOn
			it.Outcome = OutcomeOnTime
			if *metOn > it.DueOn {
				it.Outcome = OutcomeLate
			}
		case status == DueStatusClosed && metOn == nil && settledByD:
			if policy.DateOf(updated).String() <= it.DueOn {
				continue // closed before it fell due: no longer owed
			}
			it.Outcome = OutcomeMissed
		case it.DueOn < asAt:
			it.Outcome = OutcomeMissed
		default:
			it.Outcome = OutcomePending
		}
		if len(block) == cap(block) {
			blocks, block = append(blocks, block), make([]ComplianceItem, 0, 2*cap(block))
		}
		block = append(block, it)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compliance items for %s %s: %w", authority, month, err)
	}
	items := make([]ComplianceItem, 0, n)
	for _, b := range append(blocks, block) {
		items = append(items, b...)
	}
	supervisors, err := supervisorsOf(ctx, db, items)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].SupervisorID = supervisorOn(supervisors[items[i].StaffID], items[i].DueOn)
	}
	if err := flagShortSessions(ctx, db, items); err != nil {
		return nil, err
	}
	return items, nil
}

// flagShortSessions marks the session items met by a session shorter than
// the pack's usual length: the session of the same lifecycle held that day.
// Few sessions are flagged, so they are read by ix_sessions_short over the
// days the items were met.
func flagShortSessions(ctx context.Context, db *gorm.DB, items []ComplianceItem) error {
	var from, to string
	for _, it := range items {
		if isSessionItem(it) {
			if from == "" || it.MetOn < from {
				from = it.MetOn
			}
			to = max(to, it.MetOn)
		}
	}
	if from == "" {
		return nil
	}
	var short []Session
	if err := db.WithContext(ctx).Select("workflow_id", "held_on").
		Where("usual_minutes > 0 AND held_on >= ? AND held_on <= ? AND usual_minutes > duration_minutes", from, to).Find(&short).Error; err != nil {
		return fmt.Errorf("short sessions: %w", err)
	}
	held := map[[2]string]bool{}
	for _, s := range short {
		held[[2]string{s.WorkflowID, s.HeldOn}] = true
	}
	for i := range items {
		if it := &items[i]; isSessionItem(*it) && held[[2]string{it.WorkflowID, it.MetOn}] {
			it.Short = true
		}
	}
	return nil
}

// isSessionItem: a held session's due item, the only kind a short session
// flags (a rebooking or a team duty met the same day is not "short").
func isSessionItem(it ComplianceItem) bool {
	return it.MetOn != "" && (it.Kind == "supervision_session" || it.Kind == "asye_session")
}

// supervisorsOf loads the dated supervision history of everyone the items
// are about. By their ids: a semi-join on the month's items read the month
// a second time, several times slower at national scale.
func supervisorsOf(ctx context.Context, db *gorm.DB, items []ComplianceItem) (map[string][]SupervisorAssignment, error) {
	var ids []string
	seen := map[string]bool{}
	for _, it := range items {
		if it.StaffID != "" && !seen[it.StaffID] {
			seen[it.StaffID] = true
			ids = append(ids, it.StaffID)
		}
	}
	out := map[string][]SupervisorAssignment{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.WithContext(ctx).Raw(`SELECT staff_id, supervisor_id, from_date, to_date FROM supervisor_assignments
		WHERE staff_id IN ? ORDER BY from_date, id`, ids).Rows()
	if err != nil {
		return nil, fmt.Errorf("supervisor assignments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a SupervisorAssignment
		if err := rows.Scan(&a.StaffID, &a.SupervisorID, &a.From, &a.To); err != nil {
			return nil, fmt.Errorf("supervisor assignments: %w", err)
		}
		out[a.StaffID] = append(out[a.StaffID], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("supervisor assignments: %w", err)
	}
	return out, nil
}

// supervisorOn is who supervised on day: the assignment with From <= day < To.
func supervisorOn(as []SupervisorAssignment, day string) string {
	who := ""
	for _, a := range as {
		if a.From <= day && (a.To == nil || day < *a.To) {
			who = a.SupervisorID
		}
	}
	return who
}

// ComplianceCounts is one number set and the items behind each number.
type ComplianceCounts struct {
	Due          int      `json:"due"` // on_time + late + missed + pending
	OnTime       int      `json:"on_time"`
	Late         int      `json:"late"`
	Missed       int      `json:"missed"`
	Pending      int      `json:"pending"`
	Rate         *float64 `json:"rate"` // on_time / (on_time + late + missed); null when none decided
	OnTimeItems  []string `json:"on_time_items"`
	LateItems    []string `json:"late_items"`
	MissedItems  []string `json:"missed_items"`
	PendingItems []string `json:"pending_items"`
	// Short counts the held ones met by a session shorter than usual.
	Short      int      `json:"short,omitempty"`
	ShortItems []string `json:"short_items,omitempty"`
}

// add counts an item; ref is its Ref(), made once for all its groups.
func (c *ComplianceCounts) add(it ComplianceItem, ref string) {
	c.Due++
	if it.Short {
		c.Short++
		c.ShortItems = append(c.ShortItems, ref)
	}
	switch it.Outcome {
	case OutcomeOnTime:
		c.OnTime++
		c.OnTimeItems = append(c.OnTimeItems, ref)
	case OutcomeLate:
		c.Late++
		c.LateItems = append(c.LateItems, ref)
	case OutcomeMissed:
		c.Missed++
		c.MissedItems = append(c.MissedItems, ref)
	default:
		c.Pending++
		c.PendingItems = append(c.PendingItems, ref)
	}
}

// finish sets the rate and makes absent lists [] rather than null in JSON.
func (c *ComplianceCounts) finish() {
	if decided := c.OnTime + c.Late + c.Missed; decided > 0 {
		r := float64(c.OnTime) / float64(decided)
		c.Rate = &r
	}
	for _, l := range []*[]string{&c.OnTimeItems, &c.LateItems, &c.MissedItems, &c.PendingItems} {
		if *l == nil {
			*l = []string{}
		}
	}
}

// GroupCounts is the counts of one team, supervisor or worker.
type GroupCounts struct {
	ID string `json:"id"`
	ComplianceCounts
}

// DutyCompliance is one duty's line of the report.
type DutyCompliance struct {
	Duty         string           `json:"duty"`
	Kinds        []string         `json:"kinds"`
	Total        ComplianceCounts `json:"total"`
	ByTeam       []GroupCounts    `json:"by_team"`
	BySupervisor []GroupCounts    `json:"by_supervisor"`
	ByWorker     []GroupCounts    `json:"by_worker"`
}

// SummariseCompliance counts classified items per duty (every duty, even
// with nothing due), keeping only team's items when team is not "". One
// pass over the items: a national month is hundreds of thousands.
func SummariseCompliance(items []ComplianceItem, team string) []DutyCompliance {
	type groups struct{ teams, sups, workers map[string]*GroupCounts }
	out := make([]DutyCompliance, len(ComplianceDuties))
	gs := make([]groups, len(ComplianceDuties))
	at := make(map[string]int, len(ComplianceDuties))
	for i, duty := range ComplianceDuties {
		out[i] = DutyCompliance{Duty: duty.Name, Kinds: duty.Kinds}
		gs[i] = groups{map[string]*GroupCounts{}, map[string]*GroupCounts{}, map[string]*GroupCounts{}}
		at[duty.Name] = i
	}
	for _, it := range items {
		i, ok := at[it.Duty]
		if !ok || (team != "" && it.Team != team) {
			continue
		}
		ref := it.Ref()
		out[i].Total.add(it, ref)
		group(gs[i].teams, it.Team).add(it, ref)
		group(gs[i].sups, it.SupervisorID).add(it, ref)
		group(gs[i].workers, it.StaffID).add(it, ref)
	}
	for i := range out {
		out[i].Total.finish()
		out[i].ByTeam, out[i].BySupervisor, out[i].ByWorker = sorted(gs[i].teams), sorted(gs[i].sups), sorted(gs[i].workers)
	}
	return out
}

func group(m map[string]*GroupCounts, id string) *ComplianceCounts {
	g, ok := m[id]
	if !ok {
		g = &GroupCounts{ID: id}
		m[id] = g
	}
	return &g.ComplianceCounts
}

func sorted(m map[string]*GroupCounts) []GroupCounts {
	out := make([]GroupCounts, 0, len(m))
	for _, g := range m {
		g.finish()
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SaveComplianceReport stores the items of a month's report, replacing the
// one stored before for the same authority and month.
func SaveComplianceReport(ctx context.Context, db *gorm.DB, authority, month, asAt, workflowID string, items []ComplianceItem) error {
	raw, err := json.Marshal(items)
	if err != nil {
		return err
	}
	row := ComplianceReport{Authority: authority, Month: month, AsAt: asAt, Items: string(raw), WorkflowID: workflowID, ComputedAt: time.Now().UTC()}
	set := clause.AssignmentColumns([]string{"as_at", "items", "workflow_id", "computed_at", "updated_at"})
	err = db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "authority"}, {Name: "month"}}, DoUpdates: set}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("save compliance report %s %s: %w", authority, month, err)
	}
	return nil
}

// GetComplianceReport returns the stored report and its items, or an error
// matching ErrNotFound.
func GetComplianceReport(ctx context.Context, db *gorm.DB, authority, month string) (*ComplianceReport, []ComplianceItem, error) {
	var r ComplianceReport
	err := db.WithContext(ctx).Where("authority = ? AND month = ?", authority, month).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, fmt.Errorf("compliance report %s %s: %w", authority, month, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get compliance report %s %s: %w", authority, month, err)
	}
	var items []ComplianceItem
	if err := json.Unmarshal([]byte(r.Items), &items); err != nil {
		return nil, nil, fmt.Errorf("compliance report %s %s: items: %w", authority, month, err)
	}
	return &r, items, nil
}
