package models

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The audit log is a set of hash chains, one per stream (AuditStream: a
// lifecycle's workflow id, or for a row outside any workflow the person or
// case it is about), with the streams' heads anchored into one chain.
//
// Every audit_events row carries its stream, its place there (seq 1, 2, ...)
// and the hash of the previous row of that stream (prev_hash, "" for the
// first):
//
//	hash = hex(MAC(canonical(row) ‖ stream ‖ seq ‖ prev_hash))
//
// where MAC is HMAC-SHA256 under SECUREBASE_AUDIT_KEY when that is set (the
// key never enters the database, so someone who can write the database
// cannot recompute the hashes) and plain SHA-256 otherwise. An append locks
// only its own stream's head (audit_stream_heads, SELECT ... FOR UPDATE), so
// writers of different lifecycles never wait on each other.
//
// An anchor (audit_anchors, AnchorAudit: hourly by the AuditAnchor
// Schedule, and by `securebase audit head`) takes the head of every stream
// that moved since the last anchor as a leaf (audit_anchor_leaves), and
// chains the leaves' Merkle root to the previous anchor under the same MAC.
// VerifyAudit checks every stream, every stream's head, every anchor and
// that every leaf is still in the log; checked against an anchor hash kept
// outside the database (`audit verify --anchor`), it also catches a log
// cut short or rewritten after that anchor was taken.

// AuditKeyEnv names the environment variable holding the audit chain's key.
const AuditKeyEnv = "SECUREBASE_AUDIT_KEY"

// auditHashDomain is the first field of every canonical encoding: a
// different encoding in future gets a different name, never the same one.
// v1 (migration 4) was one chain through the whole table.
const (
	auditHashDomainV1 = "securebase.audit_events.v1"
	auditHashDomain   = "securebase.audit_events.v2"
	anchorHashDomain  = "securebase.audit_anchors.v1"
)

// auditMAC is HMAC-SHA256 under the configured key, or SHA-256 without one.
// The key is read at each use so a process needs no set-up step.
func auditMAC() hash.Hash {
	if key := os.Getenv(AuditKeyEnv); key != "" {
		return hmac.New(sha256.New, []byte(key))
	}
	return sha256.New()
}

// AuditKeyed says whether a key is configured (and so whether hashes are HMACs).
func AuditKeyed() bool { return os.Getenv(AuditKeyEnv) != "" }

// writeFields writes each field as an 8-byte big-endian length and its
// bytes: no two different field lists encode the same.
func writeFields(h hash.Hash, fields ...string) string {
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditHash is the row's hash from its content, stream, seq and prev_hash.
// Fields in order: domain, stream, seq (decimal), workflow_id, event_id,
// run_id, staff_id, case_id, actor, action, reason, authority, pack_version,
// rule_id, detail, occurred_at, recorded_at, prev_hash; instants are RFC 3339
// in UTC with up to microseconds (what both databases keep).
func AuditHash(e *AuditEvent) string {
	return writeFields(auditMAC(), auditHashDomain, e.Stream, strconv.FormatInt(e.Seq, 10),
		e.WorkflowID, e.EventID, e.RunID, e.StaffID, e.CaseID, e.Actor, e.Action, e.Reason,
		e.Authority, e.PackVersion, e.RuleID, e.Detail, auditInstant(e.OccurredAt), auditInstant(e.RecordedAt), e.PrevHash)
}

// auditHashV1 is migration 4's hash (one chain, unkeyed); migration 16
// replaces every one of them.
func auditHashV1(e *AuditEvent, prevHash string) string {
	return writeFields(sha256.New(), auditHashDomainV1, e.WorkflowID, e.EventID, e.RunID, e.StaffID, e.CaseID, e.Actor, e.Action, e.Reason,
		e.Authority, e.PackVersion, e.RuleID, e.Detail, auditInstant(e.OccurredAt), auditInstant(e.RecordedAt), prevHash)
}

func auditInstant(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// AuditStream is the chain a row belongs to: its lifecycle's workflow id;
// for a row outside any workflow (a read, a hold, a delegation) the person
// it is about ("staff:<id>"), else the case ("case:<id>"), else whoever
// acted ("actor:<id>"). Workflow ids are "Kind:id" with a capitalised kind,
// so the two never meet. A retried event has the same stream.
func AuditStream(e *AuditEvent) string {
	switch {
	case e.WorkflowID != "":
		return e.WorkflowID
	case e.StaffID != "":
		return "staff:" + e.StaffID
	case e.CaseID != "":
		return "case:" + e.CaseID
	default:
		return "actor:" + e.Actor
	}
}

// AuditStreamHead is a stream's newest row, the one row an append locks.
// AnchoredSeq is the seq the latest anchor took for it.
type AuditStreamHead struct {
	Stream      string `gorm:"primaryKey"`
	Seq         int64  `gorm:"not null;default:0"`
	Hash        string `gorm:"not null;default:''"`
	AnchoredSeq int64  `gorm:"not null;default:0"`
}

func (AuditStreamHead) TableName() string { return "audit_stream_heads" }

// AuditModels are the chain's tables beside audit_events (migration 16).
func AuditModels() []any { return []any{&AuditStreamHead{}, &AuditAnchor{}, &AuditAnchorLeaf{}} }

// AppendAudit adds e to the end of its stream inside tx, unless an event
// with the same (workflow id, event id) is there already: then it writes
// nothing and returns false. It sets e's Stream, Seq, PrevHash and Hash.
//
// Call it inside a transaction. It locks the stream's head row (created on
// the stream's first row) until the transaction ends: a concurrent append
// to the same stream (a retry of the same event included) waits, appends to
// other streams do not. On SQLite every write transaction already holds
// the database's write lock (BEGIN IMMEDIATE).
func AppendAudit(tx *gorm.DB, e *AuditEvent) (bool, error) {
	e.Stream = AuditStream(e)
	head, err := lockStreamHead(tx, e.Stream)
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
	e.Seq, e.PrevHash = head.Seq+1, head.Hash
	e.Hash = AuditHash(e)
	res := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "workflow_id"}, {Name: "event_id"}},
		DoNothing: true,
	}).Create(e)
	if res.Error != nil {
		return false, fmt.Errorf("insert audit event: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	if err := tx.Exec("UPDATE audit_stream_heads SET seq = ?, hash = ? WHERE stream = ?", e.Seq, e.Hash, e.Stream).Error; err != nil {
		return false, fmt.Errorf("move the head of audit stream %q: %w", e.Stream, err)
	}
	return true, nil
}

