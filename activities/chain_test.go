package activities_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
)

// Every event RecordEvent writes joins the audit hash chain, in one chain
// however many workers write at once; retries add nothing to it.
func TestRecordEventChainsAuditUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, db *gorm.DB) {
		const workers, events = 10, 12
		var wg sync.WaitGroup
		errs := make(chan error, workers*events)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range events {
					ev := onboarding()
					// Pairs of workers record the same events (a retry racing
					// the first attempt); each pair writes its own staff.
					staff := fmt.Sprintf("emp-%d", w/2)
					ev.WorkflowID, ev.StaffID, ev.EventID = "ASYE:"+staff, staff, fmt.Sprintf("session:%d", i)
					ev.Staff.ID, ev.Supervisor, ev.Session, ev.Notifications = staff, nil, nil, nil
					ev.Due = ev.Due[:1]
					if _, err := (activities.Activities{DB: db}).RecordEvent(context.Background(), ev); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		n, broken, err := models.VerifyAudit(context.Background(), db)
		if err != nil || broken != nil {
			t.Fatalf("chain after concurrent writes: %v, %v", broken, err)
		}
		if want := workers / 2 * events; n != want {
			t.Fatalf("chain has %d events, want %d", n, want)
		}
		var unhashed int64
		db.Model(&models.AuditEvent{}).Where("hash = '' OR hash IS NULL").Count(&unhashed)
		if unhashed != 0 {
			t.Fatalf("%d audit rows without a hash", unhashed)
		}
	})
}
