package api

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// The data behind each page. Every query starts from the signed-in person.

// me is the signed-in person's staff record; nil when they are not on it
// (a dev token's subject, an auditor from outside the service).
func (s *Server) me(ctx context.Context, p Principal) (*models.Staff, error) {
	st, err := models.GetStaff(ctx, s.DB, p.ID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return st, err
}

// readRecordText audits a read of a record's text before the page shows it,
// as GET /records/:id does: a read that cannot be audited is not served.
func (s *Server) readRecordText(ctx context.Context, p Principal, path string, rec *models.SupervisionRecord) error {
	err := models.RecordRead(ctx, s.DB, models.Read{Actor: p.ID, Action: "record.read", StaffID: rec.StaffID, Path: path + "#" + rec.ID})
	if err != nil {
		return fail(503, "the read could not be audited, so it is not served; try again")
	}
	return nil
}

// recordCard is a record a page offers an action on, with the text read.
type recordCard struct {
	models.SupervisionRecord
	Text      string // the current version's text
	View      string // the supervisee's view, when disputed
	RequestID string
	// Alternative request ids, so two actions on one record never share one.
	RequestID2 string
}

// loadRecordCard reads a record's current text and latest dispute.
func (s *Server) loadRecordCard(ctx context.Context, p Principal, path string, r models.SupervisionRecord) (recordCard, error) {
	card := recordCard{SupervisionRecord: r, RequestID: newRequestID(), RequestID2: newRequestID()}
	if r.CurrentVersion == 0 {
		return card, nil // nothing written yet
	}
	if err := s.readRecordText(ctx, p, path, &r); err != nil {
		return card, err
	}
	v, err := models.GetRecord(ctx, s.DB, r.ID)
	if err != nil {
		return card, err
	}
	for _, ver := range v.Versions {
		if ver.Version == r.CurrentVersion {
			card.Text = ver.Text
		}
	}
	if n := len(v.Disputes); n > 0 {
		card.View = v.Disputes[n-1].View
	}
	return card, nil
}

// superviseeRow is one line of a supervisor's team.
type superviseeRow struct {
	models.Staff
	NextDue    string
	Overdue    int
	SessionURL string // where "session held today" is recorded for this lifecycle
	ASYE       bool   // an ASYE session carries its kind
	RequestID  string
}

type caseRow struct {
	models.Case
	Overdue int
}

type supervisorData struct {
	Me                  *models.Staff
	Names               people
	Today, WeekEnd      string
	Supervisees         []superviseeRow
	Cases               []caseRow
	DueThisWeek         []models.DueItem
	Overdue             []models.DueItem
	ToSign              []recordCard   // records awaiting the supervisor: to write, to sign, disputed, or to finalise
	Personal            []models.Staff // supervisees with personal supervision (not the ASYE): book, cancel, absence
	AbsenceKinds        []string
	AwaitingSupervisees []models.SupervisionRecord
	Work                caseWork      // api/dashboard_cases.go: the case, caseload and delegation forms
	TeamDuties          []teamDutyRow // my team's duties: group supervision, a team brief (dashboard_teamduties.go)
	supervisorForms                   // extra sessions, cover, agreements, programmes (dashboard_supervisor.go)
}

// supervisorPage: my supervisees and my team's cases, what is due this week
// and overdue among them, and the records awaiting me.
func (s *Server) supervisorPage(c *gin.Context, p Principal) (any, error) {
	ctx := c.Request.Context()
	today := policy.DateOf(time.Now())
	d := supervisorData{Today: today.String(), WeekEnd: today.AddDays(7).String()}
	me, err := s.me(ctx, p)
	if err != nil || me == nil {
		return d, err
	}
	d.Me = me
	var staff []models.Staff
	if err := s.DB.WithContext(ctx).Where("supervisor_id = ? AND status = ?", me.ID, "active").Order("name, id").Find(&staff).Error; err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	teams := []string{me.Team}
	for _, st := range staff {
		mine[st.ID] = true
		if !slices.Contains(teams, st.Team) {
			teams = append(teams, st.Team)
		}
		row := superviseeRow{Staff: st, RequestID: newRequestID()}
		items, err := models.ListDueForStaff(ctx, s.DB, st.ID)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			switch it.Status {
			case models.DueStatusOverdue:
				row.Overdue++
				fallthrough
			case models.DueStatusDue:
				if row.NextDue == "" || it.DueOn < row.NextDue {
					row.NextDue = it.DueOn
				}
			}
		}
		row.SessionURL = "/api/v1/staff/" + url.PathEscape(st.ID) + "/supervision/sessions"
		if st.Role == "nqsw" {
			row.SessionURL, row.ASYE = "/api/v1/staff/"+url.PathEscape(st.ID)+"/sessions", true
		}
		d.Supervisees = append(d.Supervisees, row)
	}

	var cases []models.Case
	err = s.DB.WithContext(ctx).
		Where("status = ? AND ((authority = ? AND team = ?) OR supervisor_id = ?)", models.CaseOpen, me.Authority, me.Team, me.ID).
		Order("next_due, id").Find(&cases).Error
	if err != nil {
		return nil, err
	}
	ours := map[string]bool{}
	for _, cs := range cases {
		ours[cs.ID] = true
	}

	// The team lists, narrowed to my supervisees and our cases.
	for _, team := range teams {
		items, err := models.ListDueForTeam(ctx, s.DB, me.Authority, team, d.WeekEnd)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			keep := mine[it.StaffID] // a duty of one of my supervisees
			if it.CaseID != "" {
				keep = ours[it.CaseID] // a case duty: one of our cases
			}
			if !keep {
				continue
			}
			if it.Status == models.DueStatusOverdue {
				d.Overdue = append(d.Overdue, it)
			} else {
				d.DueThisWeek = append(d.DueThisWeek, it)
			}
		}
	}
	byDue := func(xs []models.DueItem) {
		sort.SliceStable(xs, func(i, j int) bool { return xs[i].DueOn < xs[j].DueOn })
	}
	byDue(d.Overdue)
	byDue(d.DueThisWeek)
	// A case's next supervision is its earliest open duty (an allocation
	// supervision comes before the regular cadence the case row keeps).
	var caseItems []models.DueItem
	if len(cases) > 0 {
		ids := make([]string, len(cases))
		for i, cs := range cases {
			ids[i] = cs.ID
		}
		err = s.DB.WithContext(ctx).Where("case_id IN ? AND status IN ?", ids, []string{models.DueStatusDue, models.DueStatusOverdue}).Find(&caseItems).Error
		if err != nil {
			return nil, err
		}
	}
	for _, cs := range cases {
		row := caseRow{Case: cs}
		for _, it := range caseItems {
			if it.CaseID != cs.ID {
				continue
			}
			if it.Status == models.DueStatusOverdue {
				row.Overdue++
			}
			if row.NextDue == "" || it.DueOn < row.NextDue {
				row.NextDue = it.DueOn
			}
		}
		d.Cases = append(d.Cases, row)
	}

	d.ToSign, d.AwaitingSupervisees, err = s.recordCards(c, p, "supervisor_id",
		[]string{models.RecordDraft, models.RecordDisputed, models.RecordSigned}, []string{models.RecordAwaitingSupervisee})
	if err != nil {
		return nil, err
	}
	d.AbsenceKinds = workflows.AbsenceKinds
	if d.TeamDuties, err = s.teamDutiesOf(ctx, me.Authority, me.Team, today); err != nil {
		return nil, err
	}
	if d.Work, err = s.caseWorkFor(ctx, me, d.Supervisees, d.Cases); err != nil {
		return nil, err
	}
	if d.supervisorForms, err = s.supervisorForms(ctx, d.Supervisees, today); err != nil {
		return nil, err
	}
	for _, row := range d.Supervisees {
		if !row.ASYE {
			d.Personal = append(d.Personal, row.Staff)
		}
	}
	var ids []string
	for _, it := range append(slices.Clone(d.Overdue), d.DueThisWeek...) {
		ids = append(ids, it.StaffID)
	}
	for _, cs := range d.Cases {
		ids = append(ids, cs.WorkerID)
	}
	for _, r := range d.ToSign {
		ids = append(ids, r.StaffID)
	}
	for _, r := range d.AwaitingSupervisees {
		ids = append(ids, r.StaffID)
	}
	d.Names, err = s.names(ctx, ids...)
	return d, err
}

