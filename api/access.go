package api

// Who may do what. Every /api/v1 route has a rule in accessRules, keyed by
// "METHOD /api/v1/route/:param" (gin's FullPath); a route without one is
// refused (403) by default. The rule is checked after the token is verified
// and before the handler runs, so a refused request reads and changes
// nothing. A rule is a list of grants, any one of which admits the caller: a
// role the token carries, and for most roles a relation read from the
// database (who supervises whom, which team, which case, which delegation).
//
// The matrix (what a council would expect; policy-matrix section 10):
//
//   - hr: onboards (POST /staff), records leavers (POST /staff/:id/leave)
//     and changes of supervisor (POST /staff/:id/supervisor); reads a
//     person's staff record and schedule. Not sessions, records or trails.
//   - supervisor: acts for their own supervisees: S's supervisor is me, or
//     S's supervisor's supervisor is me (the line above: escalations go
//     there and they finalise records), or an active delegation to me for S
//     (or the case) and the task. That covers every /staff/:id/...
//     supervision, ASYE, agreement and caseload route and the records
//     (/records/:id...) whose supervisor or manager I am. Team lists
//     (/teams/:team/...) and a team's compliance report for a team in my
//     scope: my own team, or a team one of my supervisees is in, always
//     within my own authority (a team's name is unique only within its
//     authority; inScope is the one rule). Cases whose team is mine, whose
//     supervisor I am, whose worker I supervise, or delegated to me.
//     Allocation in a team in my scope, to a worker of that team or one I
//     supervise, and never under a case id another team holds.
//     Managerial functions are never delegable: allocation, transfer,
//     closure, decisions, category change, the ASYE's reviews, pauses,
//     resumptions, extension and outcome, caseload analysis, supervisor
//     change, appraisal, observation, finalising a record.
//   - supervisee (self: :id is me, or the record is mine): reads their staff
//     record, schedule, sessions, notifications, agreement, supervision and
//     caseload; reads their records and signs, disputes, amends or writes
//     them (the sign-off lifecycle says which party may do which); signs
//     and records changes to their agreement; shares the agenda for a
//     booked session (BF-REC-2). Nothing else.
//   - a delegate (any member of staff holding an active delegation): the
//     delegated tasks for that supervisee or case (personal_supervision:
//     record, book and cancel personal supervision and write the record's
//     text; case_supervision: record case supervision and file records),
//     and reads about them.
//   - auditor: every GET, personal records in full. No change.
//   - senior_manager: every GET, reports and team lists included, with
//     personal information redacted (redact.go). No change.
//   - admin: everything HR may do; legal holds; delegations; and, as a
//     recorded break-glass, any action a supervisor may take (the audit row
//     names the admin as actor). Reads with personal information redacted.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Delegable supervision tasks (policy.DelegableTasks), and "any" for the
// reads a delegate needs whatever they were given.
const (
	TaskPersonalSupervision = "personal_supervision"
	TaskCaseSupervision     = "case_supervision"
	taskAny                 = ""
)

// relation is a fact about the caller and what a request names, read from
// the database: "you supervise staff nq-1".
type relation struct {
	field string // what a refusal names: the path parameter (or body field) it is about
	says  string // the relation in words, for the refusal
	holds func(a *access) (bool, error)
}

// grant admits a caller who carries one of roles and, when rel is set,
// stands in that relation to what the request names.
type grant struct {
	roles []string
	rel   *relation
}

func to(roles ...string) grant { return grant{roles: roles} }

func as(rel relation, roles ...string) grant { return grant{roles: roles, rel: &rel} }

// The grants the rules are built from.
var (
	hr      = to(RoleHR)
	admin   = to(RoleAdmin)
	readers = to(RoleAuditor, RoleSeniorManager) // GET routes only
)

func supervisor(rel relation) grant { return as(rel, RoleSupervisor) }
func supervisee(rel relation) grant { return as(rel, RoleSupervisee) }

// delegate: a delegation is held by a member of staff, whatever their role.
func delegate(rel relation) grant { return as(rel, RoleSupervisor, RoleSupervisee) }

