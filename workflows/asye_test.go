package workflows

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// harness runs one ASYE in the time-skipping test environment and keeps every
// event the lifecycle recorded.
type harness struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	start   time.Time
	mu      sync.Mutex
	events  []activities.Event
	pending int
	// packs answer NextPack: the versions a lifecycle moves to (nil: none).
	packs *policy.Registry
}

var registry = func() *policy.Registry {
	r, err := policy.Load()
	if err != nil {
		panic(err)
	}
	return r
}()

// asyeInput builds the start input for an NQSW of authority starting on start.
func asyeInput(t *testing.T, authority string, start policy.Date) ASYEInput {
	t.Helper()
	pack, err := registry.Pack(authority, start)
	if err != nil {
		t.Fatal(err)
	}
	return ASYEInput{
		StaffID: "nq-1", Name: "Nia Quinn", Authority: authority, Team: "north",
		SupervisorID: "tm-1", ManagerID: "hos-1", Start: start,
		Pack: pack.Ref(), Rules: pack.ASYE, ClosureDays: pack.ClosureDays, Actor: "hr-1",
	}
}

func newHarness(t *testing.T, start policy.Date) *harness {
	var suite testsuite.WorkflowTestSuite
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	// Onboarding happens at 09:00 London on the start day.
	h.start = time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, policy.London)
	h.env.SetStartTime(h.start)
	h.env.RegisterWorkflowWithOptions(ASYE, workflow.RegisterOptions{Name: ASYEWorkflow})
	h.env.RegisterActivityWithOptions(func(ev activities.Event) (activities.RecordResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.events = append(h.events, ev)
		return activities.RecordResult{Applied: true}, nil
	}, activity.RegisterOptions{Name: activities.RecordEventName})
	servePacks(h.env, func() *policy.Registry { return h.packs })
	return h
}

// at schedules fn at noon London on day d; atHour at another hour.
func (h *harness) at(d policy.Date, fn func()) { h.atHour(d, 12, fn) }

func (h *harness) atHour(d policy.Date, hour int, fn func()) {
	when := time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, policy.London)
	h.env.RegisterDelayedCallback(fn, when.Sub(h.start))
}

// update sends an update; check is given its outcome (nil, a rejection or a
// failure) once the workflow has handled it. Every check must have run by the
// end of the test.
func (h *harness) update(name string, arg any, check func(error)) {
	h.pending++
	h.t.Cleanup(func() {
		if h.pending != 0 {
			h.t.Errorf("%d updates never finished", h.pending)
			h.pending = 0
		}
	})
	done := func(err error) { h.pending--; check(err) }
	h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   done,
		OnComplete: func(_ any, err error) { done(err) },
	}, arg)
}

// ok is a check that the update succeeded.
func (h *harness) ok(what string) func(error) {
	return func(err error) {
		if err != nil {
			h.t.Errorf("%s: %v", what, err)
		}
	}
}

// refused is a check that the update was refused as typ, naming field.
func (h *harness) refused(what, typ, field string) func(error) {
	return func(err error) {
		if gotTyp, gotField := fieldOf(err); gotTyp != typ || gotField != field {
			h.t.Errorf("%s: refused as %q on %q (%v), want %q on %q", what, gotTyp, gotField, err, typ, field)
		}
	}
}

func (h *harness) schedule() Schedule {
	v, err := h.env.QueryWorkflow(QuerySchedule)
	if err != nil {
		h.t.Fatal(err)
	}
	var s Schedule
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) actions(action string) []activities.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []activities.Event
	for _, e := range h.events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func date(t *testing.T, s string) policy.Date {
	t.Helper()
	d, err := policy.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fieldOf returns the type and field of a refused update.
func fieldOf(err error) (string, string) {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return "", ""
	}
	var fp FieldProblem
	_ = app.Details(&fp)
	return app.Type(), fp.Field
}

