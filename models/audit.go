package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The audit log is a hash chain. Every audit_events row carries the hash of
// the row written before it (prev_hash, "" for the first) and its own hash:
//
//	hash = hex(SHA-256(canonical(row) ‖ prev_hash))
//
// so changing, inserting or deleting a row anywhere breaks the chain at that
// row or the one after it, and VerifyAudit (`securebase audit verify`) finds
// it. The chain runs through the whole table in id order.
//
// Limits: someone who can write the database can recompute every hash after
// the row they changed, and removing the newest rows leaves a shorter chain
// that is still intact. Anchor the head (VerifyAudit's Head, printed by
// `audit verify`) outside the database — an inspection report, a ticket — to
// catch both.

// auditChainLockID names the PostgreSQL advisory lock that serialises
// appends to the chain (distinct from migrateLockID).
const auditChainLockID = 0x5EC0A0D17

// auditHashDomain is the first field of every canonical encoding: a
// different encoding in future gets a different name, never the same one.
const auditHashDomain = "securebase.audit_events.v1"

// AuditHash is the row's hash given the previous row's hash. The canonical
// encoding is each field in a fixed order (domain, workflow_id, event_id,
// run_id, staff_id, case_id, actor, action, reason, authority, pack_version,
// rule_id, detail, occurred_at, recorded_at, prev_hash) as an 8-byte
// big-endian length followed by its UTF-8 bytes; instants are RFC 3339 in
// UTC with up to microseconds (what both databases keep). Length prefixes
// make it unambiguous: no two different rows encode the same.
func AuditHash(e *AuditEvent, prevHash string) string {
	h := sha256.New()
	var n [8]byte
	for _, f := range []string{
		auditHashDomain, e.WorkflowID, e.EventID, e.RunID, e.StaffID, e.CaseID, e.Actor, e.Action, e.Reason,
		e.Authority, e.PackVersion, e.RuleID, e.Detail, auditInstant(e.OccurredAt), auditInstant(e.RecordedAt), prevHash,
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func auditInstant(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// AppendAudit adds e to the end of the chain inside tx, unless an event with
// the same (workflow id, event id) is there already: then it writes nothing
// and returns false. It sets e's PrevHash and Hash.
//
// Call it inside a transaction. On PostgreSQL it takes a transaction-scoped
// advisory lock before reading the chain's head, so concurrent writers
// append one after another and the id order is the chain order (ids are
// drawn under the lock; a rolled-back append leaves only a gap in ids). The
// lock is held until the transaction ends, so keep what follows short. On
// SQLite every write transaction already holds the database's write lock
// (BEGIN IMMEDIATE) and the one connection serialises the rest.
func AppendAudit(tx *gorm.DB, e *AuditEvent) (bool, error) {
	if err := lockAuditChain(tx); err != nil {
		return false, err
	}
	prev, err := auditHead(tx)
	if err != nil {
		return false, err
	}
	// Store exactly what is hashed: both databases keep microseconds, and
	// gorm would leave an empty detail to the column default '{}'.
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	e.RecordedAt = e.RecordedAt.UTC().Truncate(time.Microsecond)
	if e.Detail == "" {
		e.Detail = "{}"
	}
	e.PrevHash = prev
	e.Hash = AuditHash(e, prev)
	res := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "workflow_id"}, {Name: "event_id"}},
		DoNothing: true,
	}).Create(e)
	if res.Error != nil {
		return false, fmt.Errorf("insert audit event: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func lockAuditChain(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", auditChainLockID).Error; err != nil {
		return fmt.Errorf("lock the audit chain: %w", err)
	}
	return nil
}

// auditHead is the hash of the newest row, "" on an empty table.
func auditHead(tx *gorm.DB) (string, error) {
	var hs []string
	if err := tx.Model(&AuditEvent{}).Order("id DESC").Limit(1).Pluck("hash", &hs).Error; err != nil {
		return "", fmt.Errorf("read the audit chain's head: %w", err)
	}
	if len(hs) == 0 {
		return "", nil
	}
	return hs[0], nil
}

// chainExistingAudit gives rows written before the chain existed their
// hashes, in id order (migration 4).
func chainExistingAudit(tx *gorm.DB) error {
	if err := lockAuditChain(tx); err != nil {
		return err
	}
	prev := ""
	return walkAudit(tx, func(e *AuditEvent) (bool, error) {
		h := AuditHash(e, prev)
		// Raw SQL: AuditEvent refuses model updates (append-only), and this
		// is the one sanctioned write to existing rows.
		if err := tx.Exec("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", prev, h, e.ID).Error; err != nil {
			return false, fmt.Errorf("chain audit event %d: %w", e.ID, err)
		}
		prev = h
		return true, nil
	})
}