// lockStreamHead creates the stream's head row if it has none and locks it
// for the rest of the transaction.
func lockStreamHead(tx *gorm.DB, stream string) (AuditStreamHead, error) {
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&AuditStreamHead{Stream: stream}).Error; err != nil {
		return AuditStreamHead{}, fmt.Errorf("create the head of audit stream %q: %w", stream, err)
	}
	q := tx.Where("stream = ?", stream)
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var head AuditStreamHead
	if err := q.Take(&head).Error; err != nil {
		return AuditStreamHead{}, fmt.Errorf("lock the head of audit stream %q: %w", stream, err)
	}
	return head, nil
}

// chainExistingAudit gives rows written before the chain existed their
// hashes, in id order (migration 4, the single chain of v1).
func chainExistingAudit(tx *gorm.DB) error {
	prev := ""
	return walkAuditByID(tx, func(e *AuditEvent) error {
		h := auditHashV1(e, prev)
		// Raw SQL: AuditEvent refuses model updates (append-only), and this
		// is the one sanctioned write to existing rows.
		if err := tx.Exec("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", prev, h, e.ID).Error; err != nil {
			return fmt.Errorf("chain audit event %d: %w", e.ID, err)
		}
		prev = h
		return nil
	})
}

// RechainAudit puts every row into its stream's chain, in id order, and
// sets each stream's head (migration 16; internal/dataset after it
// loads rows). It holds the table for its whole run: a migration's step,
// not a write path. Hashes are keyed when a key is configured.
func RechainAudit(db *gorm.DB) error {
	return db.Transaction(rechainAudit) // a savepoint inside a migration's transaction
}

