package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Webhook headers. The idempotency key is the notification's id: a receiver
// that has seen it drops the repeat.
const (
	HeaderSignature      = "X-Securebase-Signature" // "sha256=" + hex HMAC-SHA256 of the body
	HeaderIdempotencyKey = "Idempotency-Key"
)

// SMTPConfig is the mail channel: the server, the sender, optional PLAIN
// auth (over STARTTLS when the server offers it), and how a staff id becomes
// an address: AddressPattern with "{staff}" replaced, "{staff}@council.example".
type SMTPConfig struct {
	Addr           string // host:port
	From           string
	Username       string
	Password       string
	AddressPattern string
}

// WebhookConfig is the webhook channel: each notification is POSTed as JSON,
// signed with Secret.
type WebhookConfig struct {
	URL    string
	Secret string
}

// Delivery holds what the delivery activities need. A nil channel is off.
type Delivery struct {
	DB      *gorm.DB
	Packs   *policy.Registry
	SMTP    *SMTPConfig
	Webhook *WebhookConfig
	HTTP    *http.Client // nil: a client with a 30 s timeout
}

// Channels lists the channels that are on.
func (d *Delivery) Channels() []string {
	var cs []string
	if d.SMTP != nil {
		cs = append(cs, models.ChannelEmail)
	}
	if d.Webhook != nil {
		cs = append(cs, models.ChannelWebhook)
	}
	return cs
}

// ListUndelivered returns the notifications still to deliver.
func (d *Delivery) ListUndelivered(ctx context.Context, in ListUndeliveredInput) (ListUndeliveredResult, error) {
	ids, err := models.ListUndelivered(ctx, d.DB, in.Limit, in.MaxAttempts)
	return ListUndeliveredResult{IDs: ids}, err
}

// DeliverNotification sends one notification on every channel that has not
// taken it yet, then stamps delivered_at (once). Each channel is marked as
// soon as its send succeeds, so a retry after a failure on another channel
// never repeats it. What cannot be closed is a crash between a send and its
// mark: the retry sends again, with the same Message-ID and idempotency key,
// so the receiver can drop the duplicate.
func (d *Delivery) DeliverNotification(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	var n models.Notification
	err := d.DB.WithContext(ctx).Where("id = ?", in.NotificationID).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return DeliverResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("notification %d does not exist", in.NotificationID), InvalidEventError, nil)
	}
	if err != nil {
		return DeliverResult{}, fmt.Errorf("read notification %d: %w", in.NotificationID, err)
	}
	if n.DeliveredAt != nil {
		return DeliverResult{Delivered: true}, nil
	}
	var res DeliverResult
	for _, ch := range d.Channels() {
		sent, err := d.deliverOn(ctx, n, ch)
		if err != nil {
			return res, err
		}
		if sent {
			res.Sent = append(res.Sent, ch)
		}
	}
	err = d.DB.WithContext(ctx).Model(&models.Notification{}).
		Where("id = ? AND delivered_at IS NULL", n.ID).
		Update("delivered_at", time.Now().UTC()).Error
	if err != nil {
		return res, fmt.Errorf("mark notification %d delivered: %w", n.ID, err)
	}
	res.Delivered = true
	return res, nil
}

// deliverOn sends n on one channel unless that channel has taken it; it
// counts the attempt first, so a crash mid-send still shows as an attempt.
func (d *Delivery) deliverOn(ctx context.Context, n models.Notification, channel string) (bool, error) {
	db := d.DB.WithContext(ctx)
	row := models.Delivery{NotificationID: n.ID, Channel: channel}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return false, fmt.Errorf("open %s delivery of notification %d: %w", channel, n.ID, err)
	}
	if err := db.Where("notification_id = ? AND channel = ?", n.ID, channel).Take(&row).Error; err != nil {
		return false, fmt.Errorf("read %s delivery of notification %d: %w", channel, n.ID, err)
	}
	if row.DeliveredAt != nil {
		return false, nil
	}
	mark := func(values map[string]any) error {
		values["updated_at"] = time.Now().UTC()
		return db.Model(&models.Delivery{}).Where("id = ?", row.ID).Updates(values).Error
	}
	if channel == models.ChannelEmail && n.Recipient == "" {
		// Only the role is known (no manager of record): nobody to mail.
		// The webhook still carries it, with the role, to whoever routes it.
		now := time.Now().UTC()
		return false, mark(map[string]any{"outcome": models.OutcomeSkipped, "delivered_at": &now, "last_error": "no recipient named, only the role " + n.RecipientRole})
	}
	if err := mark(map[string]any{"attempts": gorm.Expr("attempts + 1")}); err != nil {
		return false, fmt.Errorf("count %s attempt of notification %d: %w", channel, n.ID, err)
	}
	var sendErr error
	switch channel {
	case models.ChannelEmail:
		sendErr = d.sendEmail(ctx, n)
	case models.ChannelWebhook:
		sendErr = d.postWebhook(ctx, n)
	}
	if sendErr != nil {
		if err := mark(map[string]any{"last_error": sendErr.Error()}); err != nil {
			return false, errors.Join(sendErr, err)
		}
		return false, sendErr
	}
	now := time.Now().UTC()
	if err := mark(map[string]any{"outcome": models.OutcomeSent, "delivered_at": &now, "last_error": ""}); err != nil {
		return true, fmt.Errorf("mark %s delivery of notification %d: %w", channel, n.ID, err)
	}
	return true, nil
}

