package api

// Import of a council's existing workforce and caseload from the CSV an HR
// system or a case management system exports (issue 13). A dry run (the
// default) checks every row and reports each problem by row and column,
// changing nothing; ?apply=true then onboards or allocates every row
// without a problem, through the same path as POST /staff and POST /cases,
// so a row already on record as the file says is left as it is (importing
// the same file twice changes nothing) and a corrected file imports the rows
// it corrects. The CLI (`securebase import`) sends the file here.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// Import kinds: the route's :kind.
const (
	ImportStaff = "staff"
	ImportCases = "cases"
)

// maxImportBody bounds an uploaded file: 100,000 cases fit many times over.
const maxImportBody = 64 << 20

// The import route alone takes more than maxBody: a council's whole export.
func init() { bodyLimits["POST /api/v1/imports/:kind"] = maxImportBody }

// importConcurrency is how many rows are onboarded or allocated at once.
const importConcurrency = 16

// column is a CSV column: its name in the report, the names an export may
// give it, and the request field it fills.
type column struct {
	name    string
	aliases []string
	field   string
	set     func(row any, v string)
	// parse, for a column holding a list, sets the field or says why not.
	parse func(row any, v string) error
}

// StaffColumns are the staff file's columns (an HR export).
var staffColumns = []column{
	{"staff_number", []string{"staff_id", "employee_number", "id"}, "id", func(r any, v string) { r.(*StaffRequest).ID = v }, nil},
	{"name", []string{"full_name"}, "name", func(r any, v string) { r.(*StaffRequest).Name = v }, nil},
	{"authority", nil, "authority", func(r any, v string) { r.(*StaffRequest).Authority = v }, nil},
	{"team", nil, "team", func(r any, v string) { r.(*StaffRequest).Team = v }, nil},
	{"role", nil, "role", func(r any, v string) { r.(*StaffRequest).Role = v }, nil},
	{"start_date", []string{"started"}, "start_date", func(r any, v string) { r.(*StaffRequest).StartDate = v }, nil},
	{"line_manager", []string{"supervisor", "supervisor_id", "line_manager_staff_number"}, "supervisor_id", func(r any, v string) { r.(*StaffRequest).SupervisorID = v }, nil},
	{"last_supervision", []string{"last_personal_supervision", "date_of_last_supervision"}, "last_supervision", func(r any, v string) { r.(*StaffRequest).LastSupervision = v }, nil},
	{"agreement_signed", []string{"agreement_signed_on", "date_agreement_signed"}, "agreement_signed", func(r any, v string) { r.(*StaffRequest).AgreementSigned = v }, nil},
	{"asye_start", []string{"asye_start_date", "early_career_start", "programme_start"}, "asye_start", func(r any, v string) { r.(*StaffRequest).ASYEStart = v }, nil},
	{"asye_reviews_held", []string{"asye_reviews", "reviews_held"}, "asye_reviews", nil, parseReviews},
	{"asye_pauses", []string{"pauses"}, "asye_pauses", nil, parsePauses},
}

// caseColumns are the case file's columns (a case management export).
var caseColumns = []column{
	{"case_id", []string{"child_id"}, "case_id", func(r any, v string) { r.(*AllocateRequest).CaseID = v }, nil},
	{"authority", nil, "authority", func(r any, v string) { r.(*AllocateRequest).Authority = v }, nil},
	{"team", nil, "team", func(r any, v string) { r.(*AllocateRequest).Team = v }, nil},
	{"category", nil, "category", func(r any, v string) { r.(*AllocateRequest).Category = v }, nil},
	{"allocated_worker", []string{"worker", "worker_id"}, "worker_id", func(r any, v string) { r.(*AllocateRequest).WorkerID = v }, nil},
	{"allocation_date", []string{"allocated_on"}, "allocated_on", func(r any, v string) { r.(*AllocateRequest).AllocatedOn = v }, nil},
	{"last_case_supervision", []string{"date_of_last_case_supervision"}, "last_case_supervision", func(r any, v string) { r.(*AllocateRequest).LastCaseSupervision = v }, nil},
	{"chronic_neglect", nil, "chronic_neglect", func(r any, v string) {
		r.(*AllocateRequest).ChronicNeglect = slices.Contains([]string{"yes", "y", "true", "1"}, strings.ToLower(v))
	}, nil},
	{"over_max_reason", nil, "over_max_reason", func(r any, v string) { r.(*AllocateRequest).OverMaxReason = v }, nil},
	{"review_date", nil, "review_date", func(r any, v string) { r.(*AllocateRequest).ReviewDate = v }, nil},
	{"open_actions", []string{"actions"}, "open_actions", nil, parseActions},
}

