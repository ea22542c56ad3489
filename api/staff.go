package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// Roles a member of staff can be onboarded with.
var Roles = []string{
	"nqsw", "social_worker", "student", "advanced_practitioner", "team_manager",
	"senior_manager", "cp_chair", "iro", "lado", "residential_worker", "agency_residential_worker",
}

// rolesWithoutSupervisor sit at the top of a service's line: nobody in
// securebase supervises them.
var rolesWithoutSupervisor = []string{"senior_manager"}

// StaffRequest is HR's onboarding of a new starter.
type StaffRequest struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Authority    string `json:"authority"`
	Team         string `json:"team"`
	Role         string `json:"role"`
	SupervisorID string `json:"supervisor_id"`
	StartDate    string `json:"start_date"`
	// An existing worker being imported: when their last personal
	// supervision was held and their current agreement signed, from which
	// their duties are computed (not from the start date).
	LastSupervision string `json:"last_supervision,omitempty"`
	AgreementSigned string `json:"agreement_signed,omitempty"`
	// An NQSW imported part way through the ASYE (or early career
	// programme): its start (else start_date), the reviews held and the
	// pauses (the last may still be open: no to); last_supervision is the
	// programme's last session.
	ASYEStart   string             `json:"asye_start,omitempty"`
	ASYEReviews []ASYEReviewHeld   `json:"asye_reviews,omitempty"`
	ASYEPauses  []ASYEPauseHistory `json:"asye_pauses,omitempty"`
}

// ASYEReviewHeld is a milestone review held before securebase.
type ASYEReviewHeld struct {
	Name   string `json:"name"`
	HeldOn string `json:"held_on"`
}

// ASYEPauseHistory is a pause before securebase; an open one has no to.
type ASYEPauseHistory struct {
	Reason string `json:"reason"`
	From   string `json:"from"`
	To     string `json:"to,omitempty"`
}

// StaffResponse is a staff record with the lifecycles it has.
type StaffResponse struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Authority    string   `json:"authority"`
	Team         string   `json:"team"`
	Role         string   `json:"role"`
	SupervisorID string   `json:"supervisor_id,omitempty"`
	StartDate    string   `json:"start_date"`
	Status       string   `json:"status"`
	LeftOn       string   `json:"left_on,omitempty"` // the leaving day, also while still ahead
	PackVersion  string   `json:"pack_version"`
	Period       int      `json:"period"` // the period of employment: 1, one more at each rehire
	Workflows    []string `json:"workflows"`
}

func staffResponse(st *models.Staff) StaffResponse {
	r := StaffResponse{
		ID: st.ID, Name: st.Name, Authority: st.Authority, Team: st.Team, Role: st.Role,
		StartDate: st.StartDate, Status: st.Status, LeftOn: st.LeftOn, PackVersion: st.PackVersion, Period: max(st.Period, 1),
	}
	if st.SupervisorID != nil {
		r.SupervisorID = *st.SupervisorID
	}
	r.Workflows = lifecycles(st)
	return r
}

// lifecycles are the person's lifecycle workflows in their current period
// of employment: an NQSW's ASYE; every supervisee's agreement and personal
// supervision (an NQSW's starts when the ASYE is passed).
func lifecycles(st *models.Staff) []string {
	ids := []string{}
	if st.Role == "nqsw" {
		ids = append(ids, periodID(workflows.KindASYE, st))
	}
	if st.SupervisorID != nil {
		ids = append(ids, periodID(workflows.KindAgreement, st), periodID(workflows.KindSupervision, st))
	}
	return ids
}

// periodID is the person's lifecycle of a kind in their current period of
// employment (workflows.PeriodKey).
func periodID(kind string, st *models.Staff) string {
	return workflows.ID(kind, workflows.PeriodKey(st.ID, st.Period))
}

// lifecycleID is the person's lifecycle of a kind; a person without one
// is a 409 saying what they lack.
func (s *Server) lifecycleID(c *gin.Context, kind, lacks string) (string, error) {
	st, err := s.staff(c)
	if err != nil {
		return "", err
	}
	id := periodID(kind, st)
	if !slices.Contains(lifecycles(st), id) {
		return "", fail(http.StatusConflict, fmt.Sprintf("staff %s (%s) has %s", st.ID, st.Role, lacks))
	}
	return id, nil
}

