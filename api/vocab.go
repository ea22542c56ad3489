package api

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/securebase/securebase/policy"
)

// The pages' vocabulary: the one place the engine's words (duty kinds,
// statuses, cadences, events, roles, lifecycles) become the words a person
// reads, and dates and times are written the UK's way in London time.
// Every page's template uses these functions (parseTemplates); the API's
// JSON keeps the engine's words. A word missing here reads as itself with
// its underscores made spaces, so a new kind is never hidden.

// dutyNames name each kind of duty (workflows' Item.Kind, DueItem.Kind).
var dutyNames = map[string]string{
	"asye_session":                "ASYE supervision",
	"asye_review":                 "ASYE review",
	"agreement_signature":         "Signing the supervision agreement",
	"agreement_renewal":           "Renewing the supervision agreement",
	"supervision_session":         "Supervision",
	"supervision_booking":         "Booked supervision",
	"supervision_booking_horizon": "Booking supervision ahead",
	"supervision_rebooking":       "Rebooking a cancelled supervision",
	"supervision_cover":           "Cover supervision while the supervisor is away",
	"supervision_gap":             "A time without supervision",
	"practice_observation":        "Practice observation",
	"appraisal":                   "Appraisal",
	"progress_review":             "Progress review",
	"record_signoff":              "Checking and signing a supervision record",
	"record_finalise":             "Finalising a supervision record",
	"case_allocation_supervision": "Supervision when the case is allocated",
	"case_supervision":            "Case supervision",
	"case_record":                 "Filing the case supervision record",
	"case_transfer_supervision":   "Supervision before the case transfers",
	"caseload_analysis":           "Caseload analysis",
	"caseload_over_max_review":    "Review of a caseload over the maximum",
	"group_supervision":           "Group supervision",
	"group_supervision_record":    "Recording the group supervision",
	"team_brief":                  "Team brief",
	"team_caseload_review":        "Departmental management team's review of the team's average caseload",
	"case_file_audit":             "Case file audit",
}

// sessionKinds are the duties that are a supervision at the cadence in force,
// so their sentence leads with the cadence ("Fortnightly supervision").
var sessionKinds = map[string]bool{"asye_session": true, "supervision_session": true, "case_supervision": true}

// statusNames name the statuses of duties, records, cases and lifecycles.
var statusNames = map[string]string{
	"due":                 "Due",
	"overdue":             "Overdue",
	"met":                 "Done",
	"closed":              "Closed",
	"paused":              "Paused",
	"recorded":            "Recorded",
	"open":                "Open",
	"agreed":              "Agreed",
	"active":              "Active",
	"flagged":             "Flagged",
	"left":                "Left",
	"draft":               "Waiting for the supervisor",
	"awaiting_supervisee": "Waiting for the supervisee to sign",
	"disputed":            "Disputed by the supervisee",
	"signed":              "Signed by both",
	"finalised":           "Finalised",
	"booked":              "Booked",
	"cancelled":           "Cancelled",
	"on_time":             "On time",
	"late":                "Late",
	"missed":              "Missed",
	"pending":             "Not yet decided",
}

// statusTags colour a status in the GOV.UK tag's colours; the text always
// says it too.
var statusTags = map[string]string{
	"overdue": "govuk-tag--red", "missed": "govuk-tag--red", "disputed": "govuk-tag--red",
	"due": "govuk-tag--yellow", "awaiting_supervisee": "govuk-tag--yellow", "draft": "govuk-tag--yellow", "late": "govuk-tag--orange",
	"met": "govuk-tag--green", "agreed": "govuk-tag--green", "signed": "govuk-tag--green", "finalised": "govuk-tag--green", "on_time": "govuk-tag--green",
	"closed": "govuk-tag--grey", "paused": "govuk-tag--grey", "recorded": "govuk-tag--grey", "pending": "govuk-tag--grey",
}

