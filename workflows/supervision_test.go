package workflows

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// supervisionInput is a member of staff of role and authority starting on start.
func supervisionInput(t *testing.T, authority, role string, start policy.Date) SupervisionInput {
	t.Helper()
	pack, err := registry.Pack(authority, start)
	if err != nil {
		t.Fatal(err)
	}
	p := Person{
		StaffID: "sw-1", Name: "Sam Wood", Authority: authority, Team: "north", Role: role,
		SupervisorID: "tm-1", ManagerID: "hos-1", Start: start,
	}
	return NewSupervisionInput(p, pack, "hr-1")
}

// startedSignOffs keeps the sign-offs a lifecycle started (a stub child workflow
// stands in for SignOff).
type startedSignOffs struct {
	mu  sync.Mutex
	all []SignOffInput
}

func (s *startedSignOffs) get() []SignOffInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SignOffInput(nil), s.all...)
}

func newSupervisionHarness(t *testing.T, start policy.Date) (*harness, *startedSignOffs) {
	h := newHarness(t, start)
	h.env.RegisterWorkflowWithOptions(Supervision, workflow.RegisterOptions{Name: SupervisionWorkflow})
	so := &startedSignOffs{}
	h.env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in SignOffInput) error {
		so.mu.Lock()
		so.all = append(so.all, in)
		so.mu.Unlock()
		return nil
	}, workflow.RegisterOptions{Name: SignOffWorkflow})
	return h, so
}

// leaveOn ends the lifecycle with the leave signal at noon on d.
func (h *harness) supLeave(d policy.Date) {
	h.at(d, func() {
		h.env.SignalWorkflow(SignalLeave, LeaveSignal{RequestID: "leave", On: d, Reason: "resigned", Actor: "hr-1"})
	})
}

// run executes the lifecycle and fails on a workflow error.
func (h *harness) runSupervision(in SupervisionInput) SupervisionResult {
	h.t.Helper()
	h.env.ExecuteWorkflow(SupervisionWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatal(err)
	}
	var res SupervisionResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		h.t.Fatal(err)
	}
	return res
}

// refusedRule checks a refusal as invalid on field, citing rule.
func supRefused(t *testing.T, what, field, rule string) func(error) {
	return func(err error) {
		var app *temporal.ApplicationError
		var fp FieldProblem
		if !errors.As(err, &app) || app.Type() != ErrInvalid || app.Details(&fp) != nil || fp.Field != field || fp.Rule != rule {
			t.Errorf("%s: refused with %v (%+v), want %s citing %s", what, err, fp, field, rule)
		}
	}
}