// Grant lists shared by several routes.
var (
	// a person's own reads: their supervisors and delegates too
	staffReads = []grant{readers, admin, supervisee(selfStaff), supervisor(supervisesStaff), delegate(staffDelegated(taskAny))}
	// what only the supervisor (or the line above) may do: managerial, never delegated
	managerial = []grant{admin, supervisor(supervisesStaff)}
	// the supervisor's, and not among the tasks a pack lets them delegate
	supervisorOnly = []grant{admin, supervisor(supervisesStaff)}
	// personal supervision that may be delegated
	personalDelegable = []grant{admin, supervisor(supervisesStaff), delegate(staffDelegated(TaskPersonalSupervision))}
	// the agreement's parties
	agreementParties = []grant{admin, supervisee(selfStaff), supervisor(supervisesStaff)}
	teamReads        = []grant{readers, admin, supervisor(ofTeam(func(c *gin.Context) string { return c.Param("team") }))}
	caseReads        = []grant{readers, admin, supervisor(caseOf), delegate(caseDelegated(taskAny))}
	caseManagerial   = []grant{admin, supervisor(caseOf)}
	caseDelegable    = []grant{admin, supervisor(caseOf), delegate(caseDelegated(TaskCaseSupervision))}
	recordParties    = []grant{admin, supervisee(recordSelf), supervisor(recordSupervises)}
)