// roleNames name staff roles (api/staff.go Roles) and login roles (api/auth.go).
var roleNames = map[string]string{
	"nqsw":                  "Newly qualified social worker (ASYE)",
	"social_worker":         "Social worker",
	"student":               "Social work student",
	"advanced_practitioner": "Advanced practitioner",
	"team_manager":          "Team manager",
	RoleSupervisor:          "Supervisor",
	RoleSupervisee:          "Supervisee",
	RoleAuditor:             "Auditor",
	RoleSeniorManager:       "Senior manager",
	RoleHR:                  "HR",
	RoleAdmin:               "Administrator",
}

// lifecycleNames name the workflows (workflows/ids.go kinds).
var lifecycleNames = map[string]string{
	"ASYE":        "Assessed and Supported Year in Employment (ASYE)",
	"Agreement":   "Supervision agreement",
	"Supervision": "Personal supervision",
	"SignOff":     "Signing off a supervision record",
	"Case":        "Child's case",
	"Caseload":    "Caseload",
	"Leave":       "Leaving",
	"Onboard":     "Joining",
	"Retention":   "Keeping and deleting records",
	"TeamDuty":    "A team's duty",
	"Concern":     "A concern about supervision",
}

// eventNames say what each audited decision or history event was.
var eventNames = map[string]string{
	"agreement.change_recorded":        "Change to the supervision agreement recorded",
	"agreement.pack_moved":             "Supervision agreement moved to the new version of the policy",
	"case.pack_moved":                  "Case moved to the new version of the policy",
	"supervision.pack_moved":           "Personal supervision moved to the new version of the policy",
	"concern.raised":                   "Concern about supervision raised",
	"retention.cancelled":              "Deletion cancelled: the person came back",
	"staff.rehired":                    "Came back to the service (a new period of employment)",
	"team_duty.started":                "Team duty started",
	"team_duty.held":                   "Team duty held",
	"team_duty.recorded":               "Team duty's record made",
	"team_duty.overdue":                "Team duty overdue",
	"team_duty.escalated":              "Team duty overdue: senior managers told",
	"agreement.closed":                 "Supervision agreement closed",
	"agreement.renewal_opened":         "Supervision agreement due for renewal",
	"agreement.reopened":               "Supervision agreement reopened to be agreed again",
	"agreement.signed":                 "Supervision agreement signed",
	"agreement.started":                "Supervision agreement started",
	"agreement.supervisor_changed":     "Supervision agreement: supervisor changed",
	"agreement.terms_proposed":         "Supervision agreement terms proposed",
	"asye.closed":                      "ASYE closed",
	"asye.extended":                    "ASYE extended",
	"asye.handed_over":                 "ASYE handed over to the early career programme",
	"asye.overdue":                     "ASYE duty overdue",
	"asye.paused":                      "ASYE paused",
	"asye.resumed":                     "ASYE resumed",
	"asye.review_held":                 "ASYE review held",
	"asye.session_recorded":            "ASYE supervision recorded",
	"asye.started":                     "ASYE started",
	"asye.supervisor_changed":          "ASYE: supervisor changed",
	"asye.weekly":                      "ASYE weekly supervision",
	"asye.passed":                      "ASYE passed",
	"asye.failed":                      "ASYE not passed",
	"case.actions_flagged":             "Case: actions flagged",
	"case.allocated":                   "Case allocated",
	"case.category_changed":            "Case category changed",
	"case.closed":                      "Case closed",
	"case.flagged":                     "Case flagged",
	"case.joint_working":               "Joint working recorded on the case",
	"case.oversight_decision":          "Management oversight decision recorded",
	"case.record_filed":                "Case supervision record filed",
	"case.supervision_recorded":        "Case supervision recorded",
	"case.transfer_agreed":             "Case transfer agreed",
	"case.transferred":                 "Case transferred",
	"caseload.analysis_recorded":       "Caseload analysis recorded",
	"caseload.changed":                 "Caseload changed",
	"caseload.closed":                  "Caseload closed",
	"caseload.over_max_notified":       "Caseload over the maximum: manager told",
	"caseload.started":                 "Caseload started",
	"delegation.granted":               "Delegation granted",
	"delegation.revoked":               "Delegation revoked",
	"record.read":                      "Supervision record read",
	"retention.held":                   "Deletion held by a legal hold",
	"retention.hold_lifted":            "Legal hold lifted",
	"retention.hold_placed":            "Legal hold placed",
	"retention.no_period":              "No retention period set",
	"retention.purged":                 "Records deleted at the end of retention",
	"retention.scheduled":              "Deletion scheduled",
	"run.started":                      "Started",
	"signoff.closed":                   "Supervision record closed",
	"signoff.started":                  "Supervision record opened for signing",
	"signoff.signed":                   "Supervision record signed",
	"signoff.disputed":                 "Supervision record disputed",
	"signoff.amended":                  "Supervision record amended",
	"signoff.finalised":                "Supervision record finalised",
	"signoff.both_views":               "Both views recorded on the supervision record",
	"signoff.text_written":             "Supervision record written",
	"staff.leaving":                    "Leaving day recorded ahead",
	"staff.left":                       "Left the service",
	"staff.onboarded":                  "Joined the service",
	"staff.supervisor_changed":         "Supervisor changed",
	"supervision.absence_recorded":     "Absence recorded",
	"supervision.appraisal_recorded":   "Appraisal recorded",
	"supervision.booked":               "Supervision booked",
	"supervision.cancelled":            "Supervision cancelled",
	"supervision.closed":               "Personal supervision closed",
	"supervision.cover_arranged":       "Cover supervision arranged",
	"supervision.extra_sessions":       "Extra supervision agreed",
	"supervision.observation_recorded": "Practice observation recorded",
	"supervision.agenda_shared":        "Agenda shared before the session",
	"supervision.overdue":              "Supervision overdue",
	"supervision.phase_agreed":         "Supervision frequency agreed",
	"supervision.returned":             "Back from absence",
	"supervision.session_recorded":     "Supervision recorded",
	"supervision.shifts_recorded":      "Shifts recorded",
	"supervision.signoff_not_started":  "Supervision record could not be opened for signing",
	"supervision.started":              "Personal supervision started",
	"supervision.supervisor_changed":   "Personal supervision: supervisor changed",
	"trail.read":                       "Decision trail read",
	"timer.fired":                      "A deadline was reached",
	"workflow.started":                 "Lifecycle started",
	"workflow.continued_as_new":        "Lifecycle continued in a new run",
	"workflow.completed":               "Lifecycle ended",
	"workflow.failed":                  "Lifecycle failed",
	"workflow.terminated":              "Lifecycle stopped by an operator",
	"workflow.canceled":                "Lifecycle cancelled",
	"workflow.timed_out":               "Lifecycle timed out",
	"workflow.child_started":           "A linked lifecycle started",
	"signal.received":                  "A request was received",
	"update.completed":                 "A request was answered, recording nothing",
	"update.failed":                    "A request was refused",
}