// names reads the names of the staff a page mentions.
func (s *Server) names(ctx context.Context, ids ...string) (people, error) {
	out := people{}
	var want []string
	for _, id := range ids {
		if id != "" && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	var staff []models.Staff
	if err := s.DB.WithContext(ctx).Select("id", "name").Where("id IN ?", want).Find(&staff).Error; err != nil {
		return nil, err
	}
	for _, st := range staff {
		out[st.ID] = st.Name
	}
	return out, nil
}

// recordCards reads the records whose column (supervisor_id or staff_id) is
// me: those in a status that is mine to act on as cards with their text,
// those in a status that waits on the other party as rows.
func (s *Server) recordCards(c *gin.Context, p Principal, column string, mine, waiting []string) ([]recordCard, []models.SupervisionRecord, error) {
	ctx := c.Request.Context()
	var recs []models.SupervisionRecord
	err := s.DB.WithContext(ctx).
		Where(column+" = ? AND status IN ?", p.ID, append(slices.Clone(mine), waiting...)).
		Order("due_on, id").Find(&recs).Error
	if err != nil {
		return nil, nil, err
	}
	var cards []recordCard
	var others []models.SupervisionRecord
	for _, r := range recs {
		if !slices.Contains(mine, r.Status) {
			others = append(others, r)
			continue
		}
		card, err := s.loadRecordCard(ctx, p, c.Request.URL.Path, r)
		if err != nil {
			return nil, nil, err
		}
		cards = append(cards, card)
	}
	return cards, others, nil
}

// lifecycleView is one of my lifecycles with the items still to do.
type lifecycleView struct {
	workflows.Schedule
	Open []workflows.Item
}

type superviseeData struct {
	Me         *models.Staff
	Names      people
	Lifecycles []lifecycleView
	ToSign     []recordCard
	Other      []models.SupervisionRecord // my records in progress, not mine to act on now
	Agreement  *agreementPanel            // my supervision agreement (dashboard_supervisee.go)
	// ConcernID makes the concern form's request safe to retry (concern.go).
	ConcernID string
}

// superviseePage: my schedule, and my records to check and sign or dispute.
func (s *Server) superviseePage(c *gin.Context, p Principal) (any, error) {
	ctx := c.Request.Context()
	var d superviseeData
	me, err := s.me(ctx, p)
	if err != nil || me == nil {
		return d, err
	}
	d.Me, d.ConcernID = me, newRequestID()
	sched, err := s.schedule(ctx, me)
	if err != nil {
		return nil, err
	}
	for _, l := range sched.Lifecycles {
		lv := lifecycleView{Schedule: l}
		for _, it := range l.Items {
			if it.Status != "met" && len(lv.Open) < 8 {
				lv.Open = append(lv.Open, it)
			}
		}
		d.Lifecycles = append(d.Lifecycles, lv)
	}
	if d.Agreement, err = s.myAgreement(ctx, me, policy.DateOf(time.Now())); err != nil {
		return nil, err
	}
	d.ToSign, d.Other, err = s.recordCards(c, p, "staff_id",
		[]string{models.RecordAwaitingSupervisee}, []string{models.RecordDraft, models.RecordDisputed, models.RecordSigned})
	if err != nil {
		return nil, err
	}
	ids := []string{}
	if me.SupervisorID != nil {
		ids = append(ids, *me.SupervisorID)
	}
	for _, r := range d.ToSign {
		ids = append(ids, r.SupervisorID)
	}
	if a := d.Agreement; a != nil {
		for _, sg := range a.Signatures {
			ids = append(ids, sg.StaffID)
		}
		if a.Terms != nil {
			ids = append(ids, a.Terms.ProposedBy)
		}
	}
	d.Names, err = s.names(ctx, ids...)
	return d, err
}

// escalationRow is an escalation still open: its duty is not yet done.
type escalationRow struct {
	models.Notification
	Authority, Team, DueOn, Status string
}

type seniorData struct {
	Me          *models.Staff
	Names       people
	Charts      []complianceChart
	Escalations []escalationRow
}

// seniorPage: compliance by team over the last 12 months, and the open
// escalations, for the senior manager's authority (every authority for a
// senior manager who is not on the staff record).
func (s *Server) seniorPage(c *gin.Context, p Principal) (any, error) {
	ctx := c.Request.Context()
	var d seniorData
	me, err := s.me(ctx, p)
	if err != nil {
		return nil, err
	}
	d.Me = me
	authorities := s.Packs.Authorities()
	if me != nil {
		authorities = []string{me.Authority}
	}
	today := policy.DateOf(time.Now())
	for _, a := range authorities {
		ch, err := s.complianceByTeam(ctx, a, today)
		if err != nil {
			return nil, err
		}
		if len(ch.Teams) > 0 || me != nil {
			d.Charts = append(d.Charts, ch)
		}
	}
	if d.Escalations, err = s.openEscalations(ctx, authorities); err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range d.Escalations {
		ids = append(ids, e.StaffID, e.Recipient)
	}
	d.Names, err = s.names(ctx, ids...)
	return d, err
}

// seniorAuthorities are the authorities a senior manager sees: their own,
// or every one for a senior manager who is not on the staff record.
func (s *Server) seniorAuthorities(ctx context.Context, p Principal) ([]string, error) {
	me, err := s.me(ctx, p)
	if err != nil {
		return nil, err
	}
	if me != nil {
		return []string{me.Authority}, nil
	}
	return s.Packs.Authorities(), nil
}

type seniorItemsData struct {
	Authority, Team, Duty, Month string
	Items                        []models.ComplianceItem
	Names                        people
}

// seniorItemsPage: the items behind one number of the compliance table
// (a team's duty in a month), as the monthly report classified them.
func (s *Server) seniorItemsPage(c *gin.Context, p Principal) (any, error) {
	ctx := c.Request.Context()
	d := seniorItemsData{Authority: c.Query("authority"), Team: c.Query("team"), Duty: c.Query("duty"), Month: c.Query("month")}
	authorities, err := s.seniorAuthorities(ctx, p)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(authorities, d.Authority) {
		return nil, fail(404, "no compliance of authority "+d.Authority+" is yours to read", Problem{Field: "authority", Problem: "not an authority you oversee"})
	}
	if _, err := time.Parse("2006-01", d.Month); err != nil {
		return nil, fail(400, "month: write it as YYYY-MM", Problem{Field: "month", Problem: "write it as YYYY-MM"})
	}
	items, _, err := s.monthItems(ctx, d.Authority, d.Month, policy.DateOf(time.Now()))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, it := range items {
		if it.Team == d.Team && it.Duty == d.Duty {
			d.Items = append(d.Items, it)
			ids = append(ids, it.StaffID)
		}
	}
	d.Names, err = s.names(ctx, ids...)
	return d, err
}

// ruleSection is one section of a pack's rules, for the rules page.
type ruleSection struct {
	N     int
	Title string
	Rules []policy.Rule
}

type rulesData struct {
	Pack     *policy.Pack
	Versions []string // the authority's other versions
	Sections []ruleSection
}

func (d rulesData) PageTitle() string { return "The policy: " + d.Pack.Name }

// rulesPage: an authority's pack in force today (or ?version=), every rule
// with its text and the place in the seed policy it comes from. Rule ids
// anywhere on the pages link here (ruleURL).
func (s *Server) rulesPage(c *gin.Context, p Principal) (any, error) {
	authority, version := c.Param("authority"), c.Query("version")
	var pack *policy.Pack
	var err error
	if version != "" {
		pack, err = s.Packs.Version(authority, version)
	} else {
		pack, err = s.Packs.Pack(authority, policy.DateOf(time.Now()))
	}
	if err != nil {
		return nil, fail(404, "no policy pack: "+err.Error())
	}
	d := rulesData{Pack: pack}
	for _, other := range s.Packs.Packs() {
		if other.Authority == authority && other.Version != pack.Version {
			d.Versions = append(d.Versions, other.Version)
		}
	}
	for n := 1; n <= len(policy.Sections); n++ {
		sec := ruleSection{N: n, Title: policy.Sections[n]}
		for _, r := range pack.Rules {
			if r.Section == n {
				sec.Rules = append(sec.Rules, r)
			}
		}
		d.Sections = append(d.Sections, sec)
	}
	return d, nil
}

// openEscalations are the escalation notices whose duty is still due or
// overdue, oldest first.
func (s *Server) openEscalations(ctx context.Context, authorities []string) ([]escalationRow, error) {
	var ns []models.Notification
	if err := s.DB.WithContext(ctx).Where("kind = ?", "escalation").Order("created_at, id").Find(&ns).Error; err != nil {
		return nil, err
	}
	var wfs []string
	for _, n := range ns {
		if !slices.Contains(wfs, n.WorkflowID) {
			wfs = append(wfs, n.WorkflowID)
		}
	}
	if len(wfs) == 0 {
		return nil, nil
	}
	var items []models.DueItem
	if err := s.DB.WithContext(ctx).Where("workflow_id IN ?", wfs).Find(&items).Error; err != nil {
		return nil, err
	}
	due := map[[2]string]models.DueItem{}
	for _, it := range items {
		due[[2]string{it.WorkflowID, it.Key}] = it
	}
	var out []escalationRow
	for _, n := range ns {
		it, ok := due[[2]string{n.WorkflowID, n.DueKey}]
		if !ok || (it.Status != models.DueStatusDue && it.Status != models.DueStatusOverdue) || !slices.Contains(authorities, it.Authority) {
			continue
		}
		out = append(out, escalationRow{Notification: n, Authority: it.Authority, Team: it.Team, DueOn: it.DueOn, Status: it.Status})
	}
	return out, nil
}

type auditorData struct {
	Query       string // what was searched for
	Searched    bool
	People      []models.Staff
	Cases       []models.Case
	Names       people
	Subject, ID string // "staff" or "case", and whose
	Trail       *TrailResponse
	NotFound    bool
	JSONURL     string
	CSVURL      string
	Problem     string
}

// auditorPage: a staff id or case id, then its decision trail as a
// timeline. Reading a trail is audited, as the API's is.
func (s *Server) auditorPage(c *gin.Context, p Principal) (any, error) {
	d := auditorData{Names: people{}}
	staffID, caseID := c.Query("staff"), c.Query("case")
	if q, ok := c.GetQuery("q"); ok {
		return d, s.find(c.Request.Context(), &d, strings.TrimSpace(q))
	}
	switch {
	case staffID == "" && caseID == "":
		return d, nil
	case staffID != "" && caseID != "":
		d.Problem = "Give a staff id or a case id, not both."
		return d, nil
	case staffID != "":
		d.Subject, d.ID = trailStaff, staffID
	default:
		d.Subject, d.ID = trailCase, caseID
	}
	if !trailIDPattern.MatchString(d.ID) {
		d.Problem = "That is not a " + d.Subject + " id."
		return d, nil
	}
	ctx := c.Request.Context()
	read := models.Read{Actor: p.ID, Action: "trail.read", Path: c.Request.URL.RequestURI()}
	base := "/api/v1/trail/staff/"
	if d.Subject == trailStaff {
		read.StaffID = d.ID
	} else {
		read.CaseID, base = d.ID, "/api/v1/trail/cases/"
	}
	if err := models.RecordRead(ctx, s.DB, read); err != nil {
		return nil, fail(503, "the read could not be audited, so it is not served; try again")
	}
	d.JSONURL = base + url.PathEscape(d.ID)
	d.CSVURL = d.JSONURL + "?format=csv"
	t, err := s.trail(ctx, d.Subject, d.ID)
	var he *httpError
	if errors.As(err, &he) && he.status == 404 {
		d.NotFound = true
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.Trail = t
	ids := []string{}
	if d.Subject == trailStaff {
		ids = append(ids, d.ID)
	}
	for _, e := range t.Entries {
		ids = append(ids, e.Actor, e.StaffID)
	}
	d.Names, err = s.names(ctx, ids...)
	return d, err
}

// FieldErrors puts a search's problem in the error summary.
func (d auditorData) FieldErrors() []Problem {
	if d.Problem == "" {
		return nil
	}
	return []Problem{{Field: "q", Problem: d.Problem}}
}

// find looks a person up by name or staff id, and a case by its id or its
// worker: what an auditor knows is usually a name, not an id. Reading the
// list is not a read of anyone's records; opening a trail is, and is audited.
func (s *Server) find(ctx context.Context, d *auditorData, q string) error {
	d.Query = q
	if q == "" {
		d.Problem = "Enter a name, a staff id or a case id"
		return nil
	}
	if len(q) > 100 {
		d.Problem = "Enter at most 100 characters"
		return nil
	}
	d.Searched = true
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
	if err := s.DB.WithContext(ctx).Where(`LOWER(name) LIKE ? ESCAPE '\' OR id = ?`, like, q).Order("name, id").Limit(50).Find(&d.People).Error; err != nil {
		return err
	}
	workers := []string{q}
	for _, st := range d.People {
		workers = append(workers, st.ID)
	}
	if err := s.DB.WithContext(ctx).Where(`LOWER(id) LIKE ? ESCAPE '\' OR worker_id IN ?`, like, workers).Order("id").Limit(50).Find(&d.Cases).Error; err != nil {
		return err
	}
	var ids []string
	for _, cs := range d.Cases {
		ids = append(ids, cs.WorkerID)
	}
	var err error
	d.Names, err = s.names(ctx, ids...)
	return err
}

type hrData struct {
	Today                 string
	Authority             string // HR's own authority, first in the list
	Authorities, Roles    []string
	Recent                []models.Staff
	Names                 people
	RequestID, RequestID2 string
	Imports               []importKind // api/dashboard_cases.go
}

// hrPage: the forms HR uses (a new starter, a change of supervisor, a
// leaver), posting to the API, and the staff who joined most recently.
func (s *Server) hrPage(c *gin.Context, p Principal) (any, error) {
	ctx := c.Request.Context()
	d := hrData{Today: policy.DateOf(time.Now()).String(), Authorities: s.Packs.Authorities(), Roles: Roles,
		RequestID: newRequestID(), RequestID2: newRequestID(), Imports: importKinds}
	me, err := s.me(ctx, p)
	if err != nil {
		return nil, err
	}
	q := s.DB.WithContext(ctx).Order("created_at DESC, id").Limit(20)
	if me != nil {
		d.Authority = me.Authority
		q = q.Where("authority = ?", me.Authority)
	}
	if err := q.Find(&d.Recent).Error; err != nil {
		return nil, err
	}
	var ids []string
	for _, st := range d.Recent {
		if st.SupervisorID != nil {
			ids = append(ids, *st.SupervisorID)
		}
	}
	d.Names, err = s.names(ctx, ids...)
	return d, err
}
