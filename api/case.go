package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// caseRoutes adds the case endpoints: allocation, supervision, oversight,
// category, transfer, joint working, records, closure; a case's schedule and
// history; a worker's caseload; a team's case supervisions due and overdue.
func (s *Server) caseRoutes(g *gin.RouterGroup) {
	g.POST("/cases", s.handle(s.allocate))
	g.GET("/cases/:id", s.handle(s.getCase))
	g.GET("/cases/:id/history", s.handle(s.caseHistory))
	g.POST("/cases/:id/supervisions", s.handle(s.caseSupervision))
	g.POST("/cases/:id/decisions", s.handle(s.caseDecision))
	g.POST("/cases/:id/category", s.handle(s.caseCategory))
	g.POST("/cases/:id/transfer", s.handle(s.caseTransfer))
	g.POST("/cases/:id/joint-working", s.handle(s.caseJoint))
	g.POST("/cases/:id/records", s.handle(s.caseFiled))
	g.POST("/cases/:id/closure", s.handle(s.caseClose))
	g.GET("/staff/:id/caseload", s.handle(s.getCaseload))
	g.POST("/staff/:id/caseload/analyses", s.handle(s.caseloadAnalysis))
	g.GET("/teams/:team/cases/due", s.handle(s.teamCasesDue))
	g.GET("/teams/:team/cases/overdue", s.handle(s.teamCasesOverdue))
}

// AllocateRequest allocates a child's case.
type AllocateRequest struct {
	CaseID         string `json:"case_id"`
	Authority      string `json:"authority"`
	Team           string `json:"team"`
	Category       string `json:"category"`
	WorkerID       string `json:"worker_id"`
	AllocatedOn    string `json:"allocated_on"`
	ChronicNeglect bool   `json:"chronic_neglect"`
	OverMaxReason  string `json:"over_max_reason"`
	ReviewDate     string `json:"review_date"`
	// An existing case being imported: when it was last supervised, from
	// which the next case supervision is due (not from the allocation).
	LastCaseSupervision string `json:"last_case_supervision,omitempty"`
	// OpenActions are its SMART actions still open, set before securebase.
	OpenActions []SmartActionRequest `json:"open_actions,omitempty"`
}

// allocate starts the Case workflow. The same request again returns the
// case; a different one for the same case id is a 409.
func (s *Server) allocate(c *gin.Context) (int, any, error) {
	var req AllocateRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	return s.allocateCase(c.Request.Context(), actor(c), req)
}