// required columns: a file without one is refused whole.
var (
	staffRequired = []string{"staff_number", "name", "authority", "team", "role", "start_date"}
	caseRequired  = []string{"case_id", "authority", "team", "category", "allocated_worker", "allocation_date"}
)

// ImportProblem is one thing wrong with a row: the file's line (the header
// is row 1) and the column.
type ImportProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Problem string `json:"problem"`
	Rule    string `json:"rule,omitempty"`
}

// ImportReport is what an import found and, when applied, did.
type ImportReport struct {
	Kind    string `json:"kind"`
	Applied bool   `json:"applied"`
	Rows    int    `json:"rows"`
	// New rows are imported (or would be, in a dry run); Unchanged are on
	// record already as the file says; Failed have a problem below.
	New       int             `json:"new"`
	Unchanged int             `json:"unchanged"`
	Failed    int             `json:"failed"`
	Problems  []ImportProblem `json:"problems"`
	// Ignored are the file's columns securebase does not read.
	Ignored []string `json:"ignored_columns,omitempty"`
}

func (s *Server) importRoutes(g *gin.RouterGroup) {
	g.POST("/imports/:kind", s.handle(s.importFile))
}

// importFile reads a CSV body and checks, or with ?apply=true imports, it.
func (s *Server) importFile(c *gin.Context) (int, any, error) {
	kind := c.Param("kind")
	if kind != ImportStaff && kind != ImportCases {
		return 0, nil, notFound("import kind " + kind + " (staff or cases)")
	}
	apply := false
	switch v := c.Query("apply"); v {
	case "", "false":
	case "true":
		apply = true
	default:
		return 0, nil, badRequest("apply", fmt.Sprintf("%q is not true or false", v))
	}
	rows, rep, err := readImport(http.MaxBytesReader(c.Writer, c.Request.Body, maxImportBody), kind)
	if err != nil {
		return 0, nil, err
	}
	rep.Applied = apply
	if kind == ImportStaff {
		err = s.importStaff(c.Request.Context(), actor(c), rows, rep, apply)
	} else {
		err = s.importCases(c.Request.Context(), actor(c), rows, rep, apply)
	}
	if err != nil {
		return 0, nil, err
	}
	slices.SortStableFunc(rep.Problems, func(a, b ImportProblem) int { return a.Row - b.Row })
	return http.StatusOK, rep, nil
}

// importRow is one data row read into its request.
type importRow struct {
	line  int
	req   any             // *StaffRequest or *AllocateRequest
	probs []ImportProblem // cells that could not be read
}

var headerSpace = regexp.MustCompile(`[\s\-]+`)

