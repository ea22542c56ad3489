package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/activities/smtptest"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/policy"
)

// hook is a local webhook receiver that refuses the first failures requests
// with a 503 and checks every signature.
type hook struct {
	t        *testing.T
	secret   string
	mu       sync.Mutex
	failures int
	calls    int
	accepted map[string][]activities.WebhookPayload // by idempotency key
}

func newHook(t *testing.T, secret string, failures int) (*hook, *httptest.Server) {
	h := &hook{t: t, secret: secret, failures: failures, accepted: map[string][]activities.WebhookPayload{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if got, want := r.Header.Get(activities.HeaderSignature), activities.Sign(h.secret, body); got != want {
		h.t.Errorf("signature %q, want %q", got, want)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if h.failures > 0 {
		h.failures--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var p activities.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		h.t.Errorf("webhook body: %v", err)
	}
	key := r.Header.Get(activities.HeaderIdempotencyKey)
	h.accepted[key] = append(h.accepted[key], p)
	w.WriteHeader(http.StatusNoContent)
}

func (h *hook) got() (calls int, accepted map[string][]activities.WebhookPayload) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls, h.accepted
}

func addNotification(t *testing.T, db *gorm.DB, n models.Notification) models.Notification {
	t.Helper()
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	}
	if err := db.Create(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// An overdue notice goes to the supervisor by email (to a real SMTP
// listener) and to a signed webhook that fails twice first: Temporal's
// retries call the activity again, the email is sent once, the webhook is
// accepted once, and delivered_at is stamped once.
func TestDeliverNotification(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := b.Open(t)
			mail := smtptest.Start(t)
			h, srv := newHook(t, "s3cret", 2)
			d := &activities.Delivery{
				DB:      db,
				SMTP:    &activities.SMTPConfig{Addr: mail.Addr, From: "securebase@council.example", AddressPattern: "{staff}@council.example"},
				Webhook: &activities.WebhookConfig{URL: srv.URL, Secret: "s3cret"},
			}
			n := addNotification(t, db, models.Notification{
				WorkflowID: "ASYE:nq-1", EventID: "overdue:session:1", RecipientRole: "supervisor", Recipient: "tm-1", StaffID: "nq-1",
				Kind: "overdue", Subject: "Overdue: session 1 for Nia Quinn", Body: "The ASYE session 1 for Nia Quinn (nq-1) was due on 2026-03-01.", DueKey: "session:1",
			})

			// Two attempts fail at the webhook (retryable), the third delivers.
			for attempt := 1; attempt <= 2; attempt++ {
				_, err := d.DeliverNotification(ctx, activities.DeliverInput{NotificationID: n.ID})
				var appErr *temporal.ApplicationError
				if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
					t.Fatalf("attempt %d: %v, want a retryable error", attempt, err)
				}
			}
			res, err := d.DeliverNotification(ctx, activities.DeliverInput{NotificationID: n.ID})
			if err != nil || !res.Delivered || strings.Join(res.Sent, ",") != "webhook" {
				t.Fatalf("third attempt: %+v, %v (want delivered, sent on webhook only: the email went on the first)", res, err)
			}
			// A fourth call (a retry racing the mark, a later poll) sends nothing.
			if res, err := d.DeliverNotification(ctx, activities.DeliverInput{NotificationID: n.ID}); err != nil || len(res.Sent) != 0 || !res.Delivered {
				t.Fatalf("after delivery: %+v, %v", res, err)
			}

			msgs := mail.To("tm-1@council.example")
			if len(msgs) != 1 || len(mail.Messages()) != 1 {
				t.Fatalf("emails: %d to tm-1, %d in all; want exactly 1", len(msgs), len(mail.Messages()))
			}
			m := msgs[0]
			if m.From != "securebase@council.example" || m.Header.Get("Subject") != n.Subject ||
				m.Header.Get("Message-ID") != "<notification-"+activities.IdempotencyKey(n)+"@council.example>" ||
				!strings.Contains(m.Body, "was due on 2026-03-01") {
				t.Fatalf("email: from %s, headers %v, body %q", m.From, m.Header, m.Body)
			}
			calls, accepted := h.got()
			if calls != 3 || len(accepted) != 1 || len(accepted[activities.IdempotencyKey(n)]) != 1 {
				t.Fatalf("webhook: %d calls, accepted %v; want 3 calls, one accepted under key %s", calls, accepted, activities.IdempotencyKey(n))
			}
			p := accepted[activities.IdempotencyKey(n)][0]
			if p.ID != n.ID || p.Kind != "overdue" || p.Recipient != "tm-1" || p.StaffID != "nq-1" || p.Subject != n.Subject || p.DueKey != "session:1" {
				t.Fatalf("webhook payload %+v", p)
			}

			var got models.Notification
			db.Take(&got, n.ID)
			if got.DeliveredAt == nil {
				t.Fatal("delivered_at not set")
			}
			ds, err := models.ListDeliveries(ctx, db, n.ID)
			if err != nil || len(ds) != 2 {
				t.Fatalf("deliveries %+v, %v", ds, err)
			}
			for _, dl := range ds {
				wantAttempts := map[string]int{"email": 1, "webhook": 3}[dl.Channel]
				if dl.Attempts != wantAttempts || dl.DeliveredAt == nil || dl.Outcome != models.OutcomeSent || dl.LastError != "" {
					t.Fatalf("%s delivery %+v, want %d attempts, sent", dl.Channel, dl, wantAttempts)
				}
			}
			if ids, _ := models.ListUndelivered(ctx, db, 10, 5); len(ids) != 0 {
				t.Fatalf("still undelivered: %v", ids)
			}
		})
	}
}