func rechainAudit(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("LOCK TABLE audit_events, audit_stream_heads IN EXCLUSIVE MODE").Error; err != nil {
			return fmt.Errorf("lock the audit log: %w", err)
		}
	}
	heads := map[string]*AuditStreamHead{}
	var batch []AuditEvent
	flush := func() error {
		if err := updateChained(tx, batch); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	err := walkAuditByID(tx, func(e *AuditEvent) error {
		e.Stream = AuditStream(e)
		h := heads[e.Stream]
		if h == nil {
			h = &AuditStreamHead{Stream: e.Stream}
			heads[e.Stream] = h
		}
		e.Seq, e.PrevHash = h.Seq+1, h.Hash
		e.Hash = AuditHash(e)
		h.Seq, h.Hash = e.Seq, e.Hash
		if batch = append(batch, *e); len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	if err := tx.Exec("DELETE FROM audit_stream_heads").Error; err != nil {
		return err
	}
	rows := make([]AuditStreamHead, 0, len(heads))
	for _, h := range heads {
		rows = append(rows, *h)
	}
	return tx.CreateInBatches(rows, 500).Error
}

// updateChained writes rows' stream, seq, prev_hash and hash: one statement
// per batch on PostgreSQL, one per row on SQLite.
func updateChained(tx *gorm.DB, rows []AuditEvent) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.Dialector.Name() != "postgres" {
		for _, e := range rows {
			if err := tx.Exec("UPDATE audit_events SET stream = ?, seq = ?, prev_hash = ?, hash = ? WHERE id = ?",
				e.Stream, e.Seq, e.PrevHash, e.Hash, e.ID).Error; err != nil {
				return fmt.Errorf("chain audit event %d: %w", e.ID, err)
			}
		}
		return nil
	}
	vals := make([]string, len(rows))
	args := make([]any, 0, 5*len(rows))
	for i, e := range rows {
		vals[i] = "(?::bigint, ?, ?::bigint, ?, ?)"
		args = append(args, e.ID, e.Stream, e.Seq, e.PrevHash, e.Hash)
	}
	err := tx.Exec("UPDATE audit_events a SET stream = v.s, seq = v.q, prev_hash = v.p, hash = v.h FROM (VALUES "+
		strings.Join(vals, ",")+") AS v(id, s, q, p, h) WHERE a.id = v.id", args...).Error
	if err != nil {
		return fmt.Errorf("chain audit events from %d: %w", rows[0].ID, err)
	}
	return nil
}

// walkAuditByID calls fn on every audit row in id order, a page at a time.
func walkAuditByID(db *gorm.DB, fn func(*AuditEvent) error) error {
	const page = 1000
	var after int64
	for {
		var rows []AuditEvent
		if err := db.Where("id > ?", after).Order("id").Limit(page).Find(&rows).Error; err != nil {
			return fmt.Errorf("read audit events after %d: %w", after, err)
		}
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// walkStreams calls fn on every audit row in (stream, seq) order, a page at
// a time, until fn returns false.
func walkStreams(db *gorm.DB, fn func(*AuditEvent) bool) error {
	const page = 1000
	stream, seq := "", int64(-1)
	for {
		var rows []AuditEvent
		// A row comparison: one range of ux_audit_events_stream_seq.
		q := db.Where("(stream, seq) > (?, ?)", stream, seq).Order("stream").Order("seq").Limit(page)
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("read audit events after %s/%d: %w", stream, seq, err)
		}
		for i := range rows {
			if !fn(&rows[i]) {
				return nil
			}
		}
		if len(rows) < page {
			return nil
		}
		stream, seq = rows[len(rows)-1].Stream, rows[len(rows)-1].Seq
	}
}

// BrokenLink is the first place the audit log does not hold.
type BrokenLink struct {
	ID         int64  `json:"id,omitempty"` // the audit event's id (0 for an anchor or a head)
	Stream     string `json:"stream,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	AnchorSeq  int64  `json:"anchor_seq,omitempty"` // the anchor, when Problem is "anchor"
	WorkflowID string `json:"workflow_id,omitempty"`
	EventID    string `json:"event_id,omitempty"`
	Action     string `json:"action,omitempty"`
	// Problem is one of:
	//   "content": the row is not what was hashed (it was changed, or
	//              rehashed without the key);
	//   "link":    its prev_hash or seq does not follow the previous row of
	//              its stream (a row before it was deleted, inserted or
	//              rehashed);
	//   "head":    the stream's newest row is not its recorded head (newest
	//              rows deleted or added behind the application's back);
	//   "anchor":  an anchor does not hold: its hash, its link to the one
	//              before, its Merkle root, or a leaf no longer in the log;
	//   "kept anchor": the anchor kept outside the database is not in the
	//              anchor chain (the log was cut short or rewritten after it).
	Problem  string `json:"problem"`
	Expected string `json:"expected"` // what the chain says it should be
	Found    string `json:"found"`    // what is there
}

func (b *BrokenLink) String() string {
	var what string
	switch b.Problem {
	case "content":
		what = "its content does not match its hash (the row was changed, or rehashed without the key)"
	case "link":
		what = "it does not follow the previous row of its stream (a row before it was deleted, inserted or re-hashed)"
	case "head":
		return fmt.Sprintf("broken at the head of audit stream %q: its newest row is not the head the log recorded (rows deleted or added at its end); expected %s, found %s",
			b.Stream, b.Expected, b.Found)
	case "anchor":
		return fmt.Sprintf("broken at audit anchor %d: %s; expected %s, found %s", b.AnchorSeq, b.Action, b.Expected, b.Found)
	case "kept anchor":
		return fmt.Sprintf("the kept anchor %s is not in the anchor chain (the log was cut short or rewritten after it); newest anchor %s", b.Expected, b.Found)
	}
	return fmt.Sprintf("broken at audit event id %d (stream %q seq %d, workflow %q, event %q, action %q): %s; expected %s, found %s",
		b.ID, b.Stream, b.Seq, b.WorkflowID, b.EventID, b.Action, what, b.Expected, b.Found)
}

// AuditReport is what VerifyAudit found.
type AuditReport struct {
	Events     int         // rows checked (including a broken one)
	Streams    int         // streams checked
	Anchors    int         // anchors checked
	Unanchored int64       // rows newer than their stream's latest anchor
	Head       string      // the newest anchor's hash ("" with none)
	Broken     *BrokenLink // the first broken link, nil when the log holds
}

// VerifyAudit walks every stream in (stream, seq) order, then the anchors.
// It returns how many rows it checked (including a broken one) and the
// first broken link, nil when the log is intact.
func VerifyAudit(ctx context.Context, db *gorm.DB) (checked int, firstBroken *BrokenLink, err error) {
	r, err := VerifyAuditAgainst(ctx, db, "")
	return r.Events, r.Broken, err
}

// VerifyAuditAgainst is VerifyAudit, and when kept is not "" it also
// requires the anchor chain to hold an anchor with that hash: the one an
// operator noted outside the database (`audit head`).
func VerifyAuditAgainst(ctx context.Context, db *gorm.DB, kept string) (AuditReport, error) {
	db = db.WithContext(ctx)
	var r AuditReport
	var headRows []AuditStreamHead
	if err := db.Find(&headRows).Error; err != nil {
		return r, fmt.Errorf("read audit stream heads: %w", err)
	}
	heads := make(map[string]AuditStreamHead, len(headRows))
	for _, h := range headRows {
		heads[h.Stream] = h
		r.Unanchored += h.Seq - h.AnchoredSeq
	}
	var last *AuditEvent // the previous row walked
	endStream := func() *BrokenLink {
		if last == nil {
			return nil
		}
		r.Streams++
		h, ok := heads[last.Stream]
		delete(heads, last.Stream)
		if !ok || h.Seq != last.Seq || h.Hash != last.Hash {
			return &BrokenLink{Stream: last.Stream, Problem: "head",
				Expected: fmt.Sprintf("seq %d %s", h.Seq, h.Hash), Found: fmt.Sprintf("seq %d %s", last.Seq, last.Hash)}
		}
		return nil
	}
	err := walkStreams(db, func(e *AuditEvent) bool {
		if last != nil && last.Stream != e.Stream {
			if r.Broken = endStream(); r.Broken != nil {
				return false
			}
			last = nil
		}
		r.Events++
		prevHash, prevSeq := "", int64(0)
		if last != nil {
			prevHash, prevSeq = last.Hash, last.Seq
		}
		link := &BrokenLink{ID: e.ID, Stream: e.Stream, Seq: e.Seq, WorkflowID: e.WorkflowID, EventID: e.EventID, Action: e.Action}
		switch want := AuditHash(e); {
		case e.Seq != prevSeq+1 || e.PrevHash != prevHash:
			link.Problem = "link"
			link.Expected, link.Found = fmt.Sprintf("seq %d after %s", prevSeq+1, prevHash), fmt.Sprintf("seq %d after %s", e.Seq, e.PrevHash)
		case e.Stream != AuditStream(e):
			link.Problem, link.Expected, link.Found = "content", AuditStream(e), e.Stream
		case e.Hash != want:
			link.Problem, link.Expected, link.Found = "content", want, e.Hash
		default:
			ev := *e
			last = &ev
			return true
		}
		r.Broken = link
		return false
	})
	if err != nil || r.Broken != nil {
		return r, err
	}
	if r.Broken = endStream(); r.Broken != nil {
		return r, nil
	}
	for _, stream := range slices.Sorted(maps.Keys(heads)) { // heads whose stream has no rows left: the first by name
		if h := heads[stream]; h.Seq > 0 {
			r.Broken = &BrokenLink{Stream: stream, Problem: "head", Expected: fmt.Sprintf("seq %d %s", h.Seq, h.Hash), Found: "no rows"}
			return r, nil
		}
	}
	return r, verifyAnchors(db, kept, &r)
}

// Read is one read of personal records, for the audit log.
type Read struct {
	Actor   string // who read
	Action  string // "trail.read", "record.read", ...
	StaffID string // whose records, when a person's
	CaseID  string // which case, when a case's
	Path    string // what was asked for: the request's path and query
}

// RecordRead writes an audit event for a read of personal records through
// the same append as every decision (AppendAudit). Reads belong to no workflow: their
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
