package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The notifications table is the outbox: lifecycles raise notices as rows
// (through RecordEvent), and the Delivery dispatcher sends each one on every
// configured channel and stamps delivered_at once all of them took it.

// Delivery channels.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Outcomes of a channel's delivery.
const (
	OutcomeSent    = "sent"
	OutcomeSkipped = "skipped" // nothing to send to on this channel (an email to a role with nobody named)
)

// Delivery is one notification on one channel: how many attempts, the last
// error, and when it was delivered. One row per (notification, channel), so
// a channel that took a notice is never sent it again when another channel
// is still being retried.
type Delivery struct {
	ID             int64      `gorm:"primaryKey;autoIncrement" json:"id"`
	NotificationID int64      `gorm:"not null;uniqueIndex:ux_deliveries_channel,priority:1" json:"notification_id"`
	Channel        string     `gorm:"not null;uniqueIndex:ux_deliveries_channel,priority:2" json:"channel"`
	Attempts       int        `gorm:"not null;default:0" json:"attempts"`
	LastError      string     `gorm:"type:text;not null;default:''" json:"last_error,omitempty"`
	Outcome        string     `gorm:"not null;default:''" json:"outcome,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func (Delivery) TableName() string { return "notification_deliveries" }

// OutboxModels are the delivery tables, in creation order.
func OutboxModels() []any { return []any{&Delivery{}} }

// migrateOutbox creates the deliveries table and a partial index that keeps
// "what is still to deliver" cheap however long the notifications table grows.
func migrateOutbox(tx *gorm.DB) error {
	if err := tx.AutoMigrate(OutboxModels()...); err != nil {
		return err
	}
	return tx.Exec("CREATE INDEX IF NOT EXISTS ix_notifications_undelivered ON notifications (id) WHERE delivered_at IS NULL").Error
}

// ListUndelivered returns up to limit notifications not yet delivered,
// oldest first, leaving out any whose channel has failed maxAttempts times
// (they wait for an operator: their last error says why).
func ListUndelivered(ctx context.Context, db *gorm.DB, limit, maxAttempts int) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Model(&Notification{}).
		Where("delivered_at IS NULL").
		Where("NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notifications.id AND d.delivered_at IS NULL AND d.attempts >= ?)", maxAttempts).
		Order("id").Limit(limit).
		Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list undelivered notifications: %w", err)
	}
	return ids, nil
}

// ListDeliveries returns a notification's deliveries by channel.
func ListDeliveries(ctx context.Context, db *gorm.DB, notificationID int64) ([]Delivery, error) {
	var ds []Delivery
	err := db.WithContext(ctx).Where("notification_id = ?", notificationID).Order("channel, id").Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("list deliveries of notification %d: %w", notificationID, err)
	}
	return ds, nil
}