// staffStart is a validated request's dates: the start, the pack its duties
// run under, and for an import the day they begin and the last-held dates.
type staffStart struct {
	start, dutiesFrom, lastSupervision, agreementSigned policy.Date
	pack                                                *policy.Pack
	asyeStart                                           policy.Date
	progress                                            *workflows.ASYEProgress
}

// validate checks the request alone and returns every problem, plus the
// start date and the pack in force on it (today's, for a start before
// every version: an existing worker's duties start at import).
func (s *Server) validateStaff(req StaffRequest) (staffStart, []Problem) {
	var probs []Problem
	add := func(field, problem string) { probs = append(probs, Problem{Field: field, Problem: problem}) }
	if req.ID == "" {
		add("id", "is required")
	} else if !idPattern.MatchString(req.ID) {
		add("id", idGrammar)
	}
	if req.Name == "" {
		add("name", "is required")
	} else if len(req.Name) > 200 {
		add("name", "is longer than 200 characters")
	}
	if req.Team == "" {
		add("team", "is required")
	} else if !teamPattern.MatchString(req.Team) {
		add("team", "must be 1-64 letters, digits, '.', '_' or '-'")
	}
	if req.Role == "" {
		add("role", "is required")
	} else if !slices.Contains(Roles, req.Role) {
		add("role", fmt.Sprintf("%q is not one of %v", req.Role, Roles))
	}
	needsSupervisor := !slices.Contains(rolesWithoutSupervisor, req.Role)
	switch {
	case req.SupervisorID == "" && needsSupervisor:
		add("supervisor_id", "is required")
	case req.SupervisorID != "" && !idPattern.MatchString(req.SupervisorID):
		add("supervisor_id", idGrammar)
	case req.SupervisorID != "" && req.SupervisorID == req.ID:
		add("supervisor_id", "a member of staff cannot supervise themselves")
	}
	var start policy.Date
	if req.StartDate == "" {
		add("start_date", "is required")
	} else if d, err := parseDate(req.StartDate); err != nil {
		add("start_date", err.Error())
	} else {
		start = d
	}
	out := staffStart{start: start}
	today := policy.DateOf(time.Now())
	if req.Authority == "" {
		add("authority", "is required")
	} else if !slices.Contains(s.Packs.Authorities(), req.Authority) {
		add("authority", fmt.Sprintf("%q is not a known authority %v", req.Authority, s.Packs.Authorities()))
	} else if !start.IsZero() {
		p, from, err := s.Packs.PackOrToday(req.Authority, start, today)
		if err != nil {
			add("start_date", err.Error())
		} else {
			out.pack, out.dutiesFrom = p, from
		}
	}
	held := func(field, v string) policy.Date {
		if v == "" {
			return policy.Date{}
		}
		d, err := policy.ParseDate(v)
		switch {
		case err != nil:
			add(field, err.Error())
		case d.After(today):
			add(field, fmt.Sprintf("%s is in the future", d))
		case !start.IsZero() && d.Before(start):
			add(field, fmt.Sprintf("%s is before the start date %s", d, start))
		}
		return d
	}
	out.lastSupervision = held("last_supervision", req.LastSupervision)
	out.agreementSigned = held("agreement_signed", req.AgreementSigned)
	out.asyeStart = start
	if req.ASYEStart != "" || len(req.ASYEReviews) > 0 || len(req.ASYEPauses) > 0 {
		if req.Role != "nqsw" {
			add("role", fmt.Sprintf("%q has no ASYE: asye_start, asye_reviews and asye_pauses are an NQSW's", req.Role))
		} else {
			out.asyeStart, out.progress = s.asyeProgress(req, out, today, add)
		}
	} else if req.Role == "nqsw" && !out.lastSupervision.IsZero() {
		out.progress = &workflows.ASYEProgress{LastSession: out.lastSupervision}
	}
	return out, probs
}

