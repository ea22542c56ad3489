package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// The supervisor page's forms beyond the team table: each posts to its API
// route, names what it shows in words, and escapes what people wrote.
func TestDashboardSupervisorForms(t *testing.T) {
	me := &models.Staff{ID: "tm-1", Name: "Tom Marsh", Authority: "cumberland", Team: "north", Role: "team_manager"}
	nq := models.Staff{ID: "nq-1", Name: "Nia <i>Patel</i>", Role: "nqsw", Authority: "cumberland"}
	sw := models.Staff{ID: "sw-1", Name: "Sam", Role: "social_worker", Authority: "cumberland"}
	agency := models.Staff{ID: "ra-1", Name: "Rae", Role: "agency_residential_worker", Authority: "bracknell-forest"}
	student := models.Staff{ID: "st-1", Name: "Stu", Role: "student", Authority: "cumberland"}
	disputed := models.SupervisionRecord{ID: "nq-1.s2", StaffID: "nq-1", SupervisorID: "tm-1", HeldOn: "2026-11-30", DueOn: "2026-12-07", Status: models.RecordDisputed, CurrentVersion: 1}
	review := models.DueItem{WorkflowID: "ASYE:nq-1", Key: "review:3-month", Kind: "asye_review", StaffID: "nq-1", DueOn: "2027-02-01", Status: "due"}
	signing := models.DueItem{WorkflowID: "Agreement:sw-1", Key: "signature:1", Kind: workflows.KindAgreementSignature, StaffID: "sw-1", DueOn: "2026-12-14", Status: "overdue"}
	d := supervisorData{
		Me: me, Today: "2026-11-30", WeekEnd: "2026-12-07",
		Supervisees: []superviseeRow{{Staff: nq, ASYE: true, RequestID: "web-1"}, {Staff: sw, RequestID: "web-2"}},
		ToSign:      []recordCard{{SupervisionRecord: disputed, Text: "the <b>agreed</b> text", View: "my view", RequestID: "web-3", RequestID2: "web-4"}},
		Personal:    []models.Staff{sw, agency, student},
		supervisorForms: supervisorForms{
			Agreements:   []agreementCard{{Staff: nq}, {Staff: sw, Open: []models.DueItem{signing}}},
			Programmes:   []programmeCard{{Staff: nq, Programme: "ASYE", Reviews: []models.DueItem{review}, PauseReasons: []string{"sickness", "parental_leave"}}},
			ChangeEvents: workflows.AgreementChangeEvents, ExtraReasons: workflows.ExtraReasons, AppraisalKinds: workflows.AppraisalKinds, Outcomes: workflows.Outcomes,
			ByShifts: map[string]bool{"ra-1": true}, AgreedPhase: map[string]bool{"st-1": true},
		},
	}
	var buf bytes.Buffer
	p := &Principal{ID: "tm-1", Roles: []string{RoleSupervisor}}
	if err := templates["supervisor"].ExecuteTemplate(&buf, "layout", view{Title: "My team", Principal: p, Nav: nav(p), Page: d}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		// personal supervision: extra sessions, cover, a return
		`data-url="/api/v1/staff/sw-1/supervision/extra-sessions"`, `value="return_from_absence"`, "Return from absence",
		`data-url="/api/v1/staff/sw-1/supervision/cover"`, `data-url="/api/v1/staff/sw-1/supervision/returns"`,
		`data-url="/api/v1/staff/sw-1/supervision/observations"`, `data-url="/api/v1/staff/sw-1/supervision/appraisals"`, `<option value="mid_term">Mid term</option>`,
		// the disputed record: amended by agreement, with its text to start from, and both views
		`data-url="/api/v1/records/nq-1.s2/amendments"`, `value="web-4"`, "the &lt;b&gt;agreed&lt;/b&gt; text", "/both-views",
		// agreements, for everyone supervised
		`data-url="/api/v1/staff/nq-1/agreement/terms"`, `data-url="/api/v1/staff/sw-1/agreement/signatures"`,
		`data-url="/api/v1/staff/sw-1/agreement/changes"`, "Circumstances change", "Overdue",
		// the NQSW's programme
		`data-url="/api/v1/staff/nq-1/asye/reviews"`, `<option value="3-month">ASYE 3-month review — due Monday 1 February 2027</option>`,
		`data-url="/api/v1/staff/nq-1/asye/pauses"`, `<option value="parental_leave">Parental leave</option>`,
		`data-url="/api/v1/staff/nq-1/asye/resumptions"`, `data-url="/api/v1/staff/nq-1/asye/extensions"`,
		`data-url="/api/v1/staff/nq-1/asye/outcome"`, `value="passed"`, `value="failed"`, "Nia &lt;i&gt;Patel&lt;/i&gt;: ASYE reviews",
		// shifts for agency staff counted by shifts; a student's next phase
		`data-url="/api/v1/staff/ra-1/supervision/shifts"`, `data-url="/api/v1/staff/st-1/supervision/student-phase"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the supervisor page does not show %q", want)
		}
	}
	// Nobody without personal supervision has its forms; nobody but an NQSW a programme.
	for _, never := range []string{`/api/v1/staff/nq-1/supervision/extra-sessions`, `/api/v1/staff/sw-1/asye/`,
		`/api/v1/staff/sw-1/supervision/shifts`, `/api/v1/staff/sw-1/supervision/student-phase`, `/api/v1/staff/st-1/supervision/shifts`} {
		if strings.Contains(page, never) {
			t.Errorf("the supervisor page offers %s", never)
		}
	}
}