// A whole ASYE year held on time under Cumberland's pack: every session on
// its due day, every review on time, passed at the end; nothing overdue.
func TestASYEWholeYearOnTime(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "cumberland", start)
	h := newHarness(t, start)
	cal := policy.NewCalendar(in.ClosureDays)
	plan := in.Rules.Plan(start, 200, cal)
	sessions, reviews := 0, 0
	var last policy.Date
	for _, p := range plan {
		switch p.Kind {
		case "session":
			sessions++
			h.at(p.Due, func() {
				h.update(UpdateRecordSession, SessionInput{
					RequestID: "s-" + p.Due.String(), HeldOn: p.Due, DurationMinutes: 90,
					SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1",
				}, h.ok("session on "+p.Due.String()))
			})
		case "review":
			reviews++
			h.at(p.Due, func() {
				h.update(UpdateRecordReview, ReviewInput{RequestID: "r-" + p.Name, Name: p.Name, HeldOn: p.Due, Actor: "tm-1"}, h.ok("review "+p.Name))
			})
		}
		if p.Due.After(last) {
			last = p.Due
		}
	}
	h.at(last.AddDays(1), func() {
		h.update(UpdateRecordOutcome, OutcomeInput{RequestID: "outcome", Outcome: StatusPassed, DecidedOn: last.AddDays(1), Actor: "tm-1"}, h.ok("outcome"))
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)

	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res ASYEResult
	if err := h.env.GetWorkflowResult(&res); err != nil || res.Outcome != StatusPassed {
		t.Fatalf("result %+v, %v", res, err)
	}
	if reviews != 3 {
		t.Errorf("planned %d reviews, want 3 (3, 6 and 12 months)", reviews)
	}
	if got := len(h.actions("asye.session_recorded")); got != sessions || sessions < 20 {
		t.Errorf("recorded %d sessions, planned %d", got, sessions)
	}
	if n := len(h.actions("asye.overdue")); n != 0 {
		t.Errorf("%d overdue events in a year held on time", n)
	}
	if len(h.actions("asye.handed_over")) != 1 {
		t.Error("a passed ASYE must hand the worker to the standard cadence")
	}
	// Cumberland: weekly for six weeks, fortnightly to six months, monthly after.
	var held []policy.Date
	for _, e := range h.actions("asye.session_recorded") {
		held = append(held, date(t, e.Session.HeldOn))
	}
	gap := func(i int) int { return held[i].DaysUntil(held[i+1]) }
	if gap(0) != 7 || gap(4) != 7 {
		t.Errorf("first six weeks not weekly: %v", held[:7])
	}
	if g := gap(8); g != 14 {
		t.Errorf("gap after week 6 is %d days, want 14", g)
	}
	if g := gap(len(held) - 2); g < 28 || g > 31 {
		t.Errorf("gap after six months is %d days, want a month", g)
	}
}