// readImport reads the header and rows. A file that cannot be read, or
// lacks a required column, is a 400 naming it.
func readImport(body io.Reader, kind string) ([]importRow, *ImportReport, error) {
	cols, required := staffColumns, staffRequired
	if kind == ImportCases {
		cols, required = caseColumns, caseRequired
	}
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, nil, badRequest("file", "cannot read the CSV header: "+err.Error())
	}
	at := map[int]*column{}
	have := map[string]bool{}
	rep := &ImportReport{Kind: kind, Problems: []ImportProblem{}}
	for i, h := range header {
		name := strings.ToLower(headerSpace.ReplaceAllString(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), "_"))
		found := false
		for j := range cols {
			if cols[j].name == name || slices.Contains(cols[j].aliases, name) {
				if have[cols[j].name] {
					return nil, nil, badRequest("file", fmt.Sprintf("column %q appears twice in the header", cols[j].name))
				}
				at[i], have[cols[j].name], found = &cols[j], true, true
			}
		}
		if !found && name != "" {
			rep.Ignored = append(rep.Ignored, h)
		}
	}
	var missing []string
	for _, n := range required {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, nil, badRequest("file", fmt.Sprintf("the header lacks the column(s) %s (it needs %s)", strings.Join(missing, ", "), strings.Join(required, ", ")))
	}
	var rows []importRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Problems = append(rep.Problems, ImportProblem{Row: pe.Line, Problem: "cannot read the row: " + pe.Err.Error()})
				rep.Rows++
				rep.Failed++
				continue
			}
			return nil, nil, badRequest("file", err.Error())
		}
		line, _ := r.FieldPos(0)
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line
		}
		var req any = &StaffRequest{}
		if kind == ImportCases {
			req = &AllocateRequest{}
		}
		row := importRow{line: line, req: req}
		for i, v := range rec {
			col := at[i]
			switch v = strings.TrimSpace(v); {
			case col == nil:
			case col.parse != nil && v != "":
				if err := col.parse(req, v); err != nil {
					row.probs = append(row.probs, ImportProblem{Row: line, Column: col.name, Problem: err.Error()})
				}
			case col.set != nil:
				col.set(req, ukDate(v))
			}
		}
		rows = append(rows, row)
		rep.Rows++
	}
	return rows, rep, nil
}

var dmy = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)

// ukDate reads the day/month/year an English export writes as YYYY-MM-DD;
// anything else is passed on as it is, for the field's own check.
func ukDate(v string) string {
	if m := dmy.FindStringSubmatch(v); m != nil {
		return fmt.Sprintf("%s-%02s-%02s", m[3], m[2], m[1])
	}
	return v
}

// problemsOf turns a request's field problems into the row's, by column; a
// problem with one item of a list column names the item.
func problemsOf(line int, cols []column, probs []Problem) []ImportProblem {
	out := make([]ImportProblem, 0, len(probs))
	for _, p := range probs {
		col, problem := p.Field, p.Problem
		for _, c := range cols {
			if c.field == p.Field {
				col = c.name
			} else if item, ok := strings.CutPrefix(p.Field, c.field+"["); ok {
				col, problem = c.name, "item "+itemNumber(item)+": "+problem
			}
		}
		out = append(out, ImportProblem{Row: line, Column: col, Problem: problem, Rule: p.Rule})
	}
	return out
}

// itemNumber reads "2].what" as "3, what": items counted from one, as a
// person reads a cell.
func itemNumber(s string) string {
	n, rest, _ := strings.Cut(s, "]")
	var i int
	fmt.Sscan(n, &i)
	return fmt.Sprintf("%d%s", i+1, strings.ReplaceAll(rest, ".", ", "))
}