// systemWhy says why securebase itself acted, by the action it took.
var systemWhy = map[string]string{
	"timer.fired":               "a deadline it keeps was reached",
	"workflow.started":          "it started the lifecycle",
	"workflow.continued_as_new": "it keeps a long lifecycle in runs of bounded length",
	"workflow.completed":        "the lifecycle reached its end",
	"workflow.child_started":    "a linked lifecycle was needed",
	"asye.overdue":              "the due day passed",
	"supervision.overdue":       "the due day passed",
	"agreement.renewal_opened":  "the agreement's year was up",
	"retention.purged":          "the retention period ended",
	"retention.scheduled":       "a leaver's records have a retention period",
}

// words makes an engine word readable: "child_in_need" is "Child in need".
func words(s string) string {
	s = strings.TrimSpace(strings.NewReplacer("_", " ", ".", ": ").Replace(s))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lookup(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return words(k)
}

func dutyName(kind string) string   { return lookup(dutyNames, kind) }
func statusName(s string) string    { return lookup(statusNames, s) }
func roleName(r string) string      { return lookup(roleNames, r) }
func lifecycleName(k string) string { return lookup(lifecycleNames, k) }
func eventName(a string) string     { return lookup(eventNames, a) }
func categoryName(c string) string  { return words(c) }
func statusTag(s string) string     { return statusTags[s] }

// rolesIn names a principal's roles.
func rolesIn(rs []string) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = roleName(r)
	}
	return strings.Join(out, ", ")
}