// asyeProgress checks an imported NQSW's programme so far against the pack:
// review names it has, pause reasons it allows, dates in order and within
// the programme, no session during a pause, only the last pause open.
func (s *Server) asyeProgress(req StaffRequest, v staffStart, today policy.Date, add func(field, problem string)) (policy.Date, *workflows.ASYEProgress) {
	start := v.start
	if req.ASYEStart != "" {
		d, err := parseDate(req.ASYEStart)
		switch {
		case err != nil:
			add("asye_start", err.Error())
		case d.After(today):
			add("asye_start", fmt.Sprintf("%s is in the future", d))
		case !start.IsZero() && d.Before(start):
			add("asye_start", fmt.Sprintf("%s is before the start date %s", d, start))
		default:
			start = d
		}
	}
	p := &workflows.ASYEProgress{LastSession: v.lastSupervision}
	if !p.LastSession.IsZero() && !start.IsZero() && p.LastSession.Before(start) {
		add("last_supervision", fmt.Sprintf("%s is before the ASYE began on %s", p.LastSession, start))
	}
	within := func(field string, d policy.Date) {
		switch {
		case d.After(today):
			add(field, fmt.Sprintf("%s is in the future", d))
		case !start.IsZero() && d.Before(start):
			add(field, fmt.Sprintf("%s is before the ASYE began on %s", d, start))
		}
	}
	var names []string
	if v.pack != nil {
		for _, r := range v.pack.ASYE.Reviews {
			names = append(names, r.Name)
		}
	}
	seen := map[string]bool{}
	for i, r := range req.ASYEReviews {
		at := fmt.Sprintf("asye_reviews[%d]", i)
		switch {
		case v.pack != nil && !slices.Contains(names, r.Name):
			add(at+".name", fmt.Sprintf("%q is not a review of the %s programme %v", r.Name, v.pack.Authority, names))
		case seen[r.Name]:
			add(at+".name", fmt.Sprintf("the %s review is given twice", r.Name))
		}
		seen[r.Name] = true
		d, err := parseDate(r.HeldOn)
		if err != nil {
			add(at+".held_on", err.Error())
			continue
		}
		within(at+".held_on", d)
		p.Reviews = append(p.Reviews, workflows.HeldReview{Name: r.Name, HeldOn: d})
	}
	var prevTo policy.Date
	for i, ps := range req.ASYEPauses {
		at := fmt.Sprintf("asye_pauses[%d]", i)
		if v.pack != nil {
			rules := v.pack.ASYE.Pauses
			if slices.Contains(rules.Forbidden, ps.Reason) {
				add(at+".reason", fmt.Sprintf("the programme is never paused for %s (%s)", ps.Reason, rules.Rule))
			} else if !slices.Contains(rules.Allowed, ps.Reason) {
				add(at+".reason", fmt.Sprintf("%q is not a reason to pause %v (%s)", ps.Reason, rules.Allowed, rules.Rule))
			}
		}
		from, err := parseDate(ps.From)
		if err != nil {
			add(at+".from", err.Error())
			continue
		}
		within(at+".from", from)
		pp := workflows.PastPause{Reason: ps.Reason, From: from}
		if ps.To == "" {
			if i != len(req.ASYEPauses)-1 {
				add(at+".to", "is required: only the last pause may still be open")
			}
		} else if to, err := parseDate(ps.To); err != nil {
			add(at+".to", err.Error())
		} else if !to.After(from) {
			add(at+".to", fmt.Sprintf("%s is not after the pause began on %s", to, from))
		} else {
			within(at+".to", to)
			pp.To = to
		}
		if !prevTo.IsZero() && from.Before(prevTo) {
			add(at+".from", fmt.Sprintf("%s is before the previous pause ended on %s: pauses are in order and do not overlap", from, prevTo))
		}
		if l := p.LastSession; !l.IsZero() && l.After(from) && (pp.To.IsZero() || l.Before(pp.To)) {
			add("last_supervision", fmt.Sprintf("%s is within the pause from %s: no session is held while paused", l, from))
		}
		prevTo = pp.To
		p.Pauses = append(p.Pauses, pp)
	}
	return start, p
}

// onboard registers a starter: the Onboard workflow writes the record and
// starts their lifecycles. The same request again returns what exists.
func (s *Server) onboard(c *gin.Context) (int, any, error) {
	var req StaffRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	return s.onboardStaff(c.Request.Context(), actor(c), req)
}