// accessRules is every /api/v1 route's rule. TestEveryRouteHasAnAccessRule
// fails when a route is added without one.
var accessRules = map[string][]grant{
	"GET /api/v1/openapi.json":                {to(TokenRoles...)}, // the API's description: any signed-in role
	"POST /api/v1/staff":                      {hr, admin},
	"POST /api/v1/imports/:kind":              {hr, admin}, // import.go: the HR and case systems' exports
	"GET /api/v1/staff/:id":                   append([]grant{hr}, staffReads...),
	"GET /api/v1/staff/:id/schedule":          append([]grant{hr}, staffReads...),
	"GET /api/v1/staff/:id/sessions":          staffReads,
	"GET /api/v1/staff/:id/notifications":     staffReads,
	"POST /api/v1/staff/:id/sessions":         personalDelegable, // an ASYE session
	"POST /api/v1/staff/:id/asye/reviews":     managerial,
	"POST /api/v1/staff/:id/asye/pauses":      managerial,
	"POST /api/v1/staff/:id/asye/resumptions": managerial,
	"POST /api/v1/staff/:id/asye/extensions":  managerial,
	"POST /api/v1/staff/:id/asye/outcome":     managerial,

	"POST /api/v1/staff/:id/supervisor": {hr, admin, supervisor(supervisesStaff)},
	"POST /api/v1/staff/:id/leave":      {hr, admin},
	"GET /api/v1/staff/:id/retention":   {hr, readers, admin},
	"POST /api/v1/staff/:id/retention":  {hr, admin}, // correct or withdraw a leave within the grace
	"GET /api/v1/teams/:team/due":       teamReads,
	"GET /api/v1/teams/:team/overdue":   teamReads,
	// A team's duties (team_duty.go): held by its manager, or recorded by an admin.
	"GET /api/v1/teams/:team/duties":                teamReads,
	"POST /api/v1/teams/:team/duties/:duty/held":    {admin, supervisor(ofTeam(func(c *gin.Context) string { return c.Param("team") }))},
	"POST /api/v1/teams/:team/duties/:duty/records": {admin, supervisor(ofTeam(func(c *gin.Context) string { return c.Param("team") }))},
	// A supervisee's concern about their own supervision (concern.go): theirs alone.
	"POST /api/v1/staff/:id/concerns": {supervisee(selfStaff)},
	// An Academy group supervision attended (academy.go): the worker, their supervisor or an admin.
	"POST /api/v1/staff/:id/academy-group-supervisions": agreementParties,

	"GET /api/v1/staff/:id/agreement":             staffReads,
	"POST /api/v1/staff/:id/agreement/terms":      supervisorOnly,
	"POST /api/v1/staff/:id/agreement/signatures": agreementParties,
	"POST /api/v1/staff/:id/agreement/changes":    agreementParties,

	"GET /api/v1/staff/:id/supervision":                 staffReads,
	"POST /api/v1/staff/:id/supervision/sessions":       personalDelegable,
	"POST /api/v1/staff/:id/supervision/bookings":       personalDelegable,
	"POST /api/v1/staff/:id/supervision/cancellations":  personalDelegable,
	"POST /api/v1/staff/:id/supervision/absences":       supervisorOnly,
	"POST /api/v1/staff/:id/supervision/returns":        supervisorOnly,
	"POST /api/v1/staff/:id/supervision/cover":          supervisorOnly,
	"POST /api/v1/staff/:id/supervision/shifts":         supervisorOnly,
	"POST /api/v1/staff/:id/supervision/agenda":         agreementParties, // the supervisee or their supervisor
	"POST /api/v1/staff/:id/supervision/observations":   managerial,
	"POST /api/v1/staff/:id/supervision/appraisals":     managerial,
	"POST /api/v1/staff/:id/supervision/student-phase":  supervisorOnly,
	"POST /api/v1/staff/:id/supervision/extra-sessions": supervisorOnly,

	"POST /api/v1/cases":                       {admin, supervisor(allocatesFor)},
	"GET /api/v1/cases/:id":                    caseReads,
	"GET /api/v1/cases/:id/history":            caseReads,
	"POST /api/v1/cases/:id/supervisions":      caseDelegable,
	"POST /api/v1/cases/:id/records":           caseDelegable,
	"POST /api/v1/cases/:id/joint-working":     caseManagerial,
	"POST /api/v1/cases/:id/decisions":         caseManagerial,
	"POST /api/v1/cases/:id/category":          caseManagerial,
	"POST /api/v1/cases/:id/transfer":          caseManagerial,
	"POST /api/v1/cases/:id/closure":           caseManagerial,
	"GET /api/v1/staff/:id/caseload":           staffReads,
	"POST /api/v1/staff/:id/caseload/analyses": managerial,
	"GET /api/v1/teams/:team/cases/due":        teamReads,
	"GET /api/v1/teams/:team/cases/overdue":    teamReads,

	"GET /api/v1/records/:id":             {readers, admin, supervisee(recordSelf), supervisor(recordSupervises), delegate(recordDelegated(TaskPersonalSupervision))},
	"POST /api/v1/records/:id/text":       {admin, supervisee(recordSelf), supervisor(recordSupervises), delegate(recordDelegated(TaskPersonalSupervision))},
	"POST /api/v1/records/:id/signatures": recordParties,
	"POST /api/v1/records/:id/disputes":   {supervisee(recordSelf)}, // the supervisee's view alone
	"POST /api/v1/records/:id/amendments": recordParties,
	"POST /api/v1/records/:id/both-views": {admin, supervisor(recordSupervises)},
	"POST /api/v1/records/:id/finalise":   {admin, supervisor(recordSupervises)},

	"GET /api/v1/trail/staff/:id": {readers, admin},
	"GET /api/v1/trail/cases/:id": {readers, admin},

	"POST /api/v1/holds":          {admin},
	"POST /api/v1/holds/:id/lift": {admin},
	"GET /api/v1/holds":           {readers, admin},

	"GET /api/v1/reports/compliance": {readers, admin, supervisor(ofTeam(func(c *gin.Context) string { return c.Query("team") }))},

	"POST /api/v1/delegations":            {admin, supervisor(delegationSubject)},
	"POST /api/v1/delegations/:id/revoke": {admin, supervisor(delegationGrantor)},
	"GET /api/v1/delegations":             {readers, admin, supervisor(delegationsOf), supervisee(delegationsOf)},
}

// access is one request's check: the caller, and what has been read.
type access struct {
	s     *Server
	c     *gin.Context
	ctx   context.Context
	me    Principal
	today string
	staff map[string]*models.Staff // nil entry: no such member of staff
	// outside, when a relation sets it, is the field and reason a refusal
	// names instead of the relation's own (a team in another authority).
	outside *Problem
}

