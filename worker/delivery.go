package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/workflows"
)

// DeliveryConfig is how notifications leave the system, from the environment:
//
//	SECUREBASE_SMTP_ADDR        host:port of the mail server (unset: no email)
//	SECUREBASE_SMTP_FROM        the sender address (required with SMTP_ADDR)
//	SECUREBASE_SMTP_USERNAME, SECUREBASE_SMTP_PASSWORD  optional PLAIN auth (over STARTTLS when offered)
//	SECUREBASE_EMAIL_PATTERN    a staff id's address, "{staff}@council.example" (required with SMTP_ADDR)
//	SECUREBASE_WEBHOOK_URL      where each notification is POSTed (unset: no webhook)
//	SECUREBASE_WEBHOOK_SECRET   the HMAC-SHA256 key of the signature header (required with WEBHOOK_URL)
//	SECUREBASE_DELIVERY_INTERVAL how long the dispatcher waits when the outbox is empty (default 1m)
//
// With neither channel set, nothing is delivered: notifications stay in the
// table (and in the API) as before.
type DeliveryConfig struct {
	SMTP     *activities.SMTPConfig
	Webhook  *activities.WebhookConfig
	Interval time.Duration
}

// DeliveryConfigFromEnv reads the settings through getenv (os.Getenv).
func DeliveryConfigFromEnv(getenv func(string) string) (DeliveryConfig, error) {
	var cfg DeliveryConfig
	var problems []string
	if addr := getenv("SECUREBASE_SMTP_ADDR"); addr != "" {
		cfg.SMTP = &activities.SMTPConfig{
			Addr: addr, From: getenv("SECUREBASE_SMTP_FROM"),
			Username: getenv("SECUREBASE_SMTP_USERNAME"), Password: getenv("SECUREBASE_SMTP_PASSWORD"),
			AddressPattern: getenv("SECUREBASE_EMAIL_PATTERN"),
		}
		if cfg.SMTP.From == "" {
			problems = append(problems, "SECUREBASE_SMTP_FROM is required with SECUREBASE_SMTP_ADDR")
		}
		if !strings.Contains(cfg.SMTP.AddressPattern, "{staff}") || !strings.Contains(cfg.SMTP.AddressPattern, "@") {
			problems = append(problems, `SECUREBASE_EMAIL_PATTERN must be an address with {staff} in it, like "{staff}@council.example"`)
		}
	}
	if url := getenv("SECUREBASE_WEBHOOK_URL"); url != "" {
		cfg.Webhook = &activities.WebhookConfig{URL: url, Secret: getenv("SECUREBASE_WEBHOOK_SECRET")}
		if cfg.Webhook.Secret == "" {
			problems = append(problems, "SECUREBASE_WEBHOOK_SECRET is required with SECUREBASE_WEBHOOK_URL: receivers check the signature")
		}
	}
	if v := getenv("SECUREBASE_DELIVERY_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("SECUREBASE_DELIVERY_INTERVAL %q is not a positive duration like 30s", v))
		}
		cfg.Interval = d
	}
	if len(problems) > 0 {
		return cfg, errors.New("notification delivery: " + strings.Join(problems, "; "))
	}
	return cfg, nil
}

// On reports whether any channel is configured.
func (cfg DeliveryConfig) On() bool { return cfg.SMTP != nil || cfg.Webhook != nil }

// RegisterDelivery puts the dispatcher and its activities on a registry.
func RegisterDelivery(r sdkworker.Registry, d *activities.Delivery) {
	r.RegisterWorkflowWithOptions(workflows.Delivery, workflow.RegisterOptions{Name: workflows.DeliveryWorkflow})
	r.RegisterActivityWithOptions(d.RaiseReminders, activity.RegisterOptions{Name: activities.RaiseRemindersName})
	r.RegisterActivityWithOptions(d.ListUndelivered, activity.RegisterOptions{Name: activities.ListUndeliveredName})
	r.RegisterActivityWithOptions(d.DeliverNotification, activity.RegisterOptions{Name: activities.DeliverNotificationName})
}

// StartDelivery runs the delivery worker on its own task queue and starts
// the dispatcher, once: if it is already running (another worker process
// started it) the start is a no-op. The caller stops the worker with the
// returned function. With no channel configured it does nothing.
func StartDelivery(ctx context.Context, c client.Client, d *activities.Delivery, interval time.Duration) (stop func(), err error) {
	if d.SMTP == nil && d.Webhook == nil {
		return func() {}, nil
	}
	w := sdkworker.New(c, workflows.DeliveryTaskQueue, sdkworker.Options{})
	RegisterDelivery(w, d)
	if err := w.Start(); err != nil {
		return nil, err
	}
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.DeliveryWorkflowID,
		TaskQueue:                workflows.DeliveryTaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "Notification delivery: sends the outbox's notices and reminders",
	}, workflows.DeliveryWorkflow, workflows.DeliveryInput{Interval: interval})
	if err != nil {
		w.Stop()
		return nil, fmt.Errorf("start the notification dispatcher: %w", err)
	}
	return w.Stop, nil
}