// onboardStaff is onboarding after the request is read: the API's and an
// import's one path.
func (s *Server) onboardStaff(ctx context.Context, actor string, req StaffRequest) (int, any, error) {
	v, probs := s.validateStaff(req)
	if len(probs) > 0 {
		return 0, nil, unprocessable(probs)
	}
	start := v.start
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()

	period := 1
	existing, err := models.GetStaff(ctx, s.DB, req.ID)
	switch {
	case err == nil && existing.Status == statusLeft && differs(existing, req) != nil:
		// A leaver onboarded again is rehired into their next period.
		if err := s.checkRehire(ctx, existing, start); err != nil {
			return 0, nil, err
		}
		period = max(existing.Period, 1) + 1
	case err == nil:
		if p := differs(existing, req); p != nil {
			return 0, nil, fail(http.StatusConflict, fmt.Sprintf("staff %s exists with a different %s", req.ID, p.Field), *p)
		}
		// The record is written before the lifecycles start: a retry answers
		// only once onboarding has finished, so the next request finds them.
		// (No run at all: its history is past the namespace's retention.)
		if err := s.finished(ctx, periodID(workflows.KindOnboard, existing)); err != nil {
			return 0, nil, err
		}
		if err := s.ensureTeamDutiesOf(ctx, existing, actor); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, staffResponse(existing), nil
	case !errors.Is(err, models.ErrNotFound):
		return 0, nil, err
	}

	var managerID string
	if req.SupervisorID != "" {
		sup, err := models.GetStaff(ctx, s.DB, req.SupervisorID)
		if errors.Is(err, models.ErrNotFound) {
			return 0, nil, unprocessable([]Problem{{Field: "supervisor_id", Problem: fmt.Sprintf("no member of staff %q", req.SupervisorID)}})
		} else if err != nil {
			return 0, nil, err
		}
		if sup.Authority != req.Authority {
			return 0, nil, unprocessable([]Problem{{Field: "supervisor_id", Problem: fmt.Sprintf("%s works for %s, not %s", sup.ID, sup.Authority, req.Authority)}})
		}
		if sup.SupervisorID != nil {
			managerID = *sup.SupervisorID
		}
	}

	id, attrs, in := onboarding(actor, req, v, period, managerID)
	if err := s.runOnce(ctx, id, workflows.OnboardWorkflow, attrs, in, nil); err != nil {
		return 0, nil, err
	}
	// Two different requests for one id can race to the same run: the record
	// written is the one that won, and the loser hears so.
	st, err := models.GetStaff(ctx, s.DB, req.ID)
	if err != nil {
		return 0, nil, err
	}
	if p := differs(st, req); p != nil {
		return 0, nil, fail(http.StatusConflict, fmt.Sprintf("staff %s exists with a different %s", req.ID, p.Field), *p)
	}
	// The first member of a team starts the duties the team owes (team_duty.go).
	if err := s.ensureTeamDutiesOf(ctx, st, actor); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, staffResponse(st), nil
}

// onboarding is a checked starter's Onboard workflow: its id, search
// attributes and input (the API's and an import's one plan).
func onboarding(actor string, req StaffRequest, v staffStart, period int, managerID string) (string, temporal.SearchAttributes, workflows.OnboardInput) {
	start, pack := v.start, v.pack
	in := workflows.OnboardInput{
		Actor: actor,
		Staff: activities.StaffRecord{
			ID: req.ID, Name: req.Name, Authority: req.Authority, Team: req.Team, Role: req.Role,
			SupervisorID: req.SupervisorID, StartDate: start.String(), Status: "active", PackVersion: pack.Version, Period: period,
		},
	}
	if req.Role == "nqsw" && !v.asyeStart.IsZero() {
		in.Staff.ASYEStart = v.asyeStart.String()
	}
	person := workflows.Person{
		StaffID: req.ID, Name: req.Name, Authority: req.Authority, Team: req.Team, Role: req.Role,
		SupervisorID: req.SupervisorID, ManagerID: managerID, Start: start, DutiesFrom: v.dutiesFrom,
	}
	if req.SupervisorID != "" {
		agreement := workflows.NewAgreementInput(person, pack, in.Actor)
		agreement.SignedOn = v.agreementSigned
		supervision := workflows.NewSupervisionInput(person, pack, in.Actor)
		supervision.LastHeld = v.lastSupervision
		in.Agreement = &agreement
		if req.Role == "nqsw" {
			in.ASYE = &workflows.ASYEInput{
				StaffID: req.ID, Name: req.Name, Authority: req.Authority, Team: req.Team,
				SupervisorID: req.SupervisorID, ManagerID: managerID, Start: v.asyeStart, Progress: v.progress,
				Pack: pack.Ref(), Rules: pack.ASYE, ClosureDays: pack.ClosureDays, Actor: in.Actor,
				SignOff: pack.SignOff, StandingEscalation: pack.Escalation, Handover: &supervision,
			}
		} else {
			in.Supervision = &supervision
		}
	}
	id := workflows.ID(workflows.KindOnboard, workflows.PeriodKey(req.ID, period))
	attrs := workflows.SearchAttributes(req.ID, req.Authority, req.Team, workflows.KindOnboard)
	return id, attrs, in
}