// A receiver refusing the notice for good (a 4xx) is not retried by
// Temporal, the error stays on the delivery row, and after maxAttempts the
// notice no longer comes back in the batch. An escalation with only a role
// is skipped by email and still goes to the webhook.
func TestDeliverPermanentFailureAndRoleOnly(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Backends()[1].Open(t)
	mail := smtptest.Start(t)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	t.Cleanup(refuse.Close)
	d := &activities.Delivery{
		DB:      db,
		SMTP:    &activities.SMTPConfig{Addr: mail.Addr, From: "securebase@council.example", AddressPattern: "{staff}@council.example"},
		Webhook: &activities.WebhookConfig{URL: refuse.URL, Secret: "k"},
	}
	n := addNotification(t, db, models.Notification{WorkflowID: "ASYE:nq-1", EventID: "escalation:session:1", RecipientRole: "senior_manager", StaffID: "nq-1", Kind: "escalation", Subject: "Escalation"})
	_, err := d.DeliverNotification(ctx, activities.DeliverInput{NotificationID: n.ID})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != activities.PermanentDeliveryError {
		t.Fatalf("err %v, want a non-retryable %s", err, activities.PermanentDeliveryError)
	}
	if len(mail.Messages()) != 0 {
		t.Fatal("mailed a notice with no recipient")
	}
	ds, _ := models.ListDeliveries(ctx, db, n.ID)
	if len(ds) != 2 || ds[0].Outcome != models.OutcomeSkipped || ds[1].LastError == "" || ds[1].Attempts != 1 {
		t.Fatalf("deliveries %+v", ds)
	}
	if ids, _ := models.ListUndelivered(ctx, db, 10, 2); len(ids) != 1 {
		t.Fatalf("after 1 attempt of 2: %v, want it listed", ids)
	}
	d.DeliverNotification(ctx, activities.DeliverInput{NotificationID: n.ID})
	if ids, _ := models.ListUndelivered(ctx, db, 10, 2); len(ids) != 0 {
		t.Fatalf("after 2 attempts of 2: %v, want it left for an operator", ids)
	}
}

