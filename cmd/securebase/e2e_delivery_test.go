package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/activities/smtptest"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Through the running system: an NQSW whose first ASYE session was never
// recorded goes overdue, and the supervisor's email arrives at a local SMTP
// listener, once, with delivered_at stamped on the notice.
func TestEndToEndOverdueEmail(t *testing.T) {
	mail := smtptest.Start(t)
	t.Setenv("SECUREBASE_SMTP_ADDR", mail.Addr)
	t.Setenv("SECUREBASE_SMTP_FROM", "securebase@council.example")
	t.Setenv("SECUREBASE_EMAIL_PATTERN", "{staff}@council.example")
	t.Setenv("SECUREBASE_DELIVERY_INTERVAL", "200ms")
	sys, db := startOnPostgres(t)

	today := policy.DateOf(time.Now())
	tm := sys.onboardManagers("cumberland", "north", today.AddDays(-400), today.AddDays(-400))
	tm.onboard("nq-9", "nqsw", "tm-1", today.AddDays(-30))

	eventually(t, "the overdue email to tm-1", func() bool {
		for _, m := range mail.To("tm-1@council.example") {
			if m.Header.Get("X-Securebase-Kind") == "overdue" && strings.Contains(m.Body, "nq-9") {
				return true
			}
		}
		return false
	})
	var n models.Notification
	if err := db.Where("staff_id = ? AND kind = ? AND recipient = ?", "nq-9", "overdue", "tm-1").Order("id").First(&n).Error; err != nil {
		t.Fatal(err)
	}
	eventually(t, "delivered_at on the overdue notice", func() bool {
		db.Take(&n, n.ID)
		return n.DeliveredAt != nil
	})
	seen := 0
	for _, m := range mail.To("tm-1@council.example") {
		if m.Header.Get("Message-ID") == "<notification-"+strconv.FormatInt(n.ID, 10)+"@council.example>" {
			seen++
			if m.Header.Get("Subject") != n.Subject {
				t.Errorf("subject %q, want %q", m.Header.Get("Subject"), n.Subject)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("the notice was emailed %d times, want once", seen)
	}
}