// List cells: items separated by ';' or a new line.
func items(v string) []string {
	var out []string
	for _, it := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '\n' }) {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// parseReviews reads "3-month 2026-04-02; 6-month 02/07/2026": each review
// held, its name then the day.
func parseReviews(r any, v string) error {
	req := r.(*StaffRequest)
	for i, it := range items(v) {
		f := strings.Fields(it)
		if len(f) != 2 {
			return fmt.Errorf("item %d %q is not a review's name and the day it was held (3-month 2026-04-02)", i+1, it)
		}
		req.ASYEReviews = append(req.ASYEReviews, ASYEReviewHeld{Name: f[0], HeldOn: ukDate(f[1])})
	}
	return nil
}

// parsePauses reads "sickness 2026-05-04..2026-05-18; parental_leave
// 2026-09-01..": each pause, its reason then its days (the last may be open).
func parsePauses(r any, v string) error {
	req := r.(*StaffRequest)
	for i, it := range items(v) {
		f := strings.Fields(it)
		var from, to string
		ok := len(f) == 2
		if ok {
			from, to, ok = strings.Cut(f[1], "..")
		}
		if !ok {
			return fmt.Errorf("item %d %q is not a pause's reason and its days (sickness 2026-05-04..2026-05-18, or 2026-09-01.. while open)", i+1, it)
		}
		req.ASYEPauses = append(req.ASYEPauses, ASYEPauseHistory{Reason: f[0], From: ukDate(from), To: ukDate(to)})
	}
	return nil
}

// parseActions reads "home visit | sw-1 | 2026-11-20; ...": each open
// action, what, who and by when.
func parseActions(r any, v string) error {
	req := r.(*AllocateRequest)
	for i, it := range items(v) {
		f := strings.Split(it, "|")
		if len(f) != 3 {
			return fmt.Errorf("item %d %q is not an action's what | who | by when", i+1, it)
		}
		req.OpenActions = append(req.OpenActions, SmartActionRequest{What: strings.TrimSpace(f[0]), Who: strings.TrimSpace(f[1]), ByWhen: ukDate(strings.TrimSpace(f[2]))})
	}
	return nil
}

// appliedProblems are what onboarding or allocation refused a row for.
func appliedProblems(line int, cols []column, err error) []ImportProblem {
	he := toHTTP(err)
	if len(he.body.Problems) > 0 {
		return problemsOf(line, cols, he.body.Problems)
	}
	return []ImportProblem{{Row: line, Problem: he.body.Error}}
}

// importStaff checks every row, and with apply onboards the good ones, line
// managers before the people they supervise.
func (s *Server) importStaff(ctx context.Context, actor string, rows []importRow, rep *ImportReport, apply bool) error {
	byID := map[string]int{} // staff number -> index of its first row
	bad := make([]bool, len(rows))
	starts := make([]staffStart, len(rows))
	manager := make([]string, len(rows)) // the line manager's own line manager
	fail := func(i int, probs ...ImportProblem) {
		if !bad[i] {
			rep.Failed++
		}
		bad[i] = true
		rep.Problems = append(rep.Problems, probs...)
	}
	for i, row := range rows {
		req := row.req.(*StaffRequest)
		if len(row.probs) > 0 {
			fail(i, row.probs...)
		}
		v, probs := s.validateStaff(*req)
		starts[i] = v
		if len(probs) > 0 {
			fail(i, problemsOf(row.line, staffColumns, probs)...)
		}
		if j, ok := byID[req.ID]; ok && req.ID != "" {
			fail(i, ImportProblem{Row: row.line, Column: "staff_number", Problem: fmt.Sprintf("%s is also on row %d", req.ID, rows[j].line)})
		} else {
			byID[req.ID] = i
		}
	}
	// On record already: the same, or different (a change import does not make).
	onRecord := map[string]*models.Staff{}
	unchanged := make([]bool, len(rows))
	for i, row := range rows {
		req := row.req.(*StaffRequest)
		if bad[i] {
			continue
		}
		st, err := models.GetStaff(ctx, s.DB, req.ID)
		if errors.Is(err, models.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		onRecord[req.ID] = st
		if p := differs(st, *req); p != nil {
			fail(i, problemsOf(row.line, staffColumns, []Problem{{Field: p.Field, Problem: p.Problem + ": import adds people; change a record through its own route"}})...)
		} else {
			unchanged[i] = true
		}
	}
	// Line managers: on record, or a good row of the file; depth orders the
	// onboarding so a manager is onboarded before their supervisees.
	depth := make([]int, len(rows))
	var level func(i int, seen map[int]bool) (int, *ImportProblem)
	level = func(i int, seen map[int]bool) (int, *ImportProblem) {
		req := rows[i].req.(*StaffRequest)
		if req.SupervisorID == "" {
			return 0, nil
		}
		line := rows[i].line
		if j, ok := byID[req.SupervisorID]; ok && rows[j].req.(*StaffRequest).ID == req.SupervisorID {
			mgr := rows[j].req.(*StaffRequest)
			switch {
			case seen[j]:
				return 0, &ImportProblem{Row: line, Column: "line_manager", Problem: fmt.Sprintf("the line management of %s loops back to them", req.ID)}
			case bad[j] && onRecord[req.SupervisorID] == nil:
				return 0, &ImportProblem{Row: line, Column: "line_manager", Problem: fmt.Sprintf("%s's own row %d has problems: fix it first", req.SupervisorID, rows[j].line)}
			case mgr.Authority != req.Authority:
				return 0, &ImportProblem{Row: line, Column: "line_manager", Problem: fmt.Sprintf("%s works for %s, not %s", mgr.ID, mgr.Authority, req.Authority)}
			}
			seen[j] = true
			manager[i] = mgr.SupervisorID
			d, p := level(j, seen)
			return d + 1, p
		}
		sup, err := models.GetStaff(ctx, s.DB, req.SupervisorID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return 0, &ImportProblem{Row: line, Column: "line_manager", Problem: fmt.Sprintf("no member of staff %q in the file or on record", req.SupervisorID)}
		case err != nil:
			return 0, &ImportProblem{Row: line, Column: "line_manager", Problem: "cannot be checked: " + err.Error()}
		case sup.Authority != req.Authority:
			return 0, &ImportProblem{Row: line, Column: "line_manager", Problem: fmt.Sprintf("%s works for %s, not %s", sup.ID, sup.Authority, req.Authority)}
		}
		if sup.SupervisorID != nil {
			manager[i] = *sup.SupervisorID
		}
		return 0, nil
	}
	for i := range rows {
		if bad[i] || unchanged[i] {
			continue
		}
		d, p := level(i, map[int]bool{i: true})
		if p != nil {
			fail(i, *p)
			continue
		}
		depth[i] = d
	}
	var todo []int
	for i := range rows {
		switch {
		case bad[i]:
		case unchanged[i]:
			rep.Unchanged++
		default:
			todo = append(todo, i)
		}
	}
	if !apply {
		rep.New = len(todo)
		return nil
	}
	// Start every row's onboarding, a level of line management at a time (a
	// row whose manager's could not start is not started), then wait for them
	// all: the request answers once the records are written, so the cases
	// that name these people can follow.
	slices.SortStableFunc(todo, func(a, b int) int { return depth[a] - depth[b] })
	runs := make([]client.WorkflowRun, len(rows))
	before := make([]bool, len(rows)) // started by an earlier import
	failed := map[string]bool{}
	var mu sync.Mutex
	for start := 0; start < len(todo); {
		end := start
		for end < len(todo) && depth[todo[end]] == depth[todo[start]] {
			end++
		}
		level := todo[start:end]
		eachRow(len(level), func(k int) {
			i := level[k]
			req := rows[i].req.(*StaffRequest)
			mu.Lock()
			mgrFailed := failed[req.SupervisorID]
			mu.Unlock()
			var probs []ImportProblem
			var run client.WorkflowRun
			var err error
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			id, attrs, in := onboarding(actor, *req, starts[i], 1, manager[i])
			if !mgrFailed {
				run, err = s.startNew(ctx, id, workflows.OnboardWorkflow, attrs, in)
			}
			switch {
			case mgrFailed:
				probs = []ImportProblem{{Row: rows[i].line, Column: "line_manager", Problem: fmt.Sprintf("%s was not imported", req.SupervisorID)}}
			case errors.As(err, &started):
				run, before[i] = s.Temporal.GetWorkflow(ctx, id, ""), true
			case err != nil:
				probs = appliedProblems(rows[i].line, staffColumns, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if probs != nil {
				failed[req.ID] = true
				fail(i, probs...)
			} else {
				runs[i] = run
			}
		})
		start = end
	}
	teams := map[string]int{} // each team's first member on record, by k
	eachRow(len(todo), func(k int) {
		i := todo[k]
		if runs[i] == nil {
			return
		}
		req := rows[i].req.(*StaffRequest)
		var probs []ImportProblem
		st, err := s.onboarded(ctx, runs[i], *req)
		if err != nil {
			probs = appliedProblems(rows[i].line, staffColumns, err)
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case probs != nil:
			fail(i, probs...)
		case before[i]:
			rep.Unchanged++
		default:
			rep.New++
		}
		if st == nil {
			return
		}
		if first, ok := teams[st.Team]; !ok || k < first {
			teams[st.Team], onRecord[st.ID] = k, st
		}
	})
	// The first member of a team starts the duties the team owes (team_duty.go),
	// once for the file rather than once a person.
	for _, k := range teams {
		if err := s.ensureTeamDutiesOf(ctx, onRecord[rows[todo[k]].req.(*StaffRequest).ID], actor); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// onboarded waits for an import's onboarding to end and reads the record it
// wrote: one that differs from the row (two imports racing) is a 409.
func (s *Server) onboarded(ctx context.Context, run client.WorkflowRun, req StaffRequest) (*models.Staff, error) {
	if err := run.Get(ctx, nil); err != nil {
		return nil, err
	}
	st, err := models.GetStaff(ctx, s.DB, req.ID)
	if err != nil {
		return nil, err
	}
	if p := differs(st, req); p != nil {
		return nil, fail(http.StatusConflict, fmt.Sprintf("staff %s exists with a different %s", req.ID, p.Field), *p)
	}
	return st, nil
}

// importCases checks every row, planning each good one's allocation in the
// file's order (so a worker's caseload counts the file's earlier rows and a
// dry run names every allocation above the maximum), and with apply starts
// the planned lifecycles importConcurrency at a time.
func (s *Server) importCases(ctx context.Context, actor string, rows []importRow, rep *ImportReport, apply bool) error {
	seen := map[string]int{}
	book := &importBook{db: s.DB, known: map[string]*models.Staff{}, open: map[string]int{}}
	type planned struct {
		row    int
		in     workflows.CaseInput
		holder *models.Staff
		start  caseStart
	}
	var todo []planned
	fail := func(probs ...ImportProblem) {
		rep.Failed++
		rep.Problems = append(rep.Problems, probs...)
	}
	for i, row := range rows {
		req := row.req.(*AllocateRequest)
		a, probs := s.checkAllocation(*req)
		rowProbs := append([]ImportProblem{}, row.probs...)
		rowProbs = append(rowProbs, problemsOf(row.line, caseColumns, probs)...)
		if j, ok := seen[req.CaseID]; ok && req.CaseID != "" {
			rowProbs = append(rowProbs, ImportProblem{Row: row.line, Column: "case_id", Problem: fmt.Sprintf("%s is also on row %d", req.CaseID, j)})
		} else {
			seen[req.CaseID] = row.line
		}
		if req.WorkerID != "" && idPattern.MatchString(req.WorkerID) {
			w, err := book.staffOf(ctx, req.WorkerID)
			if err != nil {
				return err
			}
			if w == nil || w.Authority != req.Authority || w.Status != "active" {
				rowProbs = append(rowProbs, ImportProblem{Row: row.line, Column: "allocated_worker", Problem: fmt.Sprintf("no active member of staff %q in %s: import the staff first", req.WorkerID, req.Authority)})
			}
		}
		if len(rowProbs) > 0 {
			fail(rowProbs...)
			continue
		}
		existing, err := models.GetCase(ctx, s.DB, req.CaseID)
		switch {
		case errors.Is(err, models.ErrNotFound):
		case err != nil:
			return err
		default:
			if p := caseDiffers(existing, *req); p != nil {
				fail(problemsOf(row.line, caseColumns, []Problem{*p})...)
			} else {
				rep.Unchanged++
			}
			continue
		}
		in, holder, err := s.planAllocation(ctx, book, actor, *req, a)
		if err != nil {
			fail(appliedProblems(row.line, caseColumns, err)...)
			continue
		}
		book.open[holder.ID]++
		todo = append(todo, planned{row: i, in: in, holder: holder, start: a})
	}
	if !apply {
		rep.New = len(todo)
		return nil
	}
	var mu sync.Mutex
	added := make([]bool, len(todo)) // started: their caseloads are told below
	eachRow(len(todo), func(k int) {
		p := todo[k]
		req := rows[p.row].req.(*AllocateRequest)
		var probs []ImportProblem
		unchanged := false
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		err := s.startCase(ctx, p.in)
		switch {
		case errors.As(err, &started):
			// Started since the check (an earlier, interrupted import):
			// the allocation path compares it with the row.
			if _, _, err := s.allocateCase(ctx, actor, *req); err != nil {
				probs = appliedProblems(rows[p.row].line, caseColumns, err)
			}
			unchanged = probs == nil
		case err != nil:
			probs = appliedProblems(rows[p.row].line, caseColumns, err)
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case probs != nil:
			fail(probs...)
		case unchanged:
			rep.Unchanged++
		default:
			added[k] = true
		}
	})
	// Each holder's caseload hears of their new cases in one signal.
	var holders []string
	byHolder := map[string][]int{}
	for k, p := range todo {
		if added[k] {
			if byHolder[p.holder.ID] == nil {
				holders = append(holders, p.holder.ID)
			}
			byHolder[p.holder.ID] = append(byHolder[p.holder.ID], k)
		}
	}
	eachRow(len(holders), func(h int) {
		ks := byHolder[holders[h]]
		first := todo[ks[0]]
		batch, earliest := workflows.CaseloadChanges{}, first.in.AllocatedOn
		for _, k := range ks {
			on := todo[k].in.AllocatedOn
			batch.Changes = append(batch.Changes, workflows.CaseloadChange{Op: "add", CaseID: todo[k].in.CaseID, On: on})
			if on.Before(earliest) {
				earliest = on
			}
		}
		err := s.signalCaseload(ctx, first.start.pack, first.holder, first.in.SupervisorID, first.in.ManagerID, earliest, workflows.SignalCaseloadChanges, batch)
		mu.Lock()
		defer mu.Unlock()
		for _, k := range ks {
			if err != nil {
				fail(appliedProblems(rows[todo[k].row].line, caseColumns, err)...)
			} else {
				rep.New++
			}
		}
	})
	return ctx.Err()
}

// importBook is allocation's staffBook for an import: each member of staff
// read once, and their open cases counted once then with the file's rows
// planned so far.
type importBook struct {
	db    *gorm.DB
	known map[string]*models.Staff // nil: not on record
	open  map[string]int
}

func (b *importBook) staffOf(ctx context.Context, id string) (*models.Staff, error) {
	if st, ok := b.known[id]; ok {
		return st, nil
	}
	st, err := models.GetStaff(ctx, b.db, id)
	if errors.Is(err, models.ErrNotFound) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	b.known[id] = st
	return st, nil
}

func (b *importBook) staff(ctx context.Context, id string) (*models.Staff, error) {
	st, err := b.staffOf(ctx, id)
	if err == nil && st == nil {
		err = fmt.Errorf("staff %q: %w", id, models.ErrNotFound)
	}
	return st, err
}

func (b *importBook) openCases(ctx context.Context, id string) (int, error) {
	if n, ok := b.open[id]; ok {
		return n, nil
	}
	n, err := models.CountOpenCases(ctx, b.db, id)
	if err == nil {
		b.open[id] = n
	}
	return n, err
}

// caseDiffers names the first column in which a case on record differs
// from its row.
func caseDiffers(c *models.Case, req AllocateRequest) *Problem {
	for _, f := range []struct{ name, have, want string }{
		{"authority", c.Authority, req.Authority}, {"team", c.Team, req.Team}, {"category", c.Category, req.Category},
		{"worker_id", c.WorkerID, req.WorkerID}, {"allocated_on", c.AllocatedOn, req.AllocatedOn},
	} {
		if f.have != f.want && !(f.name == "worker_id" && c.InvolvedID == req.WorkerID) {
			return &Problem{Field: f.name, Problem: fmt.Sprintf("is %q on record, not %q: import adds cases; change a case through its own route", f.have, f.want)}
		}
	}
	return nil
}

// eachRow runs fn(0..n-1), importConcurrency at a time.
func eachRow(n int, fn func(i int)) {
	var g errgroup.Group
	g.SetLimit(importConcurrency)
	for i := range n {
		g.Go(func() error { fn(i); return nil })
	}
	_ = g.Wait()
}

// ImportChunk is part of an import file for one request: the header and
// some rows, and where each of the chunk's lines is in the whole file, so a
// client can report problems against the file.
type ImportChunk struct {
	CSV   []byte
	Rows  int
	Lines map[int]int // the chunk's line -> the file's
}

// SplitImport cuts a file into chunks of up to size rows for a client that
// imports it a request at a time (to show progress): staff are ordered so a
// line manager comes before the people they supervise, cases by worker.
func SplitImport(kind string, file []byte, size int) ([]ImportChunk, error) {
	r := csv.NewReader(bytes.NewReader(file))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("cannot read the CSV header: %w", err)
	}
	idCol, mgrCol, workerCol := -1, -1, -1
	for i, h := range header {
		name := strings.ToLower(headerSpace.ReplaceAllString(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), "_"))
		for _, c := range append(staffColumns[:7:7], caseColumns[4]) {
			if c.name == name || slices.Contains(c.aliases, name) {
				switch c.name {
				case "staff_number":
					idCol = i
				case "line_manager":
					mgrCol = i
				case "allocated_worker":
					workerCol = i
				}
			}
		}
	}
	type rec struct {
		fields []string
		line   int
		depth  int
	}
	var recs []rec
	for {
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		recs = append(recs, rec{fields: f, line: line})
	}
	at := func(f []string, i int) string {
		if i < len(f) {
			return strings.TrimSpace(f[i])
		}
		return ""
	}
	if kind == ImportCases && workerCol >= 0 {
		// A worker's cases together (in the file's order), so that a chunk
		// tells each caseload of its cases in one signal.
		slices.SortStableFunc(recs, func(a, b rec) int { return strings.Compare(at(a.fields, workerCol), at(b.fields, workerCol)) })
	}
	if kind == ImportStaff && idCol >= 0 && mgrCol >= 0 {
		manager := map[string]string{}
		for _, x := range recs {
			manager[at(x.fields, idCol)] = at(x.fields, mgrCol)
		}
		for i := range recs {
			id := at(recs[i].fields, idCol)
			for seen := map[string]bool{id: true}; manager[id] != "" && !seen[manager[id]]; recs[i].depth++ {
				id = manager[id]
				seen[id] = true
				if _, ok := manager[id]; !ok {
					break
				}
			}
		}
		slices.SortStableFunc(recs, func(a, b rec) int { return a.depth - b.depth })
	}
	var chunks []ImportChunk
	for start := 0; start < len(recs); start += size {
		end := min(start+size, len(recs))
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(header)
		ch := ImportChunk{Rows: end - start, Lines: map[int]int{}}
		for _, x := range recs[start:end] {
			_ = w.Write(x.fields)
		}
		w.Flush()
		ch.CSV = buf.Bytes()
		cr := csv.NewReader(bytes.NewReader(ch.CSV))
		cr.FieldsPerRecord = -1
		_, _ = cr.Read()
		for _, x := range recs[start:end] {
			if _, err := cr.Read(); err != nil {
				return nil, err
			}
			line, _ := cr.FieldPos(0)
			ch.Lines[line] = x.line
		}
		chunks = append(chunks, ch)
	}
	return chunks, nil
}
