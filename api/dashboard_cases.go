package api

// The case work a supervisor does from their page (allocate a case, record
// case supervision, management oversight decisions, category changes, joint
// working), their supervisees' caseloads and the delegations they give; the
// import on HR's page; and the find page every reading role has. The forms
// post to the API (api/case.go, api/delegations.go, api/import.go) through
// dashboard.js, so they pass the same checks and access rules. The
// templates are web/templates/parts/cases.html, and find.html.

import (
	"context"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// caseWork is what the supervisor's case, caseload and delegation forms
// offer: the words of the pack in force for the supervisor's authority.
type caseWork struct {
	Authority        string
	Team             string
	Categories       []string
	SupervisionKinds []string
	DecisionKinds    []string
	Caseloads        []caseloadRow
	// Delegation is the pack's provision for delegation; nil when it makes none.
	Delegation *policy.Delegation
	LastDay    string            // the latest last day of a delegation made today
	Given      []DelegationView  // the delegations I gave, newest first
	Names      people            // the delegates'
	Workers    []models.Staff    // whom a case may be allocated to: my supervisees
	OpenCases  []models.Case     // the cases a delegation may be for
	Tasks      map[string]string // a delegable task's words
	Today      string            // today, for the forms' dates
	// Records are each case's supervision records still to be filed
	// (case_record duties), earliest first.
	Records map[string][]models.DueItem
}

// caseloadRow is one supervisee's caseload: the open cases they hold and
// when the caseload analysis is next due.
type caseloadRow struct {
	models.Staff
	Open        int
	AnalysisDue string
	Overdue     bool
}

// taskWords name the delegable tasks on the page.
var delegableTaskWords = map[string]string{
	TaskPersonalSupervision: "Personal supervision: record, book and cancel sessions, write the record",
	TaskCaseSupervision:     "Case supervision: record case supervision and file its records",
}

// caseWorkFor reads what the supervisor's case forms need.
func (s *Server) caseWorkFor(ctx context.Context, me *models.Staff, supervisees []superviseeRow, cases []caseRow) (caseWork, error) {
	today := policy.DateOf(time.Now())
	w := caseWork{Authority: me.Authority, Team: me.Team, SupervisionKinds: workflows.CaseSupervisionKinds,
		DecisionKinds: workflows.DecisionKinds, Tasks: delegableTaskWords, Today: today.String()}
	if pack, err := s.Packs.Pack(me.Authority, today); err == nil {
		w.Categories = pack.CaseSupervision.CategoryNames()
		if d := pack.Delegation; d != nil {
			w.Delegation = d
			if d.Longest != nil {
				w.LastDay = d.LastDay(today).String()
			}
		}
	}
	var ids []string
	for _, row := range supervisees {
		ids = append(ids, row.ID)
		w.Workers = append(w.Workers, row.Staff)
	}
	for _, cs := range cases {
		w.OpenCases = append(w.OpenCases, cs.Case)
	}
	// The supervision records still to be filed on the child's file.
	w.Records = map[string][]models.DueItem{}
	if len(w.OpenCases) > 0 {
		var caseIDs []string
		for _, cs := range w.OpenCases {
			caseIDs = append(caseIDs, cs.ID)
		}
		var records []models.DueItem
		err := s.DB.WithContext(ctx).Where("case_id IN ? AND kind = ? AND status IN ?", caseIDs, "case_record",
			[]string{models.DueStatusDue, models.DueStatusOverdue}).Order("due_on").Find(&records).Error
		if err != nil {
			return w, err
		}
		for _, it := range records {
			w.Records[it.CaseID] = append(w.Records[it.CaseID], it)
		}
	}
	// Caseloads: the projection's open cases, and the analysis due.
	var analyses []models.DueItem
	if len(ids) > 0 {
		err := s.DB.WithContext(ctx).Where("staff_id IN ? AND kind = ? AND status IN ?", ids, "caseload_analysis",
			[]string{models.DueStatusDue, models.DueStatusOverdue}).Order("due_on").Find(&analyses).Error
		if err != nil {
			return w, err
		}
	}
	for _, row := range supervisees {
		n, err := models.CountOpenCases(ctx, s.DB, row.ID)
		if err != nil {
			return w, err
		}
		cl := caseloadRow{Staff: row.Staff, Open: n}
		for _, it := range analyses {
			if it.StaffID == row.ID && cl.AnalysisDue == "" {
				cl.AnalysisDue, cl.Overdue = it.DueOn, it.Status == models.DueStatusOverdue
			}
		}
		w.Caseloads = append(w.Caseloads, cl)
	}
	ds, err := models.ListDelegations(ctx, s.DB, me.ID)
	if err != nil {
		return w, err
	}
	var named []string
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].SupervisorID == me.ID {
			w.Given = append(w.Given, delegationView(ds[i], today))
			named = append(named, ds[i].DelegateID, ds[i].SuperviseeID)
		}
	}
	w.Names, err = s.names(ctx, named...)
	return w, err
}

