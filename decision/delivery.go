package decision

// Delivery activity names.
const (
	RaiseRemindersName      = "RaiseReminders"
	ListUndeliveredName     = "ListUndelivered"
	DeliverNotificationName = "DeliverNotification"
)

// PermanentDeliveryError is the application error type of a send the
// receiver refused for good (an SMTP 5xx, a webhook 4xx): retrying the same
// message cannot help, so Temporal does not.
const PermanentDeliveryError = "PermanentDelivery"

// ListUndeliveredInput asks for the next batch.
type ListUndeliveredInput struct {
	Limit       int `json:"limit"`
	MaxAttempts int `json:"max_attempts"` // a channel failing this often is left for an operator
}

// ListUndeliveredResult is the batch, oldest first.
type ListUndeliveredResult struct {
	IDs []int64 `json:"ids"`
}

// DeliverInput names one notification.
type DeliverInput struct {
	NotificationID int64 `json:"notification_id"`
}

// DeliverResult says what happened to it.
type DeliverResult struct {
	Delivered bool     `json:"delivered"`
	Sent      []string `json:"sent,omitempty"` // channels sent on by this attempt
}

// RemindersInput is the day the dispatcher believes it is (London).
type RemindersInput struct {
	Today string `json:"today"` // YYYY-MM-DD
}

// RemindersResult counts the reminders raised.
type RemindersResult struct {
	Raised int `json:"raised"`
}