// authorize admits a request only when a grant of its route's rule does.
// Refused: 403 naming the field (the path parameter the relation is about,
// or "authorization" when no role of the token is granted) and why.
func (s *Server) authorize(c *gin.Context) {
	defer s.auditRefusedRead(c) // refused.go: a refused read leaves an audit row
	route := c.Request.Method + " " + c.FullPath()
	grants, ok := accessRules[route]
	if !ok {
		refuse(c, "authorization", route+" has no access rule, so it is refused")
		return
	}
	a := &access{s: s, c: c, ctx: c.Request.Context(), me: principal(c), today: policy.DateOf(time.Now()).String(), staff: map[string]*models.Staff{}}
	var failed []*relation // relations of roles the caller has, which did not hold
	for _, g := range grants {
		if !a.me.Has(g.roles...) {
			continue
		}
		if g.rel == nil {
			c.Next()
			return
		}
		held, err := g.rel.holds(a)
		if err != nil {
			if s.Log != nil {
				s.Log.Error("access check failed", "route", route, "error", err)
			}
			he := toHTTP(err)
			if he.status < 500 {
				he = fail(http.StatusServiceUnavailable, "access could not be checked; try again")
			}
			c.AbortWithStatusJSON(he.status, he.body)
			return
		}
		if held {
			c.Next()
			return
		}
		failed = append(failed, g.rel)
	}
	if len(failed) == 0 {
		refuse(c, "authorization", fmt.Sprintf("the roles %v may not %s; it is for %s", a.me.Roles, route, whoMay(grants)))
		return
	}
	if a.outside != nil {
		refuse(c, a.outside.Field, a.outside.Problem)
		return
	}
	says := make([]string, len(failed))
	for i, r := range failed {
		says[i] = r.says
	}
	refuse(c, failed[0].field, fmt.Sprintf("%s may not %s here: it is for %s", a.me.ID, route, strings.Join(says, "; or ")))
}

func refuse(c *gin.Context, field, why string) {
	c.AbortWithStatusJSON(http.StatusForbidden, ErrorBody{Error: "not allowed: " + why, Problems: []Problem{{Field: field, Problem: why}}})
}

