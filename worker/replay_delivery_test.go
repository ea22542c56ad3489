package worker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/activities/smtptest"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/worker"
	"github.com/securebase/securebase/workflows"
)

// The dispatcher on the embedded server: a reminder comes due and an
// overdue notice waits in the outbox; both go out by email (a real SMTP
// listener) and a webhook that refuses the first two posts, so Temporal
// retries with backoff. Each is delivered once; the history is committed.
func TestRecordDeliveryHistory(t *testing.T) {
	r := newRecorder(t)
	db, err := models.Open("", filepath.Join(t.TempDir(), "outbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	today := policy.DateOf(time.Now())
	sup := "tm-1"
	db.Create(&models.Staff{ID: "nq-d", Name: "Dee Nolan", Authority: "cumberland", SupervisorID: &sup})
	db.Create(&models.DueItem{WorkflowID: "ASYE:nq-d", Key: "session:2", Kind: "asye_session", StaffID: "nq-d", Authority: "cumberland", DueOn: today.String(), Status: models.DueStatusDue, RuleID: "C-ASYE-3"})
	db.Create(&models.Notification{WorkflowID: "ASYE:nq-d", EventID: "overdue:session:1", RecipientRole: "supervisor", Recipient: "tm-1", StaffID: "nq-d", Kind: "overdue", Subject: "Overdue: session 1", Body: "Session 1 was not recorded.", CreatedAt: time.Now().UTC()})

	mail := smtptest.Start(t)
	var mu sync.Mutex
	fails, accepted := 2, map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		defer mu.Unlock()
		if req.Header.Get(activities.HeaderSignature) != activities.Sign("k", body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if fails > 0 {
			fails--
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		accepted[req.Header.Get(activities.HeaderIdempotencyKey)]++
	}))
	t.Cleanup(hook.Close)

	d := &activities.Delivery{
		DB: db, Packs: packs,
		SMTP:    &activities.SMTPConfig{Addr: mail.Addr, From: "securebase@council.example", AddressPattern: "{staff}@council.example"},
		Webhook: &activities.WebhookConfig{URL: hook.URL, Secret: "k"},
	}
	stop, err := worker.StartDelivery(r.ctx, r.c, d, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	// A second start (another worker process) joins the running dispatcher.
	if _, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: workflows.DeliveryWorkflowID, TaskQueue: workflows.DeliveryTaskQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, workflows.DeliveryWorkflow, workflows.DeliveryInput{}); err != nil {
		t.Fatalf("second start: %v", err)
	}

	waitFor(t, "both notifications delivered", func() bool {
		var n int64
		db.Model(&models.Notification{}).Where("delivered_at IS NULL").Count(&n)
		return n == 0 && len(mail.Messages()) == 2
	})
	time.Sleep(time.Second) // a few more polls: nothing may go twice
	mu.Lock()
	if len(accepted) != 2 || accepted["1"] != 1 || accepted["2"] != 1 {
		t.Errorf("webhook accepted %v, want notifications 1 and 2 once each", accepted)
	}
	mu.Unlock()
	if got := len(mail.To("tm-1@council.example")); got != 2 || len(mail.Messages()) != 2 {
		t.Errorf("%d emails to tm-1, %d in all; want 2", got, len(mail.Messages()))
	}
	r.keep("delivery-outbox.json", workflows.DeliveryWorkflowID)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