// findRoles are the roles with a find box.
var findRoles = []string{RoleSupervisor, RoleSeniorManager, RoleAuditor, RoleHR}

// findData is the find page: what was found, narrowed to what the reader
// may read through the API.
type findData struct {
	auditorData
	Trails bool // the reader may open a decision trail (an auditor)
}

// findPage: a person or a case by name or id, for every role with a find
// box. An auditor and a senior manager read everyone (every GET); HR reads
// staff records and no case; a supervisor their own line (and the line
// below it) and the cases they may read. The auditor opens a trail from it.
func (s *Server) findPage(c *gin.Context, p Principal) (any, error) {
	if !p.Has(findRoles...) {
		return nil, fail(403, "finding people and cases is for supervisors, senior managers, auditors and HR")
	}
	d := findData{auditorData: auditorData{Names: people{}}, Trails: p.Has(RoleAuditor)}
	q, ok := c.GetQuery("q")
	if !ok {
		return d, nil
	}
	ctx := c.Request.Context()
	if err := s.find(ctx, &d.auditorData, strings.TrimSpace(q)); err != nil || !d.Searched {
		return d, err
	}
	if p.Has(RoleAuditor) || p.Has(RoleSeniorManager) {
		return d, nil
	}
	people, cases := d.People[:0], d.Cases[:0]
	var line map[string]bool
	if p.Has(RoleSupervisor) {
		var err error
		if line, err = s.lineBelow(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	me, err := s.me(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, st := range d.People {
		if p.Has(RoleHR) || line[st.ID] {
			people = append(people, st)
		}
	}
	for _, cs := range d.Cases {
		ours := me != nil && cs.Authority == me.Authority && cs.Team == me.Team
		if p.Has(RoleSupervisor) && (ours || cs.SupervisorID == p.ID || line[cs.WorkerID]) {
			cases = append(cases, cs)
		}
	}
	d.People, d.Cases = people, cases
	return d, nil
}

// lineBelow is me, the staff I supervise and the staff they supervise (the
// line a supervisor acts for: access.go's supervisesStaff).
func (s *Server) lineBelow(ctx context.Context, id string) (map[string]bool, error) {
	var ids []string
	err := s.DB.WithContext(ctx).Model(&models.Staff{}).
		Where("supervisor_id = ? OR supervisor_id IN (?)", id, s.DB.Model(&models.Staff{}).Select("id").Where("supervisor_id = ?", id)).
		Pluck("id", &ids).Error
	if err != nil {
		return nil, err
	}
	out := map[string]bool{id: true}
	for _, x := range ids {
		out[x] = true
	}
	return out, nil
}

// importKinds are the files HR's page imports, with their words.
type importKind struct{ Kind, Name, Columns string }

var importKinds = []importKind{
	{ImportStaff, "Staff (an HR system's export)", strings.Join(staffRequired, ", ")},
	{ImportCases, "Cases (a case management system's export)", strings.Join(caseRequired, ", ")},
}