// cadence writes a pack's period as a frequency: "2w" is "fortnightly",
// "4w" "every 4 weeks"; a text that is not a period ("every 8 shifts") is
// kept. Empty is "as needed".
func cadence(s string) string {
	if s == "" {
		return "as needed"
	}
	p, err := policy.ParsePeriod(s)
	if err != nil {
		return s
	}
	switch {
	case p.N == 1 && p.Unit == policy.Weeks:
		return "weekly"
	case p.N == 2 && p.Unit == policy.Weeks:
		return "fortnightly"
	case p.N == 1 && p.Unit == policy.Months:
		return "monthly"
	case p.N == 12 && p.Unit == policy.Months, p.N == 1 && p.Unit == policy.Years:
		return "yearly"
	case p.N == 1 && p.Unit == policy.Days:
		return "daily"
	}
	return "every " + period(s)
}

// period writes a pack's period in words: "6w" is "6 weeks", "5wd" "5 working days".
func period(s string) string {
	p, err := policy.ParsePeriod(s)
	if err != nil {
		return s
	}
	unit := map[policy.PeriodUnit]string{policy.Days: "day", policy.Weeks: "week", policy.Months: "month",
		policy.Years: "year", policy.WorkingDays: "working day", policy.Hours: "hour"}[p.Unit]
	if unit == "" {
		unit = "day"
	}
	if p.N != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", p.N, unit)
}

// duty is a duty in one sentence: "Fortnightly supervision — due Monday
// 15 March 2027". The cadence leads only for a supervision and only when
// known; key adds what tells one duty of a kind from another (a review's name).
func duty(kind, key, every string, due any) string {
	name := dutyName(kind)
	if sessionKinds[kind] && every != "" {
		if c := cadence(every); c != "as needed" && !strings.HasPrefix(c, "every ") {
			name = strings.ToUpper(c[:1]) + c[1:] + " " + lowerFirst(name)
		} else if strings.HasPrefix(c, "every ") {
			name += " " + c
		}
	}
	if r, ok := strings.CutPrefix(key, "review:"); ok && kind == "asye_review" {
		name = "ASYE " + r + " review" // "ASYE 3-month review"
	}
	if d := longDate(due); d != "" {
		return name + " — due " + d
	}
	return name
}