// IdempotencyKey is what a receiver de-duplicates a notification by.
func IdempotencyKey(n models.Notification) string { return strconv.FormatInt(n.ID, 10) }

// EmailAddress is a staff member's address under the pattern.
func (c *SMTPConfig) EmailAddress(staffID string) string {
	return strings.ReplaceAll(c.AddressPattern, "{staff}", staffID)
}

// MessageID is the notification's fixed Message-ID, the same on every
// retry, so a mail system or reader can drop a repeat.
func (c *SMTPConfig) MessageID(n models.Notification) string {
	domain := "securebase.invalid"
	if _, host, ok := strings.Cut(c.From, "@"); ok {
		domain = strings.Trim(host, "> ")
	}
	return fmt.Sprintf("<notification-%s@%s>", IdempotencyKey(n), domain)
}

// message is the RFC 5322 text of n to to.
func (c *SMTPConfig) message(n models.Notification, to string) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", c.From)
	header("To", to)
	header("Subject", oneLine(n.Subject))
	header("Date", n.CreatedAt.UTC().Format(time.RFC1123Z))
	header("Message-ID", c.MessageID(n))
	header("X-Securebase-Kind", n.Kind)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	body := strings.ReplaceAll(strings.ReplaceAll(n.Body, "\r\n", "\n"), "\n", "\r\n")
	b.WriteString(body + "\r\n")
	return b.Bytes()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sendEmail sends n to its recipient through the configured server.
func (d *Delivery) sendEmail(ctx context.Context, n models.Notification) error {
	c := d.SMTP
	to := c.EmailAddress(n.Recipient)
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return permanent("smtp address %q: %v", c.Addr, err)
	}
	dialer := net.Dialer{Timeout: 30 * time.Second}
	conn, err := dialer.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", c.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	client, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return smtpError("greeting", err)
	}
	defer client.Close()
	if ok, _ := client.Extension("STARTTLS"); ok {
		if err := client.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return smtpError("starttls", err)
		}
	}
	if c.Username != "" {
		if err := client.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return smtpError("auth", err)
		}
	}
	if err := client.Mail(c.From); err != nil {
		return smtpError("mail from", err)
	}
	if err := client.Rcpt(to); err != nil {
		return smtpError("rcpt to "+to, err)
	}
	w, err := client.Data()
	if err != nil {
		return smtpError("data", err)
	}
	if _, err := w.Write(c.message(n, to)); err != nil {
		return smtpError("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("data", err)
	}
	return client.Quit()
}