// statusLeft is a leaver's staff status.
const statusLeft = "left"

// finished waits for a workflow's latest run to end; one whose history is
// past the namespace's retention has long ended.
func (s *Server) finished(ctx context.Context, id string) error {
	var nf *serviceerror.NotFound
	if err := s.Temporal.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil && !errors.As(err, &nf) {
		return err
	}
	return nil
}

// checkRehire refuses (422, naming start_date) a rehire that does not start
// after the leaving day, and waits for the leave to have finished, so that
// the earlier period's retention has started when the rehire cancels its
// purge (workflows.Retention).
func (s *Server) checkRehire(ctx context.Context, st *models.Staff, start policy.Date) error {
	if start.String() <= st.LeftOn {
		return unprocessable([]Problem{{Field: "start_date", Problem: fmt.Sprintf(
			"%s left on %s: a rehire starts after the leaving day (%s is on or before it)", st.ID, st.LeftOn, start)}})
	}
	return s.finished(ctx, periodID(workflows.KindLeave, st))
}

// differs names the first field in which a request disagrees with the record.
func differs(st *models.Staff, req StaffRequest) *Problem {
	sup := ""
	if st.SupervisorID != nil {
		sup = *st.SupervisorID
	}
	for _, f := range []struct{ name, have, want string }{
		{"name", st.Name, req.Name}, {"authority", st.Authority, req.Authority}, {"team", st.Team, req.Team},
		{"role", st.Role, req.Role}, {"supervisor_id", sup, req.SupervisorID}, {"start_date", st.StartDate, req.StartDate},
	} {
		if f.have != f.want {
			return &Problem{Field: f.name, Problem: fmt.Sprintf("is %q on record, not %q", f.have, f.want)}
		}
	}
	return nil
}

func (s *Server) staff(c *gin.Context) (*models.Staff, error) {
	id := c.Param("id")
	if !idPattern.MatchString(id) {
		return nil, badRequest("id", "is not a valid staff id")
	}
	st, err := models.GetStaff(c.Request.Context(), s.DB, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, notFound("staff " + id)
	}
	return st, err
}

func (s *Server) getStaff(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, staffResponse(st), nil
}

// ScheduleResponse is every lifecycle's view of what a person has due, and
// the records awaiting their sign-off.
type ScheduleResponse struct {
	StaffID    string               `json:"staff_id"`
	Lifecycles []workflows.Schedule `json:"lifecycles"`
	Records    []models.DueItem     `json:"records_to_sign"`
}

// getSchedule asks each of the person's running lifecycles by query; records
// awaiting sign-off come from the projection (one workflow per record).
func (s *Server) getSchedule(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.schedule(c.Request.Context(), st)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// schedule is a person's schedule: the API's and the dashboard's.
func (s *Server) schedule(ctx context.Context, st *models.Staff) (*ScheduleResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()
	out := &ScheduleResponse{StaffID: st.ID, Lifecycles: []workflows.Schedule{}}
	var err error
	for _, id := range lifecycles(st) {
		var sched workflows.Schedule
		err := s.query(ctx, "lifecycle "+id, id, workflows.QuerySchedule, &sched)
		if isNotFound(err) {
			continue // not started (an NQSW's personal supervision before the ASYE is passed)
		}
		if err != nil {
			return nil, err
		}
		sched.WorkflowID = id
		out.Lifecycles = append(out.Lifecycles, sched)
	}
	if out.Records, err = models.ListOpenItems(ctx, s.DB, st.ID, workflows.KindSignOff+":"); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) listSessions(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	rows, err := models.ListSessions(c.Request.Context(), s.DB, st.ID)
	if err != nil {
		return 0, nil, err
	}
	rows = s.redactSessions(c, st, rows) // redact.go
	return http.StatusOK, gin.H{"staff_id": st.ID, "sessions": rows}, nil
}

func (s *Server) listNotifications(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	rows, err := models.ListNotifications(c.Request.Context(), s.DB, st.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gin.H{"staff_id": st.ID, "notifications": rows}, nil
}