// keyed are the events of an action about due items whose key starts with prefix.
func (h *harness) keyed(action, prefix string) []activities.Event {
	var out []activities.Event
	for _, e := range h.actions(action) {
		for _, n := range e.Notifications {
			if strings.HasPrefix(n.DueKey, prefix) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// gapsOf reads the gaps a session event put on its record.
func gapsOf(ev activities.Event) []map[string]any {
	raw, _ := json.Marshal(ev.Detail["gaps"])
	var out []map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func supItem(s Schedule, key string) (Item, bool) {
	for _, it := range s.Items {
		if it.Key == key {
			return it, true
		}
	}
	return Item{}, false
}

func supItems(s Schedule, kind string) []Item {
	var out []Item
	for _, it := range s.Items {
		if it.Kind == kind {
			out = append(out, it)
		}
	}
	return out
}

func supSession(id string, on policy.Date) SupervisionSessionInput {
	return SupervisionSessionInput{RequestID: id, HeldOn: on, DurationMinutes: 90, SupervisorID: "tm-1", Actor: "tm-1"}
}

// The pack gives each role its cadence; a role the policy does not single
// out takes the pack's general cadence, and a silent pack gives none.
func TestSupervisionCadenceByRole(t *testing.T) {
	start := date(t, "2026-01-05")
	cases := []struct {
		authority, role string
		every           string
		shifts          int
		rule            string
		then            string
		thenRule        string
	}{
		{"cumberland", "social_worker", "4w", 0, "C-PS-1", "", ""},
		{"cumberland", "team_manager", "4w", 0, "C-PS-1", "", ""},
		{"cumberland", "student", "1w", 0, "C-PS-2", "2w", "C-PS-2"},
		{"surrey", "social_worker", "1mo", 0, "S-PS-1", "", ""},
		{"surrey", "team_manager", "6w", 0, "S-PS-4", "", ""},
		{"surrey", "iro", "4w", 0, "S-PS-3", "", ""},
		{"surrey", "student", "1mo", 0, "S-PS-1", "", ""},
		{"bracknell-forest", "social_worker", "1cmo", 0, "BF-PS-1", "", ""},
		{"bracknell-forest", "residential_worker", "2w", 0, "BF-PS-2", "1cmo", "BF-PS-1"},
		{"bracknell-forest", "agency_residential_worker", "0d", 8, "BF-PS-3", "", ""},
		{"bolton", "social_worker", "1mo", 0, "B-PS-1", "", ""},
		{"plymouth", "social_worker", "0d", 0, "", "", ""},
	}
	for _, c := range cases {
		in := supervisionInput(t, c.authority, c.role, start)
		got := in.Cadence
		if got.Every.String() != c.every || got.EveryShifts != c.shifts || got.Rule != c.rule || got.ThenRule != c.thenRule {
			t.Errorf("%s %s: cadence %+v, want every %s / %d shifts under %s", c.authority, c.role, got, c.every, c.shifts, c.rule)
		}
		if c.then != "" && got.ThenEvery.String() != c.then {
			t.Errorf("%s %s: then every %s, want %s", c.authority, c.role, got.ThenEvery, c.then)
		}
	}
	if x := supervisionInput(t, "bolton", "social_worker", start).Cadence.Extra; x == nil || x.Rule != "B-PS-2" {
		t.Errorf("Bolton's extra sessions: %+v", x)
	}
	if x := supervisionInput(t, "cumberland", "social_worker", start).Cadence.Extra; x != nil {
		t.Errorf("Cumberland has no extra cadence, got %+v", x)
	}
}

// The same worker under Cumberland (every 4 weeks) and Surrey (every
// calendar month): different first and next due dates, each citing its
// rule; each session held starts its record's sign-off with the pack's
// sign-off rules and the next due date; an unheld session goes overdue then
// escalates to the supervisor's manager.
func TestSupervisionCadenceCumberlandVersusSurrey(t *testing.T) {
	start := date(t, "2026-01-05")
	for _, c := range []struct {
		authority         string
		firstDue, nextDue string
		rule              string
	}{
		{"cumberland", "2026-02-02", "2026-02-27", "C-PS-1"},
		{"surrey", "2026-02-05", "2026-02-27", "S-PS-1"}, // Saturday the 28th moves earlier (S-WD-1)
	} {
		t.Run(c.authority, func(t *testing.T) {
			in := supervisionInput(t, c.authority, "social_worker", start)
			in.Escalation = councilSet(in.Escalation)
			h, so := newSupervisionHarness(t, start)
			held := date(t, "2026-01-30")
			next := date(t, c.nextDue)
			h.at(start, func() {
				s := h.schedule()
				it, ok := supItem(s, "session:1")
				if !ok || it.Due != date(t, c.firstDue) || it.Rule != c.rule || it.Status != "due" {
					t.Errorf("first session item %+v, want due %s under %s", it, c.firstDue, c.rule)
				}
			})
			h.at(held, func() {
				h.update(UpdateRecordSupervision, supSession("s1", held), h.ok("session"))
			})
			h.atHour(held, 13, func() {
				it, _ := supItem(h.schedule(), "session:2")
				if it.Due != next || it.Rule != c.rule {
					t.Errorf("next session %+v, want due %s", it, next)
				}
				got := so.get()
				if len(got) != 1 {
					t.Fatalf("%d sign-offs started, want 1", len(got))
				}
				s := got[0]
				if s.RecordID != RecordID("sw-1", "s1") || s.SessionKind != "personal" || s.NextSessionDue != next ||
					s.HeldOn != held || s.Rules != in.SignOff || s.Rules.Rule == "" || s.Escalation != in.Escalation || s.PreviousRecordID != "" ||
					s.SessionWorkflowID == "" || s.Person.SupervisorID != "tm-1" {
					t.Errorf("sign-off input %+v", s)
				}
			})
			escalate := in.Escalation.After.AddTo(next, policy.NewCalendar(in.ClosureDays))
			h.at(next.AddDays(1), func() {
				od := h.keyed("supervision.overdue", "session:")
				if len(od) != 1 || od[0].RuleID != c.rule || od[0].Notifications[0].Recipient != "tm-1" {
					t.Errorf("overdue: %+v", od)
				}
			})
			h.at(escalate.AddDays(1), func() {
				esc := h.keyed("supervision.escalated", "session:")
				if len(esc) != 1 || esc[0].Notifications[0].Recipient != "hos-1" || esc[0].RuleID != in.Escalation.Rule {
					t.Errorf("escalation: %+v", esc)
				}
			})
			h.supLeave(escalate.AddDays(2))
			res := h.runSupervision(in)
			if res.Status != SupervisionClosed {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// Bad sessions are refused with the field at fault and nothing recorded; a
// retried request id is a conflict. (A short session is flagged, not
// refused: TestShortSessionFlaggedNotRefusedB_PS_3.)
func TestSupervisionRejectsBadSessions(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bolton", "social_worker", start)
	h, so := newSupervisionHarness(t, start)
	day := date(t, "2026-01-20")
	h.at(day, func() {
		h.update(UpdateRecordSupervision, supSession("", day), h.refused("no request id", ErrInvalid, "request_id"))
		h.update(UpdateRecordSupervision, supSession("f", day.AddDays(1)), h.refused("future", ErrInvalid, "held_on"))
		h.update(UpdateRecordSupervision, supSession("b", start.AddDays(-1)), h.refused("before start", ErrInvalid, "held_on"))
		wrong := supSession("w", day)
		wrong.SupervisorID = "tm-9"
		h.update(UpdateRecordSupervision, wrong, h.refused("wrong supervisor", ErrInvalid, "supervisor_id"))
		none := supSession("none", day)
		none.DurationMinutes = 0
		h.update(UpdateRecordSupervision, none, h.refused("no length", ErrInvalid, "duration_minutes"))
		long := supSession("long", day)
		long.DurationMinutes = 121 // Bolton: 90 to 120 minutes
		h.update(UpdateRecordSupervision, long, supRefused(t, "long session", "duration_minutes", "B-PS-3"))
		h.update(UpdateRecordSupervision, supSession("ok", day), h.ok("session"))
	})
	h.atHour(day, 13, func() {
		h.update(UpdateRecordSupervision, supSession("ok", day), h.refused("retry", ErrConflict, "request_id"))
	})
	h.supLeave(day.AddDays(1))
	h.runSupervision(in)
	if n := len(h.actions("supervision.session_recorded")); n != 1 {
		t.Errorf("%d sessions recorded, want 1", n)
	}
	if n := len(so.get()); n != 1 {
		t.Errorf("%d sign-offs, want 1", n)
	}
}

// A student is supervised weekly until the agreed date, fortnightly after;
// the agreement is refused for a role without an agreed change.
func TestSupervisionStudentPhase(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "cumberland", "student", start)
	h, _ := newSupervisionHarness(t, start)
	agreed := date(t, "2026-02-02")
	h.at(start, func() {
		if it, _ := supItem(h.schedule(), "session:1"); it.Due != date(t, "2026-01-12") || it.Rule != "C-PS-2" {
			t.Errorf("student's first session %+v, want 2026-01-12", it)
		}
		h.update(UpdateAgreeStudentPhase, StudentPhaseInput{RequestID: "p", From: agreed, Actor: "pe-1"}, h.ok("agree"))
	})
	h.at(date(t, "2026-01-12"), func() {
		h.update(UpdateAgreeStudentPhase, StudentPhaseInput{RequestID: "p2", From: agreed}, h.refused("agree twice", ErrConflict, "from"))
		h.update(UpdateRecordSupervision, supSession("s1", date(t, "2026-01-12")), h.ok("s1"))
	})
	h.atHour(date(t, "2026-01-12"), 13, func() {
		if it, _ := supItem(h.schedule(), "session:2"); it.Due != date(t, "2026-01-19") {
			t.Errorf("before the agreed date: %+v, want weekly", it)
		}
	})
	h.at(agreed, func() { h.update(UpdateRecordSupervision, supSession("s2", agreed), h.ok("s2")) })
	h.atHour(agreed, 13, func() {
		s := h.schedule()
		if it, _ := supItem(s, "session:3"); it.Due != date(t, "2026-02-16") || it.Rule != "C-PS-2" {
			t.Errorf("after the agreed date: %+v, want fortnightly", it)
		}
		if s.Cadence != "2w" {
			t.Errorf("cadence shown %q, want 2w", s.Cadence)
		}
	})
	h.supLeave(agreed.AddDays(1))
	h.runSupervision(in)

	// A social worker has no agreed change.
	in2 := supervisionInput(t, "cumberland", "social_worker", start)
	h2, _ := newSupervisionHarness(t, start)
	h2.at(start, func() {
		h2.update(UpdateAgreeStudentPhase, StudentPhaseInput{RequestID: "p", From: agreed}, h2.refused("not a student", ErrInvalid, "from"))
	})
	h2.supLeave(start.AddDays(1))
	h2.runSupervision(in2)
}

// New residential staff (Bracknell Forest): fortnightly for 6 months, then
// the general monthly cadence.
func TestSupervisionResidentialNewStarter(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bracknell-forest", "residential_worker", start)
	h, _ := newSupervisionHarness(t, start)
	early, late := date(t, "2026-01-19"), date(t, "2026-07-06")
	h.at(early, func() {
		if it, _ := supItem(h.schedule(), "session:1"); it.Due != early || it.Rule != "BF-PS-2" {
			t.Errorf("first session %+v, want %s under BF-PS-2", it, early)
		}
		h.update(UpdateRecordSupervision, supSession("s1", early), h.ok("s1"))
	})
	h.atHour(early, 13, func() {
		if it, _ := supItem(h.schedule(), "session:2"); it.Due != date(t, "2026-02-02") || it.Rule != "BF-PS-2" {
			t.Errorf("within six months %+v, want fortnightly", it)
		}
	})
	h.at(late, func() { h.update(UpdateRecordSupervision, supSession("s2", late), h.ok("s2")) })
	h.atHour(late, 13, func() {
		// Every calendar month: by the end of August, less the bank holiday on the 31st.
		if it, _ := supItem(h.schedule(), "session:3"); it.Due != date(t, "2026-08-28") || it.Rule != "BF-PS-1" {
			t.Errorf("after six months %+v, want by the end of next month under BF-PS-1", it)
		}
	})
	h.supLeave(late.AddDays(1))
	h.runSupervision(in)
}

// Agency residential staff (Bracknell Forest): a session is due once 8
// shifts are worked, not before; shifts are refused for a timed cadence.
func TestSupervisionAgencyShifts(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bracknell-forest", "agency_residential_worker", start)
	h, _ := newSupervisionHarness(t, start)
	d1, d2 := date(t, "2026-01-09"), date(t, "2026-01-14")
	h.at(d1, func() {
		if s := h.schedule(); len(supItems(s, ItemSession)) != 0 || s.Cadence != "every 8 shifts" {
			t.Errorf("before any shift: %+v", s)
		}
		h.update(UpdateRecordShifts, ShiftsInput{RequestID: "sh1", Shifts: 5, Through: d1}, h.ok("5 shifts"))
		h.update(UpdateRecordShifts, ShiftsInput{RequestID: "sh0", Shifts: 0, Through: d1}, h.refused("no shifts", ErrInvalid, "shifts"))
	})
	h.atHour(d1, 13, func() {
		if n := len(supItems(h.schedule(), ItemSession)); n != 0 {
			t.Errorf("after 5 shifts %d sessions due", n)
		}
	})
	h.at(d2, func() {
		h.update(UpdateRecordShifts, ShiftsInput{RequestID: "sh2", Shifts: 3, Through: d2}, h.ok("3 more"))
	})
	h.atHour(d2, 13, func() {
		it, ok := supItem(h.schedule(), "session:1")
		if !ok || it.Due != d2 || it.Rule != "BF-PS-3" {
			t.Errorf("after 8 shifts: %+v", it)
		}
		h.update(UpdateRecordSupervision, supSession("s1", d2), h.ok("session"))
	})
	h.atHour(d2, 14, func() {
		if n := len(supItems(h.schedule(), ItemSession)); n != 0 {
			t.Errorf("after the session %d sessions due", n)
		}
	})
	h.supLeave(d2.AddDays(1))
	h.runSupervision(in)
	if n := len(h.actions("supervision.overdue")); n != 0 {
		t.Errorf("%d overdue", n)
	}

	in2 := supervisionInput(t, "bracknell-forest", "social_worker", start)
	h2, _ := newSupervisionHarness(t, start)
	h2.at(d1, func() {
		h2.update(UpdateRecordShifts, ShiftsInput{RequestID: "sh", Shifts: 8, Through: d1}, h2.refused("timed cadence", ErrInvalid, "shifts"))
	})
	h2.supLeave(d1.AddDays(1))
	h2.runSupervision(in2)
}

// Bookings ahead (Surrey 6 months): the booking duty is due at once, met
// when the bookings reach far enough, and shown with every booking. A
// cancellation records who and why; Surrey's rebooking deadline is 2 weeks,
// overdue then escalated, met by the session held; a rebooking date beyond
// it is refused citing the rule. Cumberland and Bolton record the cancellation with
// no rebooking deadline.
func TestSupervisionBookingAndCancellation(t *testing.T) {
	start := date(t, "2026-01-05")
	cancelOn := date(t, "2026-01-20")
	var bookings []policy.Date
	for m := 1; m <= 6; m++ {
		bookings = append(bookings, start.AddMonths(m))
	}
	for _, c := range []struct {
		authority   string
		horizonRule string
		rebookRule  string
		rebookBy    string
	}{
		{"surrey", "S-BK-1", "S-BK-2", "2026-02-03"},
		{"cumberland", "", "", ""},
		// B-BK-1: cancelled sessions are recorded (who cancelled and why) for the senior manager's audit.
		{"bolton", "", "", ""},
	} {
		t.Run(c.authority, func(t *testing.T) {
			in := supervisionInput(t, c.authority, "social_worker", start)
			in.Escalation = councilSet(in.Escalation)
			h, _ := newSupervisionHarness(t, start)
			h.atHour(start, 10, func() {
				it, ok := supItem(h.schedule(), "booking-horizon:1")
				if (c.horizonRule != "") != ok || ok && (it.Due != start || it.Rule != c.horizonRule) {
					t.Errorf("booking duty before booking: %+v (present %v)", it, ok)
				}
				h.update(UpdateBookSupervision, BookingInput{RequestID: "b1", Dates: bookings, Actor: "tm-1"}, h.ok("book"))
				h.update(UpdateBookSupervision, BookingInput{RequestID: "b0", Dates: []policy.Date{start.AddDays(-1)}}, h.refused("past", ErrInvalid, "dates[0]"))
			})
			h.atHour(start, 11, func() {
				h.update(UpdateBookSupervision, BookingInput{RequestID: "b2", Dates: bookings[:1]}, h.refused("twice", ErrConflict, "dates[0]"))
				s := h.schedule()
				if n := len(supItems(s, ItemBooking)); n != 6 {
					t.Errorf("%d bookings in the schedule, want 6", n)
				}
				if c.horizonRule != "" {
					// Booked to 5 July: one month on is 5 August, less 6 months.
					if it, ok := supItem(s, "booking-horizon:2"); !ok || it.Due != date(t, "2026-02-05") {
						t.Errorf("booking duty after booking: %+v", s.Items)
					}
				}
			})
			h.at(cancelOn, func() {
				bad := CancellationInput{RequestID: "c0", BookedOn: bookings[0], CancelledBy: "tm-1", Reason: "court"}
				bad.CancelledBy = "someone"
				h.update(UpdateCancelSupervision, bad, h.refused("by whom", ErrInvalid, "cancelled_by"))
				noReason := CancellationInput{RequestID: "c0", BookedOn: bookings[0], CancelledBy: "tm-1"}
				h.update(UpdateCancelSupervision, noReason, h.refused("no reason", ErrInvalid, "reason"))
				if c.rebookRule != "" {
					far := CancellationInput{RequestID: "c0", BookedOn: bookings[0], CancelledBy: "tm-1", Reason: "court", RebookOn: date(t, "2026-02-10")}
					h.update(UpdateCancelSupervision, far, supRefused(t, "late rebooking", "rebook_on", c.rebookRule))
				}
				h.update(UpdateCancelSupervision, CancellationInput{RequestID: "c1", BookedOn: bookings[0], CancelledBy: "tm-1", Reason: "court hearing"}, h.ok("cancel"))
			})
			h.atHour(cancelOn, 13, func() {
				s := h.schedule()
				rb := supItems(s, ItemRebooking)
				if c.rebookRule == "" {
					if len(rb) != 0 {
						t.Errorf("%s has no rebooking deadline, got %+v", c.authority, rb)
					}
				} else if len(rb) != 1 || rb[0].Due != date(t, c.rebookBy) || rb[0].Rule != c.rebookRule {
					t.Errorf("rebooking deadline %+v, want %s under %s", rb, c.rebookBy, c.rebookRule)
				}
				if b, _ := supItem(s, "booking:"+bookings[0].String()); b.Status != BookingCancelled {
					t.Errorf("cancelled booking shows %+v", b)
				}
				ev := h.actions("supervision.cancelled")
				if len(ev) != 1 || ev[0].Detail["cancelled_by"] != "tm-1" || ev[0].Reason != "court hearing" {
					t.Errorf("cancellation event %+v", ev)
				}
			})
			if c.rebookRule != "" {
				by := date(t, c.rebookBy)
				h.at(by.AddDays(1), func() {
					od := h.actions("supervision.overdue")
					found := false
					for _, e := range od {
						found = found || e.RuleID == c.rebookRule
					}
					if !found {
						t.Errorf("rebooking not overdue the day after: %+v", od)
					}
				})
				esc := in.Escalation.After.AddTo(by, policy.NewCalendar(in.ClosureDays)).AddDays(1)
				h.at(esc, func() {
					n := 0
					for _, e := range h.actions("supervision.escalated") {
						if e.Notifications[0].DueKey == "rebook:2026-02-05:2026-01-20" && e.Notifications[0].Recipient == "hos-1" {
							n++
						}
					}
					if n != 1 {
						t.Errorf("rebooking escalations %d, want 1: %+v", n, h.actions("supervision.escalated"))
					}
					h.update(UpdateRecordSupervision, supSession("late", esc), h.ok("late session"))
				})
				h.atHour(esc, 13, func() {
					rb := supItems(h.schedule(), ItemRebooking)
					if len(rb) != 1 || rb[0].Status != "met" || rb[0].HeldOn != esc {
						t.Errorf("rebooking after the session: %+v", rb)
					}
				})
			}
			h.supLeave(date(t, "2026-02-20"))
			h.runSupervision(in)
		})
	}
}

// A pack that only allows rearranging refuses a cancellation without a new date.
func TestSupervisionRearrangeOnly(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bracknell-forest", "social_worker", start)
	in.Duties.RearrangeOnly = &policy.RuleRef{Rule: "BF-BK-2"}
	h, _ := newSupervisionHarness(t, start)
	booked := date(t, "2026-02-05")
	h.at(start, func() {
		h.update(UpdateBookSupervision, BookingInput{RequestID: "b", Dates: []policy.Date{booked}}, h.ok("book"))
	})
	h.atHour(start, 13, func() {
		h.update(UpdateCancelSupervision, CancellationInput{RequestID: "c", BookedOn: booked, CancelledBy: "sw-1", Reason: "ill"}, supRefused(t, "no new date", "rebook_on", "BF-BK-2"))
		h.update(UpdateCancelSupervision, CancellationInput{RequestID: "r", BookedOn: booked, CancelledBy: "sw-1", Reason: "ill", RebookOn: booked.AddDays(2)}, h.ok("rearranged"))
	})
	h.atHour(start, 14, func() {
		s := h.schedule()
		if b, _ := supItem(s, "booking:2026-02-07"); b.Status != BookingBooked {
			t.Errorf("rearranged date not booked: %+v", s.Items)
		}
		if ev := h.actions("supervision.cancelled"); len(ev) != 1 || ev[0].RuleID != "BF-BK-2" || ev[0].Detail["cancelled_by_role"] != "supervisee" {
			t.Errorf("rearrangement event %+v", ev)
		}
	})
	h.supLeave(start.AddDays(1))
	h.runSupervision(in)
}

// The supervisor's absence (Surrey): beyond 2 weeks a cover deadline, beyond
// 4 weeks cover within the following week; cover arranged meets both. A
// short absence needs none; Cumberland sets no thresholds.
func TestSupervisionSupervisorAbsenceCover(t *testing.T) {
	start := date(t, "2026-01-05")
	from := date(t, "2026-02-02")
	for _, c := range []struct {
		authority string
		covers    map[string]string // due → rule
	}{
		{"surrey", map[string]string{"2026-02-16": "S-BK-3", "2026-03-09": "S-BK-4"}},
		{"cumberland", map[string]string{}},
	} {
		t.Run(c.authority, func(t *testing.T) {
			in := supervisionInput(t, c.authority, "social_worker", start)
			h, _ := newSupervisionHarness(t, start)
			h.at(from, func() {
				h.update(UpdateRecordAbsence, AbsenceInput{RequestID: "a", Who: "supervisor", Kind: "sickness", From: from}, h.ok("absence"))
				h.update(UpdateRecordAbsence, AbsenceInput{RequestID: "x", Who: "boss", Kind: "sickness", From: from}, h.refused("who", ErrInvalid, "who"))
			})
			h.atHour(from, 13, func() {
				got := supItems(h.schedule(), ItemCover)
				if len(got) != len(c.covers) {
					t.Fatalf("cover items %+v, want %v", got, c.covers)
				}
				for _, it := range got {
					if c.covers[it.Due.String()] != it.Rule {
						t.Errorf("cover item %+v, want one of %v", it, c.covers)
					}
				}
				h.update(UpdateRecordAbsence, AbsenceInput{RequestID: "a2", Who: "supervisor", Kind: "sickness", From: from}, h.refused("open already", ErrConflict, "who"))
			})
			if c.authority == "surrey" {
				h.at(date(t, "2026-02-17"), func() {
					od := h.keyed("supervision.overdue", "cover:")
					if len(od) != 1 || od[0].RuleID != "S-BK-3" {
						t.Errorf("cover overdue %+v", od)
					}
				})
			}
			arranged := date(t, "2026-02-20")
			h.at(arranged, func() {
				h.update(UpdateArrangeCover, CoverInput{RequestID: "cv", CoverSupervisorID: "tm-1", From: arranged}, h.refused("absent one covers", ErrInvalid, "cover_supervisor_id"))
				h.update(UpdateArrangeCover, CoverInput{RequestID: "cv2", CoverSupervisorID: "tm-2", From: arranged}, h.ok("cover"))
			})
			h.atHour(arranged, 13, func() {
				for _, it := range supItems(h.schedule(), ItemCover) {
					if it.Status != "met" {
						t.Errorf("cover after arranging %+v", it)
					}
				}
				h.update(UpdateRecordReturn, ReturnInput{RequestID: "r", Who: "supervisor", On: arranged}, h.ok("return"))
			})
			h.supLeave(date(t, "2026-03-20"))
			h.runSupervision(in)
			if n := len(h.keyed("supervision.escalated", "cover:")); n != 0 {
				t.Errorf("%d escalations, the cover was arranged before the escalation day", n)
			}
		})
	}

	// An absence known to end within 2 weeks needs no cover.
	in := supervisionInput(t, "surrey", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	h.at(from, func() {
		h.update(UpdateRecordAbsence, AbsenceInput{RequestID: "a", Who: "supervisor", Kind: "annual_leave", From: from, To: from.AddDays(10)}, h.ok("short absence"))
	})
	h.atHour(from, 13, func() {
		if got := supItems(h.schedule(), ItemCover); len(got) != 0 {
			t.Errorf("short absence: cover items %+v", got)
		}
	})
	h.supLeave(from.AddDays(1))
	h.runSupervision(in)
}

// The supervisee's sickness is a gap: in the schedule, then on the next
// record (the session's event), then off the schedule.
func TestSupervisionSuperviseeGapOnNextRecord(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bracknell-forest", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	from, to, held := date(t, "2026-01-12"), date(t, "2026-01-23"), date(t, "2026-01-28")
	h.at(from, func() {
		h.update(UpdateRecordAbsence, AbsenceInput{RequestID: "g", Who: "supervisee", Kind: "sickness", From: from, Reason: "flu"}, h.ok("gap"))
	})
	h.atHour(from, 13, func() {
		if g := supItems(h.schedule(), ItemGap); len(g) != 1 || g[0].Due != from {
			t.Errorf("gap items %+v", g)
		}
	})
	h.at(to, func() {
		h.update(UpdateRecordReturn, ReturnInput{RequestID: "back", Who: "supervisee", On: to}, h.ok("return"))
	})
	h.at(held, func() { h.update(UpdateRecordSupervision, supSession("s1", held), h.ok("session")) })
	h.atHour(held, 13, func() {
		if g := supItems(h.schedule(), ItemGap); len(g) != 0 {
			t.Errorf("gap still pending after the record: %+v", g)
		}
		ev := h.actions("supervision.session_recorded")
		gaps := gapsOf(ev[0])
		if len(gaps) != 1 || gaps[0]["from"] != from.String() || gaps[0]["to"] != to.String() || gaps[0]["kind"] != "sickness" {
			t.Errorf("record's gaps %v", ev[0].Detail)
		}
	})
	h.supLeave(held.AddDays(1))
	h.runSupervision(in)
}

// A change of supervisor passes the file on: every due date stays, the old
// supervisor can no longer record, the new one can.
func TestSupervisionChangeOfSupervisorKeepsDates(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "surrey", "social_worker", start)
	h, so := newSupervisionHarness(t, start)
	day := date(t, "2026-01-20")
	var before Schedule
	h.at(day, func() {
		h.update(UpdateBookSupervision, BookingInput{RequestID: "b", Dates: []policy.Date{date(t, "2026-02-05")}}, h.ok("book"))
	})
	h.atHour(day, 13, func() {
		before = h.schedule()
		h.update(UpdateChangeSupervisor, SupervisorInput{RequestID: "c", SupervisorID: "tm-2", ManagerID: "hos-2", From: day}, h.ok("change"))
		h.update(UpdateChangeSupervisor, SupervisorInput{RequestID: "c0", SupervisorID: "", From: day}, h.refused("none", ErrInvalid, "supervisor_id"))
	})
	h.atHour(day, 14, func() {
		after := h.schedule()
		if after.SupervisorID != "tm-2" {
			t.Errorf("supervisor %q after change", after.SupervisorID)
		}
		for _, it := range before.Items {
			if got, ok := supItem(after, it.Key); !ok || got.Due != it.Due {
				t.Errorf("item %s moved: %+v → %+v", it.Key, it, got)
			}
		}
		h.update(UpdateRecordSupervision, supSession("old", day), h.refused("old supervisor", ErrInvalid, "supervisor_id"))
		s := supSession("new", day)
		s.SupervisorID = "tm-2"
		h.update(UpdateRecordSupervision, s, h.ok("new supervisor"))
	})
	h.supLeave(day.AddDays(1))
	h.runSupervision(in)
	if got := so.get(); len(got) != 1 || got[0].Person.SupervisorID != "tm-2" || got[0].Person.ManagerID != "hos-2" {
		t.Errorf("sign-off after the change: %+v", got)
	}
	if ev := h.actions("supervision.supervisor_changed"); len(ev) != 1 || ev[0].Supervisor.SupervisorID != "tm-2" {
		t.Errorf("change event %+v", ev)
	}
}

// Leaving closes every open duty, recording why, and ends the lifecycle;
// nothing is accepted after.
func TestSupervisionLeaverClosesEverything(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "surrey", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	h.at(start, func() {
		h.update(UpdateBookSupervision, BookingInput{RequestID: "b", Dates: []policy.Date{date(t, "2026-02-05")}}, h.ok("book"))
	})
	h.supLeave(date(t, "2026-01-10"))
	res := h.runSupervision(in)
	if res.Status != SupervisionClosed || res.ClosedOn != date(t, "2026-01-10") || res.Reason != "left: resigned" {
		t.Errorf("result %+v", res)
	}
	ev := h.actions("supervision.closed")
	if len(ev) != 1 || ev[0].Reason != "left: resigned" {
		t.Fatalf("closed events %+v", ev)
	}
	keys := map[string]string{}
	for _, d := range ev[0].Due {
		keys[d.Key] = d.Status
	}
	if keys["session:1"] != "closed" || keys["booking-horizon:1"] != "closed" {
		t.Errorf("closed duties %v", keys)
	}
}

// Bolton's extra sessions after induction: the session due moves earlier
// to the extra cadence; Cumberland has none and refuses.
func TestSupervisionExtraSessions(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bolton", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	until := date(t, "2026-03-31")
	h.at(start, func() {
		if it, _ := supItem(h.schedule(), "session:1"); it.Due != date(t, "2026-02-05") || it.Rule != "B-PS-1" {
			t.Errorf("monthly first session %+v", it)
		}
		h.update(UpdateAddExtraSessions, ExtraSessionsInput{RequestID: "x", Reason: "induction", From: start, Until: until}, h.ok("extra"))
		h.update(UpdateAddExtraSessions, ExtraSessionsInput{RequestID: "y", Reason: "boredom", From: start, Until: until}, h.refused("reason", ErrInvalid, "reason"))
	})
	h.atHour(start, 13, func() {
		s := h.schedule()
		if it, _ := supItem(s, "session:2"); it.Due != date(t, "2026-01-19") || it.Rule != "B-PS-2" {
			t.Errorf("with extra sessions %+v", s.Items)
		}
	})
	h.at(date(t, "2026-01-19"), func() { h.update(UpdateRecordSupervision, supSession("s1", date(t, "2026-01-19")), h.ok("s1")) })
	h.atHour(date(t, "2026-01-19"), 13, func() {
		if it, _ := supItem(h.schedule(), "session:3"); it.Due != date(t, "2026-02-02") || it.Rule != "B-PS-2" {
			t.Errorf("during extra sessions %+v", it)
		}
	})
	h.at(date(t, "2026-04-01"), func() { h.update(UpdateRecordSupervision, supSession("s2", date(t, "2026-04-01")), h.ok("s2")) })
	h.atHour(date(t, "2026-04-01"), 13, func() {
		if it, _ := supItem(h.schedule(), "session:4"); it.Due != date(t, "2026-05-01") || it.Rule != "B-PS-1" {
			t.Errorf("after extra sessions %+v", it)
		}
	})
	h.supLeave(date(t, "2026-04-02"))
	h.runSupervision(in)

	in2 := supervisionInput(t, "cumberland", "social_worker", start)
	h2, _ := newSupervisionHarness(t, start)
	h2.at(start, func() {
		h2.update(UpdateAddExtraSessions, ExtraSessionsInput{RequestID: "x", Reason: "induction", From: start, Until: until}, h2.refused("no extra cadence", ErrInvalid, "reason"))
	})
	h2.supLeave(start.AddDays(1))
	h2.runSupervision(in2)
}

// The practice observation (yearly) and the appraisal with its mid-term
// review are due items, met by updates, each setting the next.
func TestSupervisionObservationAndAppraisal(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "cumberland", "social_worker", start)
	in.Duties = policy.SupervisionDuties{
		Observation:      &policy.Span{Period: policy.Period{N: 1, Unit: policy.Years}, Rule: "C-QA-1"},
		Appraisal:        &policy.Span{Period: policy.Period{N: 1, Unit: policy.Years}, Rule: "C-QA-2"},
		AppraisalMidTerm: &policy.Span{Period: policy.Period{N: 6, Unit: policy.Months}, Rule: "C-QA-2"},
	}
	h, _ := newSupervisionHarness(t, start)
	h.at(start, func() {
		s := h.schedule()
		for key, due := range map[string]string{"observation:1": "2027-01-05", "appraisal:1": "2027-01-05", "appraisal-mid-term:1": "2026-07-05"} {
			if it, ok := supItem(s, key); !ok || it.Due != date(t, due) {
				t.Errorf("%s: %+v, want due %s", key, it, due)
			}
		}
	})
	mid, annual, obs := date(t, "2026-07-01"), date(t, "2026-12-15"), date(t, "2026-10-01")
	h.at(mid, func() {
		h.update(UpdateRecordAppraisal, AppraisalInput{RequestID: "m", Kind: "mid_term", HeldOn: mid}, h.ok("mid-term"))
	})
	h.atHour(mid, 13, func() {
		h.update(UpdateRecordAppraisal, AppraisalInput{RequestID: "m2", Kind: "mid_term", HeldOn: mid}, h.refused("mid-term again", ErrConflict, "kind"))
	})
	h.at(obs, func() {
		h.update(UpdateRecordObservation, ObservationInput{RequestID: "o", HeldOn: obs, ObserverID: "tm-1"}, h.ok("observation"))
	})
	h.at(annual, func() {
		h.update(UpdateRecordAppraisal, AppraisalInput{RequestID: "a", Kind: "annual", HeldOn: annual}, h.ok("annual"))
	})
	h.atHour(annual, 13, func() {
		s := h.schedule()
		for key, due := range map[string]string{"observation:2": "2027-10-01", "appraisal:2": "2027-12-15", "appraisal-mid-term:2": "2027-06-15"} {
			if it, ok := supItem(s, key); !ok || it.Due != date(t, due) {
				t.Errorf("%s: %+v, want due %s", key, it, due)
			}
		}
	})
	h.supLeave(annual.AddDays(1))
	h.runSupervision(in)
	for _, e := range h.actions("supervision.overdue") {
		if e.Due[0].Kind != ItemSession {
			t.Errorf("unexpected overdue %+v", e)
		}
	}

	// No observation in the pack: recording one is refused.
	in2 := supervisionInput(t, "surrey", "social_worker", start)
	h2, _ := newSupervisionHarness(t, start)
	h2.at(start, func() {
		h2.update(UpdateRecordObservation, ObservationInput{RequestID: "o", HeldOn: start, ObserverID: "tm-1"}, h2.refused("no observation", ErrInvalid, "held_on"))
	})
	h2.supLeave(start.AddDays(1))
	h2.runSupervision(in2)
}

// C-REC-4: "Practice observations will be recorded within 10 working days
// by the supervisor". An observation recorded in time says when its record
// was due; one recorded later is kept, counts, and is flagged recorded_late.
func TestPracticeObservationRecordedWithinC_REC_4(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "cumberland", "social_worker", start)
	rd := in.ObservationRecord
	if rd == nil || rd.Rule != "C-REC-4" || rd.Within.String() != "10wd" {
		t.Fatalf("Cumberland's observation record limit: %+v", rd)
	}
	cal := policy.NewCalendar(in.ClosureDays)
	onTime, late := date(t, "2026-03-02"), date(t, "2026-05-01")
	h, _ := newSupervisionHarness(t, start)
	h.at(onTime.AddDays(3), func() {
		h.update(UpdateRecordObservation, ObservationInput{RequestID: "o1", HeldOn: onTime, ObserverID: "tm-1"}, h.ok("in time"))
	})
	lateDay := rd.Due(late, cal).AddDays(1)
	h.at(lateDay, func() {
		h.update(UpdateRecordObservation, ObservationInput{RequestID: "o2", HeldOn: late, ObserverID: "tm-1"}, h.ok("late, kept"))
	})
	h.atHour(lateDay, 13, func() {
		// The late one still counts: the next observation is a year after it.
		if it, ok := supItem(h.schedule(), "observation:3"); !ok || it.Due != in.Duties.Observation.Period.AddTo(late, cal) {
			t.Errorf("next observation %+v", it)
		}
	})
	h.supLeave(lateDay.AddDays(1))
	h.runSupervision(in)
	evs := h.actions("supervision.observation_recorded")
	if len(evs) != 2 {
		t.Fatalf("%d observations recorded, want 2", len(evs))
	}
	for i, c := range []struct {
		held policy.Date
		late bool
	}{{onTime, false}, {late, true}} {
		d := evs[i].Detail
		if d["record_due"] != rd.Due(c.held, cal).String() || d["record_rule"] != "C-REC-4" || (d["recorded_late"] == true) != c.late {
			t.Errorf("observation held %s: detail %v, want record due %s, late %v", c.held, d, rd.Due(c.held, cal), c.late)
		}
	}
}

// S-PC-1: Surrey's Performance Conversations Framework, "quarterly progress
// reviews and an annual performance appraisal", as due items: a progress
// review 3 months after the last, overdue when missed (never escalated: the
// escalation is a default), and refused where the pack sets none.
func TestSurreyProgressReviewsS_PC_1(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "surrey", "social_worker", start)
	d := in.Duties
	if d.ProgressReview == nil || d.ProgressReview.Rule != "S-PC-1" || d.ProgressReview.Period.String() != "3mo" || d.Appraisal == nil || d.Appraisal.Period.String() != "1y" {
		t.Fatalf("Surrey's performance conversations: %+v %+v", d.ProgressReview, d.Appraisal)
	}
	cal := policy.NewCalendar(in.ClosureDays)
	first := d.ProgressReview.Period.AddTo(start, cal)
	held := first.AddDays(-3)
	second := d.ProgressReview.Period.AddTo(held, cal)
	h, _ := newSupervisionHarness(t, start)
	h.at(start, func() {
		for key, due := range map[string]policy.Date{"progress-review:1": first, "appraisal:1": d.Appraisal.Period.AddTo(start, cal)} {
			if it, ok := supItem(h.schedule(), key); !ok || it.Due != due || it.Rule != "S-PC-1" {
				t.Errorf("%s: %+v, want due %s under S-PC-1", key, it, due)
			}
		}
	})
	h.at(held, func() {
		h.update(UpdateRecordAppraisal, AppraisalInput{RequestID: "p1", Kind: "progress", HeldOn: held}, h.ok("progress review"))
	})
	h.atHour(held, 13, func() {
		if it, ok := supItem(h.schedule(), "progress-review:2"); !ok || it.Due != second {
			t.Errorf("next progress review %+v, want due %s", it, second)
		}
	})
	h.supLeave(second.AddDays(12))
	h.runSupervision(in)
	var overdue []string
	for _, e := range h.actions("supervision.overdue") {
		if e.Due[0].Kind == ItemProgress {
			overdue = append(overdue, e.Due[0].Key)
		}
	}
	if len(overdue) != 1 || overdue[0] != "progress-review:2" {
		t.Errorf("overdue progress reviews %v, want progress-review:2 only", overdue)
	}
	if esc := h.actions("supervision.escalated"); len(esc) != 0 {
		t.Errorf("escalated on a default: %+v", esc)
	}

	// Cumberland's pack sets no progress review: recording one is refused.
	in2 := supervisionInput(t, "cumberland", "social_worker", start)
	h2, _ := newSupervisionHarness(t, start)
	h2.at(start, func() {
		h2.update(UpdateRecordAppraisal, AppraisalInput{RequestID: "p", Kind: "progress", HeldOn: start}, h2.refused("no progress review", ErrInvalid, "kind"))
	})
	h2.supLeave(start.AddDays(1))
	h2.runSupervision(in2)
}

// A passed ASYE hands over: the first session is due when the ASYE's next was.
func TestSupervisionHandOverFirstDue(t *testing.T) {
	start := date(t, "2025-01-06")
	opened := date(t, "2026-01-12")
	in := supervisionInput(t, "cumberland", "nqsw", start)
	in.FirstDue = date(t, "2026-01-30")
	h, _ := newSupervisionHarness(t, opened)
	h.at(opened, func() {
		if it, _ := supItem(h.schedule(), "session:1"); it.Due != in.FirstDue || it.Rule != "C-PS-1" {
			t.Errorf("first session after hand-over %+v", it)
		}
	})
	h.supLeave(opened.AddDays(1))
	h.runSupervision(in)
	if ev := h.actions("supervision.started"); len(ev) != 1 || ev[0].Detail["handed_over"] != true {
		t.Errorf("started %+v", ev)
	}
}

// Continue-as-new carries the whole state: due dates, bookings, processed
// request ids (a retried request is still refused in the next run).
func TestSupervisionContinueAsNewCarriesState(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "surrey", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	held := date(t, "2026-01-20")
	var before Schedule
	h.at(held, func() {
		h.update(UpdateRecordSupervision, supSession("s1", held), h.ok("s1"))
		h.update(UpdateBookSupervision, BookingInput{RequestID: "b", Dates: []policy.Date{date(t, "2026-02-20"), date(t, "2026-03-20")}}, h.ok("book"))
	})
	h.atHour(held, 13, func() {
		before = h.schedule()
		h.env.SetContinueAsNewSuggested(true)
		// Wake the loop so it notices the suggestion.
		h.update(UpdateRecordAbsence, AbsenceInput{RequestID: "g", Who: "supervisee", Kind: "annual_leave", From: held.AddDays(1), To: held.AddDays(3)}, h.ok("gap"))
	})
	h.env.ExecuteWorkflow(SupervisionWorkflow, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next SupervisionInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.Requests["s1"] != UpdateRecordSupervision || next.State.Sessions != 1 || len(next.State.Bookings) != 2 || len(next.State.Gaps) != 1 {
		t.Fatalf("carried state %+v", next.State)
	}

	h2, so := newSupervisionHarness(t, held)
	h2.atHour(held, 14, func() {
		after := h2.schedule()
		for _, it := range before.Items {
			if got, ok := supItem(after, it.Key); !ok || got.Due != it.Due || got.Status != it.Status {
				t.Errorf("item %s after continue-as-new: %+v, want %+v", it.Key, got, it)
			}
		}
		h2.update(UpdateRecordSupervision, supSession("s1", held), h2.refused("retry across runs", ErrConflict, "request_id"))
	})
	later := held.AddDays(5)
	h2.at(later, func() { h2.update(UpdateRecordSupervision, supSession("s2", later), h2.ok("s2")) })
	h2.supLeave(later.AddDays(1))
	h2.runSupervision(next)
	if n := len(h2.actions("supervision.started")); n != 0 {
		t.Errorf("the next run recorded a second start")
	}
	if got := so.get(); len(got) != 1 || got[0].PreviousRecordID != RecordID("sw-1", "s1") {
		t.Errorf("sign-off in the next run %+v, want previous record s1", got)
	}
	var ev activities.Event
	for _, e := range h2.actions("supervision.session_recorded") {
		ev = e
	}
	if gaps := gapsOf(ev); len(gaps) != 1 {
		t.Errorf("gap carried to the next record: %v", ev.Detail)
	}
}

// BF-REC-2: "The practitioner shares the agenda with the supervisor at least
// 24 hours before the session", read as by the end of the day before. An
// agenda shared in time is recorded on its booking; one shared on the day is
// kept and flagged late, never refused; none for an unbooked day, nor in a
// pack that asks for no agenda.
func TestAgendaSharedBeforeSessionBF_REC_2(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bracknell-forest", "social_worker", start)
	if in.Agenda == nil || in.Agenda.Rule != "BF-REC-2" {
		t.Fatalf("Bracknell Forest's agenda: %+v", in.Agenda)
	}
	first, second := date(t, "2026-01-20"), date(t, "2026-01-27")
	h, _ := newSupervisionHarness(t, start)
	h.at(start.AddDays(1), func() {
		h.update(UpdateBookSupervision, BookingInput{RequestID: "b1", Dates: []policy.Date{first, second}, Actor: "tm-1"}, h.ok("book"))
		h.update(UpdateShareAgenda, AgendaInput{RequestID: "a0", SessionOn: first.AddDays(1)}, h.refused("unbooked", ErrInvalid, "session_on"))
	})
	h.at(first.AddDays(-1), func() {
		h.update(UpdateShareAgenda, AgendaInput{RequestID: "a1", SessionOn: first}, h.ok("the day before"))
	})
	h.at(second, func() {
		h.update(UpdateShareAgenda, AgendaInput{RequestID: "a2", SessionOn: second}, h.ok("on the day: kept"))
	})
	h.supLeave(second.AddDays(1))
	h.runSupervision(in)
	evs := h.actions("supervision.agenda_shared")
	if len(evs) != 2 {
		t.Fatalf("%d agendas recorded, want 2", len(evs))
	}
	for i, c := range []struct {
		on   policy.Date
		late bool
	}{{first, false}, {second, true}} {
		d := evs[i].Detail
		if evs[i].RuleID != "BF-REC-2" || d["agenda_due"] != c.on.AddDays(-1).String() || (d["shared_late"] == true) != c.late {
			t.Errorf("agenda for %s: %s %v, want due %s, late %v", c.on, evs[i].RuleID, d, c.on.AddDays(-1), c.late)
		}
	}

	// Cumberland's pack asks for no agenda: refused, naming the field.
	h2, _ := newSupervisionHarness(t, start)
	h2.at(start.AddDays(1), func() {
		h2.update(UpdateBookSupervision, BookingInput{RequestID: "b1", Dates: []policy.Date{first}}, h2.ok("book"))
		h2.update(UpdateShareAgenda, AgendaInput{RequestID: "a1", SessionOn: first}, h2.refused("no agenda", ErrInvalid, "session_on"))
	})
	h2.supLeave(start.AddDays(2))
	h2.runSupervision(supervisionInput(t, "cumberland", "social_worker", start))
}