// smtpError makes a 5xx reply permanent; anything else (4xx, network) retries.
func smtpError(step string, err error) error {
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code >= 500 {
		return permanent("smtp %s: %v", step, err)
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

// WebhookPayload is the JSON body of a webhook delivery.
type WebhookPayload struct {
	ID             int64     `json:"id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Kind           string    `json:"kind"` // "reminder", "overdue", "escalation"
	Recipient      string    `json:"recipient,omitempty"`
	RecipientRole  string    `json:"recipient_role"`
	StaffID        string    `json:"staff_id"`
	Subject        string    `json:"subject"`
	Body           string    `json:"body"`
	DueKey         string    `json:"due_key,omitempty"`
	WorkflowID     string    `json:"workflow_id"`
	EventID        string    `json:"event_id"`
	CreatedAt      time.Time `json:"created_at"`
}

// Sign is the signature header's value for body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// postWebhook POSTs n, signed. 2xx is delivered; 408, 425, 429 and 5xx
// retry; any other 4xx is the receiver refusing it for good.
func (d *Delivery) postWebhook(ctx context.Context, n models.Notification) error {
	body, err := json.Marshal(WebhookPayload{
		ID: n.ID, IdempotencyKey: IdempotencyKey(n), Kind: n.Kind, Recipient: n.Recipient, RecipientRole: n.RecipientRole,
		StaffID: n.StaffID, Subject: n.Subject, Body: n.Body, DueKey: n.DueKey,
		WorkflowID: n.WorkflowID, EventID: n.EventID, CreatedAt: n.CreatedAt.UTC(),
	})
	if err != nil {
		return permanent("encode notification %d: %v", n.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return permanent("webhook url: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, IdempotencyKey(n))
	req.Header.Set(HeaderSignature, Sign(d.Webhook.Secret, body))
	hc := d.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == 408 || code == 425 || code == 429 || code >= 500:
		return fmt.Errorf("webhook: %s", resp.Status)
	default:
		return permanent("webhook: %s", resp.Status)
	}
}

func permanent(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), PermanentDeliveryError, nil)
}

// RaiseReminders writes a "reminder" notification to the supervisor for
// every due item whose due date is within its authority's lead time
// (reminders.before in the pack in force today), once per (workflow id, due
// key, due date): a duty moved to a new date is reminded again. Overdue,
// met and closed items are not reminded: the lifecycles handle those.
func (d *Delivery) RaiseReminders(ctx context.Context, in RemindersInput) (RemindersResult, error) {
	today, err := policy.ParseDate(in.Today)
	if err != nil {
		return RemindersResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("today %q: %v", in.Today, err), InvalidEventError, nil)
	}
	db := d.DB.WithContext(ctx)
	var authorities []string
	err = db.Model(&models.DueItem{}).Where("status = ? AND due_on >= ?", models.DueStatusDue, today.String()).
		Distinct().Order("authority").Pluck("authority", &authorities).Error
	if err != nil {
		return RemindersResult{}, fmt.Errorf("authorities with duties due: %w", err)
	}
	var res RemindersResult
	for _, authority := range authorities {
		pack, err := d.Packs.Pack(authority, today)
		if err != nil || pack.Reminders == nil {
			continue // no pack in force, or it asks for no reminders
		}
		until := pack.Reminders.RemindFrom(today, policy.NewCalendar(pack.ClosureDays))
		var items []models.DueItem
		err = db.Where("authority = ? AND status = ? AND due_on >= ? AND due_on <= ?", authority, models.DueStatusDue, today.String(), until.String()).
			Order("due_on, id").Find(&items).Error
		if err != nil {
			return res, fmt.Errorf("duties due in %s by %s: %w", authority, until, err)
		}
		for _, it := range items {
			raised, err := d.remind(db, it, pack)
			if err != nil {
				return res, err
			}
			if raised {
				res.Raised++
			}
		}
	}
	return res, nil
}

// remind writes one item's reminder unless it has one.
func (d *Delivery) remind(db *gorm.DB, it models.DueItem, pack *policy.Pack) (bool, error) {
	eventID := "reminder:" + it.Key + "@" + it.DueOn
	var seen int64
	if err := db.Model(&models.Notification{}).Where("workflow_id = ? AND event_id = ?", it.WorkflowID, eventID).Count(&seen).Error; err != nil {
		return false, fmt.Errorf("reminder for %s/%s: %w", it.WorkflowID, it.Key, err)
	}
	if seen > 0 {
		return false, nil
	}
	name, supervisor := it.StaffID, ""
	var staff models.Staff
	if err := db.Where("id = ?", it.StaffID).Take(&staff).Error; err == nil {
		name = staff.Name
		if staff.SupervisorID != nil {
			supervisor = *staff.SupervisorID
		}
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return false, fmt.Errorf("staff %s: %w", it.StaffID, err)
	}
	what := strings.ReplaceAll(it.Kind, "_", " ")
	about := fmt.Sprintf("%s (%s)", name, it.StaffID)
	if it.CaseID != "" {
		about += ", case " + it.CaseID
	}
	row := models.Notification{
		WorkflowID: it.WorkflowID, EventID: eventID,
		RecipientRole: "supervisor", Recipient: supervisor, StaffID: it.StaffID,
		Kind:    "reminder",
		Subject: fmt.Sprintf("Reminder: %s for %s due %s", what, name, it.DueOn),
		Body: fmt.Sprintf("The %s for %s is due on %s (%s). Reminded %s ahead under %s of the %s policy pack %s.",
			what, about, it.DueOn, it.RuleID, pack.Reminders.Before, pack.Reminders.Rule, pack.Authority, pack.Version),
		DueKey:    it.Key,
		CreatedAt: time.Now().UTC(),
	}
	res := db.Clauses(onConflictDoNothing("workflow_id", "event_id", "recipient_role", "recipient")).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("insert reminder for %s/%s: %w", it.WorkflowID, it.Key, res.Error)
	}
	return res.RowsAffected == 1, nil
}
