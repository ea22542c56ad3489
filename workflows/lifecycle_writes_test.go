package workflows

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// flakyDB stands in for the database: while down every write fails (a
// retryable error, as a lost connection is); the writes that landed are kept.
type flakyDB struct {
	mu       sync.Mutex
	down     bool
	attempts int
	landed   []activities.Event
}

func (db *flakyDB) record(ev activities.Event) (activities.RecordResult, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.attempts++
	if db.down {
		return activities.RecordResult{}, errors.New("connection refused")
	}
	db.landed = append(db.landed, ev)
	return activities.RecordResult{Applied: true}, nil
}

func (db *flakyDB) setDown(down bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.down = down
}

// since is the ids of the events that landed after the one named.
func (db *flakyDB) since(eventID string) []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []string
	for i, ev := range db.landed {
		if ev.EventID == eventID {
			for _, ev := range db.landed[i+1:] {
				out = append(out, ev.EventID)
			}
		}
	}
	return out
}

func (db *flakyDB) event(eventID string) activities.Event {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, ev := range db.landed {
		if ev.EventID == eventID {
			return ev
		}
	}
	return activities.Event{}
}

// The database fails from the day before the first session is due until
// three days after it, longer than a write's day of retries: the overdue
// duty's write fails across its deadline and the leave's closing write
// queues behind it. The lifecycle does not end with either outstanding: an
// alert for the administrators lands, then the overdue, then the closing
// audit event, in decision order.
func TestLifecycleNeverEndsWithAWriteOutstanding(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "surrey", "social_worker", start)
	in.Escalation = councilSet(in.Escalation)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	begin := time.Date(2026, 1, 5, 9, 0, 0, 0, policy.London)
	env.SetStartTime(begin)
	env.RegisterWorkflowWithOptions(Supervision, workflow.RegisterOptions{Name: SupervisionWorkflow})
	db := &flakyDB{}
	env.RegisterActivityWithOptions(db.record, activity.RegisterOptions{Name: activities.RecordEventName})
	servePacks(env, nil)
	at := func(day string, hour int, fn func()) {
		d := date(t, day)
		env.RegisterDelayedCallback(fn, time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, policy.London).Sub(begin))
	}
	// session:1 is due 2026-02-05 (monthly from the start).
	at("2026-02-04", 12, func() { db.setDown(true) })
	at("2026-02-06", 12, func() {
		env.SignalWorkflow(SignalLeave, LeaveSignal{RequestID: "leave", On: date(t, "2026-02-06"), Reason: "resigned", Actor: "hr-1"})
	})
	at("2026-02-09", 12, func() { db.setDown(false) })

	env.ExecuteWorkflow(SupervisionWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res SupervisionResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Status != SupervisionClosed {
		t.Fatalf("result %+v, %v", res, err)
	}
	// Before the outage the booking horizon's duty went overdue and escalated.
	got := db.since("escalation:booking-horizon:1")
	want := []string{"write-failed:overdue:session:1", "overdue:session:1", "write-landed:overdue:session:1", "closed"}
	if len(got) != len(want) {
		t.Fatalf("writes that landed after the outage began %v, want %v (%d attempts)", got, want, db.attempts)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("writes that landed after the outage began %v, want %v", got, want)
		}
	}
	alert := db.event("write-failed:overdue:session:1")
	if alert.Action != "supervision.write_failed" || len(alert.Notifications) != 1 || alert.Notifications[0].RecipientRole != "admin" ||
		len(alert.Due) != 1 || alert.Due[0].Kind != "write_failed" || alert.Due[0].Status != "overdue" || alert.Detail["event_id"] != "overdue:session:1" {
		t.Errorf("alert %+v", alert)
	}
	if landed := db.event("write-landed:overdue:session:1"); len(landed.Due) != 1 || landed.Due[0].Status != "met" {
		t.Errorf("alert cleared by %+v", landed)
	}
	if closed := db.event("closed"); closed.Action != "supervision.closed" || closed.Reason != "left: resigned" {
		t.Errorf("closing event %+v", closed)
	}
}