// walkAudit calls fn on every audit row in id order, a page at a time, until
// fn returns false.
func walkAudit(db *gorm.DB, fn func(*AuditEvent) (bool, error)) error {
	const page = 500
	var after int64
	for {
		var rows []AuditEvent
		if err := db.Where("id > ?", after).Order("id").Limit(page).Find(&rows).Error; err != nil {
			return fmt.Errorf("read audit events after %d: %w", after, err)
		}
		for i := range rows {
			more, err := fn(&rows[i])
			if err != nil || !more {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// BrokenLink is the first place the audit chain does not hold.
type BrokenLink struct {
	ID         int64  `json:"id"`
	WorkflowID string `json:"workflow_id"`
	EventID    string `json:"event_id"`
	Action     string `json:"action"`
	// Problem is "content" when the row is not what was hashed (it was
	// changed), "link" when its prev_hash is not the previous row's hash (a
	// row before it was deleted, inserted or re-hashed).
	Problem  string `json:"problem"`
	Expected string `json:"expected"` // the hash the chain says it should be
	Found    string `json:"found"`    // the hash the row has
}

func (b *BrokenLink) String() string {
	what := "its content does not match its hash (the row was changed)"
	if b.Problem == "link" {
		what = "its prev_hash does not match the previous row's hash (a row before it was deleted, inserted or re-hashed)"
	}
	return fmt.Sprintf("broken at audit event id %d (workflow %q, event %q, action %q): %s; expected %s, found %s",
		b.ID, b.WorkflowID, b.EventID, b.Action, what, b.Expected, b.Found)
}

// VerifyAudit walks the chain in id order. It returns how many rows it
// checked (including a broken one) and the first broken link, nil when the
// chain is intact.
func VerifyAudit(ctx context.Context, db *gorm.DB) (checked int, firstBroken *BrokenLink, err error) {
	checked, _, firstBroken, err = verifyAudit(ctx, db)
	return checked, firstBroken, err
}

// AuditHead verifies the chain like VerifyAudit and also returns the newest
// row's hash, to be noted outside the database.
func AuditHead(ctx context.Context, db *gorm.DB) (checked int, head string, firstBroken *BrokenLink, err error) {
	return verifyAudit(ctx, db)
}

func verifyAudit(ctx context.Context, db *gorm.DB) (int, string, *BrokenLink, error) {
	checked, prev := 0, ""
	var broken *BrokenLink
	err := walkAudit(db.WithContext(ctx), func(e *AuditEvent) (bool, error) {
		checked++
		link := &BrokenLink{ID: e.ID, WorkflowID: e.WorkflowID, EventID: e.EventID, Action: e.Action}
		switch want := AuditHash(e, e.PrevHash); {
		case e.PrevHash != prev:
			link.Problem, link.Expected, link.Found = "link", prev, e.PrevHash
		case e.Hash != want:
			link.Problem, link.Expected, link.Found = "content", want, e.Hash
		default:
			prev = e.Hash
			return true, nil
		}
		broken = link
		return false, nil
	})
	if err != nil {
		return checked, "", nil, err
	}
	return checked, prev, broken, nil
}

// Read is one read of personal records, for the audit log.
type Read struct {
	Actor   string // who read
	Action  string // "trail.read", "record.read", ...
	StaffID string // whose records, when a person's
	CaseID  string // which case, when a case's
	Path    string // what was asked for: the request's path and query
}

// RecordRead writes an audit event for a read of personal records into the
// same hash chain as every decision. Reads belong to no workflow: their
// workflow_id is empty and their event_id "read:" and a random id. A read
// that cannot be recorded must not be served: callers stop on an error.
func RecordRead(ctx context.Context, db *gorm.DB, r Read) error {
	if r.Actor == "" || r.Action == "" {
		return errors.New("record read: actor and action are required")
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	detail, err := json.Marshal(map[string]string{"path": r.Path})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	e := AuditEvent{
		EventID:    "read:" + hex.EncodeToString(id[:]),
		StaffID:    r.StaffID,
		CaseID:     r.CaseID,
		Actor:      r.Actor,
		Action:     r.Action,
		Reason:     "read " + r.Path,
		Detail:     string(detail),
		OccurredAt: now,
		RecordedAt: now,
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := AppendAudit(tx, &e)
		return err
	})
}