// No session is held: the first session goes overdue the day after it was
// due (supervisor notified), then escalates to the supervisor's manager.
func TestASYEOverdueEscalates(t *testing.T) {
	start := date(t, "2026-03-02")
	in := asyeInput(t, "cumberland", start)
	in.Rules.Escalation = councilSet(in.Rules.Escalation)
	h := newHarness(t, start)
	cal := policy.NewCalendar(in.ClosureDays)
	firstDue := in.Rules.NextDue(start, start, cal)
	escalateAfter := in.Rules.Escalation.After.AddTo(firstDue, cal)
	h.at(firstDue, func() {
		if n := len(h.actions("asye.overdue")); n != 0 {
			t.Errorf("overdue on the due day itself: %d events", n)
		}
	})
	h.at(firstDue.AddDays(1), func() {
		od := h.actions("asye.overdue")
		if len(od) != 1 || od[0].Notifications[0].Recipient != "tm-1" || od[0].Notifications[0].RecipientRole != "supervisor" {
			t.Errorf("overdue events the day after: %+v", od)
		}
		if s := h.schedule(); s.Items[0].Status != "overdue" {
			t.Errorf("schedule shows %q, want overdue", s.Items[0].Status)
		}
		if len(h.actions("asye.escalated")) != 0 {
			t.Error("escalated before the pack's delay")
		}
	})
	late := escalateAfter.AddDays(1)
	h.at(late, func() {
		esc := h.actions("asye.escalated")
		if len(esc) != 1 || esc[0].Notifications[0].Recipient != "hos-1" || esc[0].Notifications[0].RecipientRole != "supervisors_manager" {
			t.Fatalf("escalation: %+v", esc)
		}
		if esc[0].RuleID != in.Rules.Escalation.Rule || esc[0].RuleID == "" {
			t.Errorf("escalation cites rule %q, want %q", esc[0].RuleID, in.Rules.Escalation.Rule)
		}
		// A late session meets the overdue item and sets the next due date.
		h.update(UpdateRecordSession, SessionInput{RequestID: "late", HeldOn: late, DurationMinutes: 60, SupervisorID: "tm-1", Kind: "individual"}, h.ok("late session"))
	})
	h.atHour(late, 13, func() {
		s := h.schedule()
		if s.Items[0].Status != "due" || !s.Items[0].Due.After(late) {
			t.Errorf("after a late session the next item is %+v", s.Items[0])
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	met := false
	for _, e := range h.actions("asye.session_recorded") {
		for _, d := range e.Due {
			if d.Key == "session:1" && d.Status == "met" && d.MetOn > d.DueOn {
				met = true
			}
		}
	}
	if !met {
		t.Error("the late session did not mark session:1 met late")
	}
}

// A pause for sickness pushes every due date by its length; a pause for
// capability is refused, citing the pack's rule.
func TestASYEPausePushesDueDates(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "bracknell-forest", start)
	h := newHarness(t, start)
	var before, after Schedule
	from := start.AddDays(3)
	h.at(from, func() {
		before = h.schedule()
		h.update(UpdatePause, PauseInput{RequestID: "p0", From: from, Reason: "capability"}, h.refused("capability pause", ErrInvalid, "reason"))
		h.update(UpdatePause, PauseInput{RequestID: "p1", From: from, Reason: "sickness"}, h.ok("sickness pause"))
		h.update(UpdateRecordSession, SessionInput{RequestID: "s", HeldOn: from, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual"},
			h.refused("a session while paused", ErrConflict, "status"))
	})
	// Paused for 30 days: nothing goes overdue meanwhile.
	back := from.AddDays(30)
	h.at(back, func() {
		if n := len(h.actions("asye.overdue")); n != 0 {
			t.Errorf("%d overdue events while paused", n)
		}
		if s := h.schedule(); s.Status != StatusPaused || s.Items[0].Status != "paused" {
			t.Errorf("paused schedule: %+v", s)
		}
		h.update(UpdateResume, ResumeInput{RequestID: "r1", On: back}, h.ok("resume"))
	})
	h.atHour(back, 13, func() {
		after = h.schedule()
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	if len(before.Items) == 0 || len(before.Items) != len(after.Items) {
		t.Fatalf("schedules: %+v / %+v", before, after)
	}
	for i := range before.Items {
		if d := before.Items[i].Due.DaysUntil(after.Items[i].Due); d != 30 {
			t.Errorf("%s moved %d days, want 30", before.Items[i].Key, d)
		}
	}
	if d := before.End.DaysUntil(after.End); d != 30 {
		t.Errorf("programme end moved %d days, want 30", d)
	}
}

// Bad sessions are refused with the field named, and the lifecycle is unchanged.
func TestASYERejectsBadSessions(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "bolton", start)
	h := newHarness(t, start)
	day := start.AddDays(5)
	good := SessionInput{RequestID: "ok", HeldOn: day, DurationMinutes: 120, SupervisorID: "tm-1", Kind: "individual"}
	h.at(day, func() { h.update(UpdateRecordSession, good, h.ok("good session")) })
	h.atHour(day, 13, func() {
		cases := []struct {
			name       string
			edit       func(*SessionInput)
			typ, field string
		}{
			{"future", func(s *SessionInput) { s.HeldOn = day.AddDays(1) }, ErrInvalid, "held_on"},
			{"before start", func(s *SessionInput) { s.HeldOn = start.AddDays(-1) }, ErrInvalid, "held_on"},
			{"no length", func(s *SessionInput) { s.DurationMinutes = 0 }, ErrInvalid, "duration_minutes"},
			{"too long for Bolton", func(s *SessionInput) { s.DurationMinutes = in.Rules.MaxSessionMinutes + 1 }, ErrInvalid, "duration_minutes"},
			{"wrong supervisor", func(s *SessionInput) { s.SupervisorID = "tm-2" }, ErrInvalid, "supervisor_id"},
			{"unknown kind", func(s *SessionInput) { s.Kind = "chat" }, ErrInvalid, "kind"},
			{"no request id", func(s *SessionInput) { s.RequestID = "" }, ErrInvalid, "request_id"},
			{"duplicate request id", func(s *SessionInput) { s.RequestID = "ok" }, ErrConflict, "request_id"},
		}
		for i, c := range cases {
			s := good
			s.RequestID = "bad-" + string(rune('a'+i))
			c.edit(&s)
			h.update(UpdateRecordSession, s, h.refused(c.name, c.typ, c.field))
		}
	})
	h.atHour(day, 14, func() {
		if s := h.schedule(); s.Sessions != 1 {
			t.Errorf("bad sessions changed the lifecycle: %d sessions", s.Sessions)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	if in.Rules.MinSessionMinutes < 60 {
		t.Errorf("Bolton's pack sets sessions of 1.5-2 h; minimum is %d", in.Rules.MinSessionMinutes)
	}
	if n := len(h.actions("asye.session_recorded")); n != 1 {
		t.Errorf("%d sessions written, want 1", n)
	}
}

// The same start gives each authority its own schedule, from its own pack.
func TestASYEEachAuthorityItsOwnCadence(t *testing.T) {
	start := date(t, "2026-01-05")
	second := map[string]policy.Date{}
	for _, a := range []string{"cumberland", "bracknell-forest", "bolton"} {
		in := asyeInput(t, a, start)
		h := newHarness(t, start)
		first := in.Rules.NextDue(start, start, policy.NewCalendar(in.ClosureDays))
		h.at(first, func() {
			h.update(UpdateRecordSession, SessionInput{RequestID: "1", HeldOn: first, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual"}, h.ok(a+" session"))
		})
		h.atHour(first, 13, func() {
			s := h.schedule()
			second[a] = s.Items[0].Due
			if s.Pack.Authority != a || s.Items[0].Rule == "" {
				t.Errorf("%s schedule: %+v", a, s)
			}
			h.env.CancelWorkflow()
		})
		h.env.ExecuteWorkflow(ASYEWorkflow, in)
	}
	if !second["cumberland"].Equal(start.AddDays(14)) || !second["bracknell-forest"].Equal(start.AddDays(14)) {
		t.Errorf("weekly first sessions: second due %v", second)
	}
	if second["bolton"].Equal(second["cumberland"]) {
		t.Errorf("Bolton (monthly) and Cumberland (weekly) gave the same second due date %s", second["bolton"])
	}
}

// An extension is capped by the pack, and the outcome needs the final review.
func TestASYEExtensionCapAndOutcome(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "cumberland", start)
	h := newHarness(t, start)
	var before Schedule
	day := start.AddDays(10)
	h.at(day, func() {
		before = h.schedule()
		h.update(UpdateRecordOutcome, OutcomeInput{RequestID: "o1", Outcome: StatusPassed, DecidedOn: day}, h.refused("outcome before the final review", ErrConflict, "outcome"))
		h.update(UpdateRecordOutcome, OutcomeInput{RequestID: "o2", Outcome: "extended", DecidedOn: day}, h.refused("outcome extended", ErrInvalid, "outcome"))
		h.update(UpdateExtend, ExtendInput{RequestID: "e1", Weeks: 1000, Reason: "long sickness"}, h.refused("extension past the cap", ErrInvalid, "weeks"))
		h.update(UpdateExtend, ExtendInput{RequestID: "e2", Weeks: 4, Reason: "more evidence needed"}, h.ok("extension"))
	})
	h.atHour(day, 13, func() {
		after := h.schedule()
		if d := before.End.DaysUntil(after.End); d != 28 {
			t.Errorf("extension moved the end %d days, want 28", d)
		}
		final := after.Items[len(after.Items)-1]
		if d := before.Items[len(before.Items)-1].Due.DaysUntil(final.Due); d != 28 {
			t.Errorf("extension moved the final review %d days, want 28", d)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
}