// lowerFirst lowers a name's first letter to follow another word, unless
// it begins an acronym ("ASYE").
func lowerFirst(s string) string {
	if len(s) > 1 && strings.ToUpper(s[1:2]) == s[1:2] {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// dateOf reads the forms a page holds a day in: a policy.Date, a time (its
// London day), a "YYYY-MM-DD" string or a pointer to one.
func dateOf(v any) (time.Time, bool) {
	switch d := v.(type) {
	case policy.Date:
		return d.Time(), !d.IsZero()
	case time.Time:
		return d.In(policy.London), !d.IsZero()
	case *time.Time:
		if d == nil {
			return time.Time{}, false
		}
		return dateOf(*d)
	case string:
		t, err := time.Parse("2006-01-02", d)
		return t, err == nil
	case *string:
		if d == nil {
			return time.Time{}, false
		}
		return dateOf(*d)
	}
	return time.Time{}, false
}

// longDate is a day the UK's way: "Monday 15 March 2027" ("" when unset).
func longDate(v any) string {
	t, ok := dateOf(v)
	if !ok {
		return ""
	}
	return t.Format("Monday 2 January 2006")
}

// shortDate is a day without its weekday, for tables: "15 March 2027".
func shortDate(v any) string {
	t, ok := dateOf(v)
	if !ok {
		return ""
	}
	return t.Format("2 January 2006")
}

// monthName is a "YYYY-MM" month in words: "March 2027".
func monthName(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("January 2006")
}

// monthShort is a "YYYY-MM" month for a table's heading: "Mar 2027".
func monthShort(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("Jan 2006")
}

// complianceDutyNames name the lines of the compliance report
// (models.ComplianceDuties).
var complianceDutyNames = map[string]string{
	"asye_session":         "ASYE supervision and reviews",
	"personal_supervision": "Personal supervision",
	"agreement":            "Supervision agreements",
	"case_supervision":     "Case supervision",
	"record_signoff":       "Signing supervision records",
	"rebooking":            "Rebooking cancelled supervision",
}

func complianceDuty(d string) string { return lookup(complianceDutyNames, d) }

// lifecycleOf names the lifecycle of a workflow id ("ASYE:nq-1").
func lifecycleOf(workflowID string) string {
	kind, _, _ := strings.Cut(workflowID, ":")
	return lifecycleName(kind)
}

// drillURL is the page of the items behind one number of the compliance table.
func drillURL(authority, team, duty, month string) string {
	return "/dashboard/senior/items?" + url.Values{"authority": {authority}, "team": {team}, "duty": {duty}, "month": {month}}.Encode()
}

// when is an instant in London time the GOV.UK way: "3:04pm on Monday
// 15 March 2027", "9am on …", "midday on …".
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(policy.London)
	var clock string
	switch {
	case l.Hour() == 12 && l.Minute() == 0:
		clock = "midday"
	case l.Hour() == 0 && l.Minute() == 0:
		clock = "midnight"
	case l.Minute() == 0:
		clock = l.Format("3pm")
	default:
		clock = l.Format("3:04pm")
	}
	return clock + " on " + l.Format("Monday 2 January 2006")
}

// isoTime is the machine-readable instant for a <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// isoDay is a day as the engine writes it inside a sentence.
var isoDay = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)

// reason is a decision's reason as a person reads it: the engine's days
// written the UK's way, and nothing where the reason only repeats the
// engine's names for what the entry already says in words.
func reason(action, why string) string {
	switch action {
	case "workflow.started", "workflow.completed":
		if !strings.Contains(why, "continuing run") {
			return ""
		}
	case "workflow.child_started":
		if _, id, ok := strings.Cut(why, " "); ok {
			return lifecycleOf(id)
		}
	}
	return isoDay.ReplaceAllStringFunc(why, func(d string) string { return shortDate(d) })
}

// systemActor reports whether an actor is securebase itself: the engine
// ("system", nothing) or a process identity ("19752@host@") that started or
// signalled a lifecycle on someone's behalf.
func systemActor(actor string) bool {
	return actor == "" || actor == "system" || strings.Contains(actor, "@")
}

// people names staff by id for a page; an id not on the staff record reads
// as itself.
type people map[string]string

// Of is a person's name, or their id when the record has no name (an id
// or a pointer to one, as Staff.SupervisorID is).
func (p people) Of(id any) string {
	var s string
	switch v := id.(type) {
	case string:
		s = v
	case *string:
		if v != nil {
			s = *v
		}
	}
	if n := p[s]; n != "" {
		return n
	}
	return s
}

// Actor says who did something: a person by name, securebase with why.
func (p people) Actor(actor, action string) string {
	if !systemActor(actor) {
		return p.Of(actor)
	}
	if why, ok := systemWhy[action]; ok {
		return "securebase, because " + why
	}
	return "securebase (automatically)"
}

// ruleURL is the page that shows a rule's text and its seed section.
func ruleURL(authority, rule string) string {
	return "/dashboard/rules/" + url.PathEscape(authority) + "#" + url.PathEscape(rule)
}