// allocateCase is allocation after the request is read: the API's and an
// import's one path.
func (s *Server) allocateCase(ctx context.Context, actor string, req AllocateRequest) (int, any, error) {
	a, probs := s.checkAllocation(req)
	if len(probs) > 0 {
		return 0, nil, unprocessable(probs)
	}
	on, pack := a.on, a.pack
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()
	// A retry finds the case that exists.
	if sched, err := s.caseSchedule(ctx, req.CaseID); err == nil {
		return s.sameAllocation(sched, req, http.StatusOK)
	} else if !isNotFound(err) {
		return 0, nil, err
	}

	in, holder, err := s.planAllocation(ctx, dbPeople{s.DB}, actor, req, a)
	if err != nil {
		return 0, nil, err
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err := s.startCase(ctx, in); err != nil && !errors.As(err, &started) {
		return 0, nil, err
	}
	if err := s.ensureCaseload(ctx, pack, holder, in.SupervisorID, in.ManagerID, on, "add", req.CaseID); err != nil {
		return 0, nil, err
	}
	sched, err := s.caseSchedule(ctx, req.CaseID)
	if err != nil {
		return 0, nil, err
	}
	// Two different requests can race to one case: the loser hears so.
	return s.sameAllocation(sched, req, http.StatusCreated)
}

// staffBook is how allocation finds a member of staff and counts their open
// cases: the database for one request, a cache for an import's many.
type staffBook interface {
	staff(ctx context.Context, id string) (*models.Staff, error)
	openCases(ctx context.Context, id string) (int, error)
}

type dbPeople struct{ db *gorm.DB }

func (p dbPeople) staff(ctx context.Context, id string) (*models.Staff, error) {
	return models.GetStaff(ctx, p.db, id)
}

func (p dbPeople) openCases(ctx context.Context, id string) (int, error) {
	return models.CountOpenCases(ctx, p.db, id)
}

// planAllocation decides who holds a checked case and under which rules:
// the lifecycle's input, or a 422 naming the field.
func (s *Server) planAllocation(ctx context.Context, look staffBook, actor string, req AllocateRequest, a caseStart) (workflows.CaseInput, *models.Staff, error) {
	on, pack := a.on, a.pack
	worker, err := look.staff(ctx, req.WorkerID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && (worker.Authority != req.Authority || worker.Status != "active")) {
		return workflows.CaseInput{}, nil, unprocessable([]Problem{{Field: "worker_id", Problem: fmt.Sprintf("no active member of staff %q in %s", req.WorkerID, req.Authority)}})
	} else if err != nil {
		return workflows.CaseInput{}, nil, err
	}
	// Who holds the case: a student is involved and their supervisor holds
	// it; a role that holds no cases is refused (as the pack says).
	holder, involved := worker, ""
	var applied []policy.RoleAllocation
	if r, ok := pack.Caseload.NotAllocatedFor(worker.Role); ok {
		if r.Instead != "supervisor" || worker.SupervisorID == nil {
			return workflows.CaseInput{}, nil, unprocessable([]Problem{{Field: "worker_id", Problem: fmt.Sprintf("%s is a %s: %ss do not hold cases", worker.ID, worker.Role, worker.Role), Rule: r.Rule}})
		}
		applied = append(applied, r)
		if holder, err = look.staff(ctx, *worker.SupervisorID); err != nil {
			return workflows.CaseInput{}, nil, err
		}
		involved = worker.ID
		if r2, ok := pack.Caseload.NotAllocatedFor(holder.Role); ok && r2.Instead == "" {
			return workflows.CaseInput{}, nil, unprocessable([]Problem{{Field: "worker_id", Problem: fmt.Sprintf("%s's supervisor %s is a %s and holds no cases: allocate to a case-holding worker with %s involved", worker.ID, holder.ID, holder.Role, worker.ID), Rule: r2.Rule}})
		}
	}
	n, err := look.openCases(ctx, holder.ID)
	if err != nil {
		return workflows.CaseInput{}, nil, err
	}
	overMax, probs := s.overMax(pack, holder, n, on, req.OverMaxReason, req.ReviewDate)
	if len(probs) > 0 {
		return workflows.CaseInput{}, nil, unprocessable(probs)
	}
	supervisorID, managerID := lineOf(ctx, look, holder)
	in := workflows.CaseInput{
		CaseID: req.CaseID, Authority: req.Authority, Team: req.Team, Category: req.Category,
		WorkerID: holder.ID, InvolvedID: involved, SupervisorID: supervisorID, ManagerID: managerID,
		AllocatedOn: on, ChronicNeglect: req.ChronicNeglect, OverMax: overMax,
		Pack: pack.Ref(), Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: actor, AllocRules: applied,
		DutiesFrom: a.dutiesFrom, LastSupervised: a.lastSupervised, Actions: a.actions,
	}
	if pack.CaseSupervision != nil {
		in.Rules = *pack.CaseSupervision
	}
	return in, holder, nil
}

// startCase starts a case's lifecycle; a case id already used is
// WorkflowExecutionAlreadyStarted, for the caller to compare.
func (s *Server) startCase(ctx context.Context, in workflows.CaseInput) error {
	in.AttrsAtStart = true
	_, err := s.startNew(ctx, workflows.ID(workflows.KindCase, in.CaseID), workflows.CaseWorkflow, workflows.CaseStartAttributes(in), in)
	return err
}

// caseStart is a checked allocation's dates and the pack it runs under
// (today's, with duties from today, for an allocation before every version).
type caseStart struct {
	on, lastSupervised, dutiesFrom policy.Date
	pack                           *policy.Pack
	actions                        []workflows.SmartAction
}

// checkAllocation checks the request alone and returns every problem.
func (s *Server) checkAllocation(req AllocateRequest) (caseStart, []Problem) {
	var k checks
	add := func(field, problem string) { k.add(Problem{Field: field, Problem: problem}) }
	k.id("case_id", req.CaseID)
	if req.Team == "" {
		add("team", "is required")
	} else if !teamPattern.MatchString(req.Team) {
		add("team", "must be 1-64 letters, digits, '.', '_' or '-'")
	}
	k.id("worker_id", req.WorkerID)
	on := k.date("allocated_on", req.AllocatedOn)
	lastSupervised := k.optionalDate("last_case_supervision", req.LastCaseSupervision)
	today := policy.DateOf(time.Now())
	if lastSupervised.After(today) {
		add("last_case_supervision", fmt.Sprintf("%s is in the future", lastSupervised))
	} else if !on.IsZero() && !lastSupervised.IsZero() && lastSupervised.Before(on) {
		add("last_case_supervision", fmt.Sprintf("%s is before the allocation on %s", lastSupervised, on))
	}
	var actions []workflows.SmartAction
	for i, a := range req.OpenActions {
		at := fmt.Sprintf("open_actions[%d]", i)
		// SMART: what, who, by when (as a supervision sets one).
		k.text(at+".what", a.What, "an action says what")
		k.text(at+".who", a.Who, "an action says who")
		actions = append(actions, workflows.SmartAction{What: a.What, Who: a.Who, ByWhen: k.date(at+".by_when", a.ByWhen)})
	}
	var pack *policy.Pack
	var dutiesFrom policy.Date // an allocation before every pack version: duties start today
	if !slices.Contains(s.Packs.Authorities(), req.Authority) {
		add("authority", fmt.Sprintf("%q is not a known authority %v", req.Authority, s.Packs.Authorities()))
	} else if !on.IsZero() {
		p, from, err := s.Packs.PackOrToday(req.Authority, on, today)
		if err != nil {
			add("allocated_on", err.Error())
		} else {
			pack, dutiesFrom = p, from
		}
	}
	if pack != nil {
		if _, ok := pack.CaseSupervision.Cadence(req.Category); !ok {
			add("category", fmt.Sprintf("%q is not a category of the %s pack %v", req.Category, req.Authority, pack.CaseSupervision.CategoryNames()))
		}
	}
	return caseStart{on: on, lastSupervised: lastSupervised, dutiesFrom: dutiesFrom, pack: pack, actions: actions}, k.probs
}

// sameAllocation answers with the case when the request matches it. A
// case of another team or authority is named as taken and nothing more:
// the caller's scope (access.go) is the request's team, not that case's.
func (s *Server) sameAllocation(sched *workflows.CaseSchedule, req AllocateRequest, status int) (int, any, error) {
	a := sched.Allocation
	if a.Authority != req.Authority || a.Team != req.Team {
		return 0, nil, fail(http.StatusConflict, fmt.Sprintf("case id %s is taken", req.CaseID), Problem{Field: "case_id", Problem: "is the id of another team's case: choose another"})
	}
	for _, f := range []struct{ name, have, want string }{
		{"category", a.Category, req.Category},
		{"allocated_on", sched.AllocatedOn.String(), req.AllocatedOn},
	} {
		if f.have != f.want {
			return 0, nil, fail(http.StatusConflict, fmt.Sprintf("case %s exists with a different %s", req.CaseID, f.name), Problem{Field: f.name, Problem: fmt.Sprintf("is %q on record, not %q", f.have, f.want)})
		}
	}
	if a.WorkerID != req.WorkerID && sched.InvolvedID != req.WorkerID {
		return 0, nil, fail(http.StatusConflict, fmt.Sprintf("case %s exists allocated to %s", req.CaseID, a.WorkerID), Problem{Field: "worker_id", Problem: fmt.Sprintf("is %q on record, not %q", a.WorkerID, req.WorkerID)})
	}
	return status, sched, nil
}

// checkCaseload reviews the receiving worker's caseload from the projection:
// above the pack's maximum (held to the ASYE share), a reason and a review
// date are needed.
func (s *Server) checkCaseload(ctx context.Context, pack *policy.Pack, holder *models.Staff, on policy.Date, reason, review string) (*workflows.OverMax, []Problem, error) {
	n, err := models.CountOpenCases(ctx, s.DB, holder.ID)
	if err != nil {
		return nil, nil, err
	}
	m, probs := s.overMax(pack, holder, n, on, reason, review)
	return m, probs, nil
}

// overMax is checkCaseload for a worker holding n open cases.
func (s *Server) overMax(pack *policy.Pack, holder *models.Staff, n int, on policy.Date, reason, review string) (*workflows.OverMax, []Problem) {
	limit, rule, ok := pack.Caseload.Limit(s.asyeShare(pack, holder, on))
	if !ok || n+1 <= limit {
		return nil, nil
	}
	var probs []Problem
	what := fmt.Sprintf("%s holds %d cases; this allocation takes them above the maximum of %d", holder.ID, n, limit)
	if reason == "" {
		probs = append(probs, Problem{Field: "over_max_reason", Problem: what + ": record the reason", Rule: rule})
	}
	var k checks
	rd := k.optionalDate("review_date", review)
	if review == "" {
		probs = append(probs, Problem{Field: "review_date", Problem: what + ": the allocation is time-limited and reviewed by a date", Rule: rule})
	} else if len(k.probs) > 0 {
		probs = append(probs, k.probs...)
	} else if !rd.After(on) {
		probs = append(probs, Problem{Field: "review_date", Problem: fmt.Sprintf("%s is not after the allocation on %s", rd, on), Rule: rule})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return &workflows.OverMax{Cases: n + 1, Limit: limit, Reason: reason, ReviewDate: rd, Rule: rule}, nil
}

// asyeShare is an NQSW's caseload share on a day (0: not held to one).
func (s *Server) asyeShare(pack *policy.Pack, st *models.Staff, on policy.Date) int {
	if st.Role != "nqsw" {
		return 0
	}
	start, err := asyeStart(st)
	if err != nil {
		return 0
	}
	pct, _ := pack.ASYE.ShareAt(start, on, pack.Calendar())
	return pct
}

// asyeStart is the day an NQSW's programme began: an import's asye_start,
// else their start date.
func asyeStart(st *models.Staff) (policy.Date, error) {
	if st.ASYEStart != "" {
		return policy.ParseDate(st.ASYEStart)
	}
	return policy.ParseDate(st.StartDate)
}

// lineOf is a worker's supervisor and the supervisor's manager.
func (s *Server) lineOf(ctx context.Context, st *models.Staff) (string, string) {
	return lineOf(ctx, dbPeople{s.DB}, st)
}

func lineOf(ctx context.Context, look staffBook, st *models.Staff) (string, string) {
	if st.SupervisorID == nil {
		return "", ""
	}
	sup, err := look.staff(ctx, *st.SupervisorID)
	if err != nil || sup.SupervisorID == nil {
		return *st.SupervisorID, ""
	}
	return *st.SupervisorID, *sup.SupervisorID
}

// ensureCaseload starts the worker's caseload lifecycle if it is not running
// and tells it of the change: signal-with-start is idempotent, and the
// caseload counts a case once however often it hears of it.
func (s *Server) ensureCaseload(ctx context.Context, pack *policy.Pack, st *models.Staff, supervisorID, managerID string, on policy.Date, op, caseID string) error {
	return s.signalCaseload(ctx, pack, st, supervisorID, managerID, on, workflows.SignalCaseloadChange, workflows.CaseloadChange{Op: op, CaseID: caseID, On: on})
}

// signalCaseload is ensureCaseload for one change or a batch (an import's:
// one signal a worker, not one a case); on is the first change's day.
func (s *Server) signalCaseload(ctx context.Context, pack *policy.Pack, st *models.Staff, supervisorID, managerID string, on policy.Date, signal string, change any) error {
	in := workflows.CaseloadInput{
		StaffID: st.ID, Name: st.Name, Authority: st.Authority, Team: st.Team, SupervisorID: supervisorID, ManagerID: managerID,
		Start: on, Pack: pack.Ref(), Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "system",
	}
	if pack.Caseload != nil {
		in.Rules = *pack.Caseload
	}
	if st.Role == "nqsw" {
		a := pack.ASYE
		in.ASYE = &a
		in.ASYEStart, _ = asyeStart(st)
	}
	summary, details := workflows.Describe(workflows.CaseloadWorkflow, in)
	_, err := s.Temporal.SignalWithStartWorkflow(ctx, workflows.ID(workflows.KindCaseload, st.ID), signal, change,
		client.StartWorkflowOptions{
			TaskQueue: workflows.TaskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: workflows.SearchAttributes(st.ID, st.Authority, st.Team, workflows.KindCaseload),
			StaticSummary:         summary, StaticDetails: details,
		}, workflows.CaseloadWorkflow, in)
	return err
}

// caseSchedule is the case lifecycle's own view of a case (404 if none).
func (s *Server) caseSchedule(ctx context.Context, caseID string) (*workflows.CaseSchedule, error) {
	var sched workflows.CaseSchedule
	if err := s.query(ctx, "case "+caseID, workflows.ID(workflows.KindCase, caseID), workflows.QuerySchedule, &sched); err != nil {
		return nil, err
	}
	return &sched, nil
}

// caseID reads and checks the :id of a case route.
func caseID(c *gin.Context) (string, error) {
	id := c.Param("id")
	if !idPattern.MatchString(id) {
		return "", badRequest("id", "is not a valid case id")
	}
	return id, nil
}

// caseWorkflowID is the lifecycle of the case a route names.
func caseWorkflowID(c *gin.Context) (string, error) {
	id, err := caseID(c)
	if err != nil {
		return "", err
	}
	return workflows.ID(workflows.KindCase, id), nil
}

// getCase is the lifecycle's own view (by query) and the projection row.
func (s *Server) getCase(c *gin.Context) (int, any, error) {
	id, err := caseID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	sched, err := s.caseSchedule(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	actions, err := models.ListCaseActions(ctx, s.DB, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"case_id": id, "schedule": sched, "actions": actions}, nil
}

func (s *Server) caseHistory(c *gin.Context) (int, any, error) {
	id, err := caseID(c)
	if err != nil {
		return 0, nil, err
	}
	evs, err := models.ListAuditForCase(c.Request.Context(), s.DB, id)
	if err != nil {
		return 0, nil, err
	}
	if len(evs) == 0 {
		return 0, nil, notFound("case " + id)
	}
	return http.StatusOK, gin.H{"case_id": id, "events": evs}, nil
}

// Request bodies of the case updates; dates are strings, parsed per field.
type (
	CaseSupervisionRequest struct {
		RequestID    string                   `json:"request_id"`
		Kind         string                   `json:"kind"`
		HeldOn       string                   `json:"held_on"`
		SupervisorID string                   `json:"supervisor_id"`
		Plan         string                   `json:"plan"`
		Decisions    string                   `json:"decisions"`
		Reviewed     []workflows.ActionReview `json:"reviewed"`
		Actions      []SmartActionRequest     `json:"actions"`
		Significant  bool                     `json:"significant"`
	}
	SmartActionRequest struct {
		What   string `json:"what"`
		Who    string `json:"who"`
		ByWhen string `json:"by_when"`
	}
	DecisionRequest struct {
		RequestID string `json:"request_id"`
		Kind      string `json:"kind"`
		DecidedOn string `json:"decided_on"`
		Why       string `json:"why"`
	}
	CategoryRequest struct {
		RequestID      string `json:"request_id"`
		Category       string `json:"category"`
		From           string `json:"from"`
		ChronicNeglect bool   `json:"chronic_neglect"`
		Reason         string `json:"reason"`
	}
	TransferRequest struct {
		RequestID     string `json:"request_id"`
		ToWorkerID    string `json:"to_worker_id"`
		On            string `json:"on"`
		OverMaxReason string `json:"over_max_reason"`
		ReviewDate    string `json:"review_date"`
	}
	JointRequest struct {
		RequestID     string `json:"request_id"`
		MeetingOn     string `json:"meeting_on"`
		LeadWorkerID  string `json:"lead_worker_id"`
		OtherWorkerID string `json:"other_worker_id"`
	}
	FiledRequest struct {
		RequestID string `json:"request_id"`
		Key       string `json:"key"`
		FiledOn   string `json:"filed_on"`
	}
	CloseRequest struct {
		RequestID string `json:"request_id"`
		On        string `json:"on"`
		Reason    string `json:"reason"`
	}
	AnalysisRequest struct {
		RequestID string `json:"request_id"`
		HeldOn    string `json:"held_on"`
		Notes     string `json:"notes"`
	}
)

func (s *Server) caseSupervision(c *gin.Context) (int, any, error) {
	var req CaseSupervisionRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.CaseSupervisionInput{
		RequestID: req.RequestID, Kind: req.Kind, HeldOn: k.date("held_on", req.HeldOn), SupervisorID: req.SupervisorID,
		Plan: req.Plan, Decisions: req.Decisions, Reviewed: req.Reviewed, Significant: req.Significant, Actor: actor(c),
	}
	for i, a := range req.Actions {
		by := k.optionalDate(fmt.Sprintf("actions[%d].by_when", i), a.ByWhen)
		in.Actions = append(in.Actions, workflows.SmartAction{What: a.What, Who: a.Who, ByWhen: by})
	}
	return s.send(c, k, caseWorkflowID, workflows.UpdateCaseSupervision, in, &workflows.CaseChange{})
}

func (s *Server) caseDecision(c *gin.Context) (int, any, error) {
	var req DecisionRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.DecisionInput{RequestID: req.RequestID, Kind: req.Kind, DecidedOn: k.date("decided_on", req.DecidedOn), Why: req.Why, Actor: actor(c)}
	return s.send(c, k, caseWorkflowID, workflows.UpdateCaseDecision, in, &workflows.CaseChange{})
}

func (s *Server) caseCategory(c *gin.Context) (int, any, error) {
	var req CategoryRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.CategoryInput{RequestID: req.RequestID, Category: req.Category, From: k.date("from", req.From), ChronicNeglect: req.ChronicNeglect, Reason: req.Reason, Actor: actor(c)}
	return s.send(c, k, caseWorkflowID, workflows.UpdateCaseCategory, in, &workflows.CaseChange{})
}

// caseTransfer checks the receiving worker as an allocation does, then asks
// the case to agree the transfer (it refuses without the oversight decision).
func (s *Server) caseTransfer(c *gin.Context) (int, any, error) {
	var req TransferRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	on := k.date("on", req.On)
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	id, err := caseID(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	sched, err := s.caseSchedule(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	to, err := models.GetStaff(ctx, s.DB, req.ToWorkerID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && (to.Authority != sched.Authority || to.Status != "active")) {
		return 0, nil, unprocessable([]Problem{{Field: "to_worker_id", Problem: fmt.Sprintf("no active member of staff %q in %s", req.ToWorkerID, sched.Authority)}})
	} else if err != nil {
		return 0, nil, err
	}
	pack, err := s.Packs.Pack(sched.Pack.Authority, on)
	if err != nil {
		return 0, nil, unprocessable([]Problem{{Field: "on", Problem: err.Error()}})
	}
	if r, ok := pack.Caseload.NotAllocatedFor(to.Role); ok {
		return 0, nil, unprocessable([]Problem{{Field: "to_worker_id", Problem: fmt.Sprintf("%s is a %s and holds no cases", to.ID, to.Role), Rule: r.Rule}})
	}
	if _, probs, err := s.checkCaseload(ctx, pack, to, on, req.OverMaxReason, req.ReviewDate); err != nil {
		return 0, nil, err
	} else if len(probs) > 0 {
		return 0, nil, unprocessable(probs)
	}
	supervisorID, managerID := s.lineOf(ctx, to)
	if supervisorID == "" {
		return 0, nil, unprocessable([]Problem{{Field: "to_worker_id", Problem: to.ID + " has no supervisor of record"}})
	}
	// The receiving worker's caseload must be running to hear of the case.
	if err := s.ensureCaseload(ctx, pack, to, supervisorID, managerID, on, "ensure", id); err != nil {
		return 0, nil, err
	}
	in := workflows.TransferInput{RequestID: req.RequestID, ToWorkerID: to.ID, ToTeam: to.Team, ToSupervisorID: supervisorID, ToManagerID: managerID, On: on, Actor: actor(c)}
	return s.send(c, k, known(workflows.ID(workflows.KindCase, id)), workflows.UpdateCaseTransfer, in, &workflows.CaseChange{})
}

func (s *Server) caseJoint(c *gin.Context) (int, any, error) {
	var req JointRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.JointInput{RequestID: req.RequestID, MeetingOn: k.date("meeting_on", req.MeetingOn), LeadWorkerID: req.LeadWorkerID, OtherWorkerID: req.OtherWorkerID, Actor: actor(c)}
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	if req.LeadWorkerID != "" {
		lead, err := models.GetStaff(c.Request.Context(), s.DB, req.LeadWorkerID)
		if errors.Is(err, models.ErrNotFound) {
			return 0, nil, unprocessable([]Problem{{Field: "lead_worker_id", Problem: fmt.Sprintf("no member of staff %q", req.LeadWorkerID)}})
		} else if err != nil {
			return 0, nil, err
		}
		if lead.SupervisorID != nil {
			in.LeadManagerID = *lead.SupervisorID
		}
	}
	return s.send(c, k, caseWorkflowID, workflows.UpdateCaseJoint, in, &workflows.CaseChange{})
}

func (s *Server) caseFiled(c *gin.Context) (int, any, error) {
	var req FiledRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.FiledInput{RequestID: req.RequestID, Key: req.Key, FiledOn: k.date("filed_on", req.FiledOn), Actor: actor(c)}
	return s.send(c, k, caseWorkflowID, workflows.UpdateCaseFiled, in, &workflows.CaseChange{})
}

func (s *Server) caseClose(c *gin.Context) (int, any, error) {
	var req CloseRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.CloseInput{RequestID: req.RequestID, On: k.date("on", req.On), Reason: req.Reason, Actor: actor(c)}
	return s.send(c, k, caseWorkflowID, workflows.UpdateCaseClose, in, &workflows.CaseChange{})
}

// getCaseload is the worker's open cases from the projection, and the
// caseload lifecycle's view (limit, share, analysis due) when it runs.
func (s *Server) getCaseload(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	cases, err := models.ListOpenCasesForWorker(ctx, s.DB, st.ID)
	if err != nil {
		return 0, nil, err
	}
	out := gin.H{"staff_id": st.ID, "count": len(cases), "cases": cases}
	var sched workflows.CaseloadSchedule
	switch err := s.query(ctx, "caseload of "+st.ID, workflows.ID(workflows.KindCaseload, st.ID), workflows.QuerySchedule, &sched); {
	case err == nil:
		out["lifecycle"] = sched
	case !isNotFound(err):
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Server) caseloadAnalysis(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	var req AnalysisRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	in := workflows.AnalysisInput{RequestID: req.RequestID, HeldOn: k.date("held_on", req.HeldOn), Notes: req.Notes, Actor: actor(c)}
	return s.send(c, k, known(workflows.ID(workflows.KindCaseload, st.ID)), workflows.UpdateCaseloadAnalysis, in, &workflows.CaseloadSchedule{})
}

// caseItems keeps the case duties of a team list.
func caseItems(items []models.DueItem) []models.DueItem {
	out := []models.DueItem{}
	for _, it := range items {
		if it.CaseID != "" {
			out = append(out, it)
		}
	}
	return out
}

// teamCasesDue is the team's due list (the same window as /teams/:team/due)
// narrowed to case duties.
func (s *Server) teamCasesDue(c *gin.Context) (int, any, error) {
	status, body, err := s.teamDue(c)
	if err != nil {
		return 0, nil, err
	}
	h := body.(gin.H)
	h["items"] = caseItems(h["items"].([]models.DueItem))
	return status, h, nil
}

func (s *Server) teamCasesOverdue(c *gin.Context) (int, any, error) {
	status, body, err := s.teamOverdue(c)
	if err != nil {
		return 0, nil, err
	}
	h := body.(gin.H)
	h["items"] = caseItems(h["items"].([]models.DueItem))
	return status, h, nil
}