// Reminders come at each authority's own lead time (reminders.before in its
// pack): an item due on the last day inside the lead time is reminded, one
// due a working day later is not yet, and a second run writes nothing new.
// Cumberland's lead is made 5 working days here so the two authorities differ.
func TestRaiseRemindersPerAuthority(t *testing.T) {
	dir := t.TempDir()
	for _, a := range []string{"bolton", "cumberland"} {
		raw, err := os.ReadFile(filepath.Join("..", "policy", "packs", a+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if a == "cumberland" {
			raw = []byte(strings.Replace(string(raw), "reminders: {before: 3wd,", "reminders: {before: 5wd,", 1))
		}
		os.WriteFile(filepath.Join(dir, a+".yaml"), raw, 0o644)
	}
	packs, err := policy.LoadFiles(filepath.Join(dir, "bolton.yaml"), filepath.Join(dir, "cumberland.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	today, _ := policy.ParseDate("2026-03-02") // a Monday
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := b.Open(t)
			sup := "tm-b"
			db.Create(&models.Staff{ID: "sw-b", Name: "Bea Holt", Authority: "bolton", SupervisorID: &sup})
			want := map[string]bool{}
			for _, a := range []string{"bolton", "cumberland"} {
				pack, err := packs.Pack(a, today)
				if err != nil || pack.Reminders == nil {
					t.Fatalf("%s: %v, %+v", a, err, pack)
				}
				last := pack.Reminders.RemindFrom(today, policy.NewCalendar(pack.ClosureDays))
				later := policy.NewCalendar(pack.ClosureDays).AddWorkingDays(last, 1)
				staff := map[string]string{"bolton": "sw-b", "cumberland": "sw-c"}[a]
				for key, due := range map[string]policy.Date{"in": last, "today": today, "later": later, "past": today.AddDays(-1)} {
					status := models.DueStatusDue
					if key == "past" {
						status = models.DueStatusOverdue
					}
					db.Create(&models.DueItem{WorkflowID: "Supervision:" + staff, Key: "session:" + key, Kind: "personal_supervision", StaffID: staff, Authority: a, DueOn: due.String(), Status: status, RuleID: "X"})
					if key == "in" || key == "today" {
						want["Supervision:"+staff+"/session:"+key] = true
					}
				}
			}
			// Bolton's 3 working days from Monday reach Thursday; Cumberland's 5 the next Monday.
			if b, _ := packs.Pack("bolton", today); b.Reminders.RemindFrom(today, policy.NewCalendar(nil)).String() != "2026-03-05" {
				t.Fatalf("bolton lead ends %s", b.Reminders.RemindFrom(today, policy.NewCalendar(nil)))
			}
			d := &activities.Delivery{DB: db, Packs: packs}
			res, err := d.RaiseReminders(ctx, activities.RemindersInput{Today: today.String()})
			if err != nil || res.Raised != len(want) {
				t.Fatalf("raised %+v, %v; want %d", res, err, len(want))
			}
			var ns []models.Notification
			db.Where("kind = ?", "reminder").Order("id").Find(&ns)
			for _, n := range ns {
				if !want[n.WorkflowID+"/"+n.DueKey] {
					t.Errorf("unexpected reminder %s/%s", n.WorkflowID, n.DueKey)
				}
				if n.StaffID == "sw-b" && (n.Recipient != "tm-b" || !strings.Contains(n.Body, "B-REM-1") || !strings.Contains(n.Subject, "Bea Holt")) {
					t.Errorf("bolton reminder %+v", n)
				}
				if n.StaffID == "sw-c" && (n.Recipient != "" || !strings.Contains(n.Body, "C-REM-1") || !strings.Contains(n.Body, "5wd")) {
					t.Errorf("cumberland reminder %+v", n)
				}
			}
			if res, err := d.RaiseReminders(ctx, activities.RemindersInput{Today: today.String()}); err != nil || res.Raised != 0 {
				t.Fatalf("second run raised %+v, %v; want none", res, err)
			}
		})
	}
}