// whoMay names the roles of a rule, for a refusal.
func whoMay(grants []grant) string {
	var roles []string
	for _, g := range grants {
		for _, r := range g.roles {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	if len(roles) == 0 {
		return "nobody"
	}
	return strings.Join(roles, ", ")
}

// The relations.

var selfStaff = relation{field: "id", says: "the member of staff themselves",
	holds: func(a *access) (bool, error) { return a.c.Param("id") == a.me.ID, nil }}

var supervisesStaff = relation{field: "id", says: "their supervisor, or their supervisor's manager",
	holds: func(a *access) (bool, error) { return a.supervises(a.c.Param("id")) }}

func staffDelegated(task string) relation {
	return relation{field: "id", says: "holding an active delegation " + taskWords(task) + " for them",
		holds: func(a *access) (bool, error) { return a.delegated(a.c.Param("id"), "", task) }}
}

var recordSelf = relation{field: "id", says: "the supervisee of the record",
	holds: func(a *access) (bool, error) {
		r, err := a.record()
		return r != nil && r.StaffID == a.me.ID, err
	}}

var recordSupervises = relation{field: "id", says: "the record's supervisor or manager, or the supervisee's supervisor or their manager",
	holds: func(a *access) (bool, error) {
		r, err := a.record()
		if r == nil || err != nil {
			return false, err
		}
		if r.SupervisorID == a.me.ID || r.ManagerID == a.me.ID {
			return true, nil
		}
		return a.supervises(r.StaffID)
	}}

func recordDelegated(task string) relation {
	return relation{field: "id", says: "holding an active delegation " + taskWords(task) + " for the supervisee",
		holds: func(a *access) (bool, error) {
			r, err := a.record()
			if r == nil || err != nil {
				return false, err
			}
			return a.delegated(r.StaffID, "", task)
		}}
}

// ofTeam: the team named (by the path or the query), in the authority the
// query names (my own when it names none), is in my scope.
func ofTeam(team func(*gin.Context) string) relation {
	return relation{field: "team", says: "in the team or supervising someone in it, in their own authority",
		holds: func(a *access) (bool, error) { return a.inScope(a.c.Query("authority"), team(a.c)) }}
}

var caseOf = relation{field: "id", says: "supervising the case, in its team, or supervising its worker",
	holds: func(a *access) (bool, error) { return a.supervisesCase(a.c.Param("id")) }}

func caseDelegated(task string) relation {
	return relation{field: "id", says: "holding an active delegation " + taskWords(task) + " for the case or its worker",
		holds: func(a *access) (bool, error) {
			cs, err := a.caseRow(a.c.Param("id"))
			if cs == nil || err != nil {
				return false, err
			}
			return a.delegated(cs.WorkerID, cs.ID, task)
		}}
}

// allocatesFor: the allocation's team is in my scope (inScope), its
// worker is of that team or supervised by me, and its case id is not a
// case outside my reach (refused without saying anything of that case).
var allocatesFor = relation{field: "team", says: "allocating in a team in their scope, to a worker of that team or one they supervise, under a case id not held by another team",
	holds: func(a *access) (bool, error) {
		var body struct {
			CaseID    string `json:"case_id"`
			Authority string `json:"authority"`
			Team      string `json:"team"`
			WorkerID  string `json:"worker_id"`
		}
		if !a.peek(&body) || body.Team == "" || body.WorkerID == "" || body.Authority == "" {
			return false, nil
		}
		if ok, err := a.inScope(body.Authority, body.Team); !ok || err != nil {
			return false, err
		}
		worker, err := a.staffRow(body.WorkerID)
		if worker == nil || err != nil {
			return false, err
		}
		if worker.Authority != body.Authority || worker.Team != body.Team {
			if ok, err := a.supervises(body.WorkerID); !ok || err != nil {
				return false, err
			}
		}
		if cs, err := a.caseRow(body.CaseID); cs == nil || err != nil {
			return err == nil, err
		}
		return a.supervisesCase(body.CaseID)
	}}

// delegationSubject: the supervisee or case a new delegation is for is
// mine to delegate (never by a delegation of my own).
var delegationSubject = relation{field: "supervisee_id", says: "the supervisor of the supervisee or case the delegation is for",
	holds: func(a *access) (bool, error) {
		var body struct {
			SuperviseeID string `json:"supervisee_id"`
			CaseID       string `json:"case_id"`
		}
		if !a.peek(&body) {
			return false, nil
		}
		switch {
		case body.SuperviseeID != "" && body.CaseID == "":
			return a.supervises(body.SuperviseeID)
		case body.CaseID != "" && body.SuperviseeID == "":
			return a.supervisesCase(body.CaseID)
		}
		return false, nil
	}}

// delegationGrantor: I made the delegation, or I supervise its subject now.
var delegationGrantor = relation{field: "id", says: "the supervisor who delegated, or the subject's supervisor",
	holds: func(a *access) (bool, error) {
		id, err := strconv.ParseInt(a.c.Param("id"), 10, 64)
		if err != nil {
			return false, nil
		}
		d, err := models.GetDelegation(a.ctx, a.s.DB, id)
		if errors.Is(err, models.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch {
		case d.SupervisorID == a.me.ID:
			return true, nil
		case d.SuperviseeID != "":
			return a.supervises(d.SuperviseeID)
		default:
			return a.supervisesCase(d.CaseID)
		}
	}}

// delegationsOf: the staff_id asked about is me, or my supervisee.
var delegationsOf = relation{field: "staff_id", says: "the member of staff themselves or their supervisor",
	holds: func(a *access) (bool, error) {
		id := a.c.Query("staff_id")
		if id == a.me.ID {
			return true, nil
		}
		if !a.me.Has(RoleSupervisor) {
			return false, nil
		}
		return a.supervises(id)
	}}

func taskWords(task string) string {
	if task == taskAny {
		return "of any task"
	}
	return "of " + task
}

// The reads the relations make: parameterised gorm queries, each at most
// once per request.

// staffRow is a member of staff, nil when there is none.
func (a *access) staffRow(id string) (*models.Staff, error) {
	if st, ok := a.staff[id]; ok {
		return st, nil
	}
	if !idPattern.MatchString(id) {
		return nil, nil
	}
	st, err := models.GetStaff(a.ctx, a.s.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		st, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	a.staff[id] = st
	return st, nil
}

// supervises: the person's supervisor is me, or their supervisor's supervisor.
func (a *access) supervises(staffID string) (bool, error) {
	st, err := a.staffRow(staffID)
	if st == nil || err != nil || st.SupervisorID == nil || staffID == a.me.ID {
		return false, err
	}
	if *st.SupervisorID == a.me.ID {
		return true, nil
	}
	sup, err := a.staffRow(*st.SupervisorID)
	if sup == nil || err != nil || sup.SupervisorID == nil {
		return false, err
	}
	return *sup.SupervisorID == a.me.ID, nil
}

// inScope is the one scope rule of every team- or authority-scoped read
// or write: the team, in the authority (mine when ""), is my team, or a
// team one of my supervisees is in; never another authority's, whatever
// its name.
func (a *access) inScope(authority, team string) (bool, error) {
	if team == "" || !teamPattern.MatchString(team) {
		return false, nil
	}
	mine, err := a.staffRow(a.me.ID)
	if mine == nil || err != nil {
		return false, err
	}
	if authority == "" {
		authority = mine.Authority
	}
	if authority != mine.Authority {
		a.outside = &Problem{Field: "authority", Problem: fmt.Sprintf("%s is not your authority (%s)", authority, mine.Authority)}
		return false, nil
	}
	if mine.Team == team {
		return true, nil
	}
	var n int64
	err = a.s.DB.WithContext(a.ctx).Model(&models.Staff{}).
		Where("supervisor_id = ? AND authority = ? AND team = ?", a.me.ID, authority, team).Count(&n).Error
	return n > 0, err
}

// caseRow is a case from the projection, nil when there is none.
func (a *access) caseRow(id string) (*models.Case, error) {
	if !idPattern.MatchString(id) {
		return nil, nil
	}
	cs, err := models.GetCase(a.ctx, a.s.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return cs, err
}

// supervisesCase: the case's team is mine, I supervise the case, or I
// supervise its worker (directly or as the line above).
func (a *access) supervisesCase(id string) (bool, error) {
	cs, err := a.caseRow(id)
	if cs == nil || err != nil {
		return false, err
	}
	if cs.SupervisorID == a.me.ID {
		return true, nil
	}
	mine, err := a.staffRow(a.me.ID)
	if err != nil {
		return false, err
	}
	if mine != nil && mine.Team == cs.Team && mine.Authority == cs.Authority {
		return true, nil
	}
	return a.supervises(cs.WorkerID)
}

// record is the record a route names, nil when there is none.
func (a *access) record() (*models.SupervisionRecord, error) {
	id := a.c.Param("id")
	if !recordPattern.MatchString(id) {
		return nil, nil
	}
	r, err := models.GetRecordRow(a.ctx, a.s.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// delegated: an active delegation to me for the supervisee (or the case)
// hands over task (any task for taskAny).
func (a *access) delegated(superviseeID, caseID, task string) (bool, error) {
	if superviseeID == a.me.ID {
		return false, nil // nobody acts for themselves by delegation
	}
	ds, err := models.DelegationsTo(a.ctx, a.s.DB, a.me.ID, superviseeID, caseID, task, a.today)
	return len(ds) > 0, err
}

// peek decodes the request body leniently into v for a relation that
// depends on it, and puts the body back for the handler's strict decoding.
func (a *access) peek(v any) bool {
	req := a.c.Request
	if req.Body == nil {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), req.Body))
	return err == nil && json.Unmarshal(b, v) == nil
}
