package models

// Anchors: the audit streams' heads, taken periodically into one chain
// (audit.go says how the whole log fits together).

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AuditAnchor is one anchor: the Merkle root of the heads of the streams
// that moved since the anchor before it (its leaves), chained to that anchor.
type AuditAnchor struct {
	Seq      int64     `gorm:"primaryKey;autoIncrement:false" json:"seq"` // 1, 2, ...
	At       time.Time `gorm:"not null" json:"at"`
	Leaves   int       `gorm:"not null" json:"leaves"`
	Root     string    `gorm:"not null" json:"root"`
	PrevHash string    `gorm:"not null;default:''" json:"prev_hash"`
	Hash     string    `gorm:"not null" json:"hash"`
}

func (AuditAnchor) TableName() string { return "audit_anchors" }

// AuditAnchorLeaf is one stream's head as an anchor took it.
type AuditAnchorLeaf struct {
	AnchorSeq int64  `gorm:"primaryKey;autoIncrement:false"`
	Stream    string `gorm:"primaryKey"`
	Seq       int64  `gorm:"not null"`
	Hash      string `gorm:"not null"`
}

func (AuditAnchorLeaf) TableName() string { return "audit_anchor_leaves" }

// anchorLockID names the PostgreSQL advisory lock that serialises anchor
// writers (the Schedule and `audit head`); appends never take it.
const anchorLockID = 0x5EC0A7C4

// AnchorHash is the anchor's hash: fields domain, seq, at, leaves, root,
// prev_hash under the audit MAC (keyed when a key is configured).
func AnchorHash(a *AuditAnchor) string {
	return writeFields(auditMAC(), anchorHashDomain, strconv.FormatInt(a.Seq, 10), auditInstant(a.At),
		strconv.Itoa(a.Leaves), a.Root, a.PrevHash)
}

// MerkleRoot is the root over leaves in stream order: a leaf hashes as
// SHA-256(0x00 ‖ stream ‖ seq ‖ hash) (length-prefixed fields), a node as
// SHA-256(0x01 ‖ left ‖ right), an odd node out moves up unchanged; no
// leaves give SHA-256 of nothing.
func MerkleRoot(leaves []AuditAnchorLeaf) string {
	if len(leaves) == 0 {
		return fmt.Sprintf("%x", sha256.Sum256(nil))
	}
	level := make([][]byte, len(leaves))
	for i, l := range leaves {
		h := sha256.New()
		h.Write([]byte{0})
		sum := writeFields(h, l.Stream, strconv.FormatInt(l.Seq, 10), l.Hash)
		level[i] = []byte(sum)
	}
	for len(level) > 1 {
		var next [][]byte
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			h := sha256.New()
			h.Write([]byte{1})
			h.Write(level[i])
			h.Write(level[i+1])
			next = append(next, fmt.Appendf(nil, "%x", h.Sum(nil)))
		}
		level = next
	}
	return string(level[0])
}

// AnchorAudit takes the head of every stream that moved since the last
// anchor into a new anchor and returns it; when none moved it returns the
// newest anchor (nil on an empty log). It row-locks only the heads it takes,
// for one short transaction.
func AnchorAudit(ctx context.Context, db *gorm.DB, at time.Time) (*AuditAnchor, error) {
	var out *AuditAnchor
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if tx.Dialector.Name() == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", anchorLockID).Error; err != nil {
				return fmt.Errorf("lock the audit anchors: %w", err)
			}
		}
		var prev []AuditAnchor
		if err := tx.Order("seq DESC").Limit(1).Find(&prev).Error; err != nil {
			return fmt.Errorf("read the newest audit anchor: %w", err)
		}
		var leaves []AuditAnchorLeaf
		// One statement: a head being appended to is taken once its append
		// commits, at the seq it committed.
		if err := tx.Raw("UPDATE audit_stream_heads SET anchored_seq = seq WHERE seq > anchored_seq RETURNING stream, seq, hash").
			Scan(&leaves).Error; err != nil {
			return fmt.Errorf("take the audit stream heads: %w", err)
		}
		if len(leaves) == 0 {
			if len(prev) > 0 {
				out = &prev[0]
			}
			return nil
		}
		sort.Slice(leaves, func(i, j int) bool { return leaves[i].Stream < leaves[j].Stream })
		a := AuditAnchor{Seq: 1, At: at.UTC().Truncate(time.Microsecond), Leaves: len(leaves), Root: MerkleRoot(leaves)}
		if len(prev) > 0 {
			a.Seq, a.PrevHash = prev[0].Seq+1, prev[0].Hash
		}
		a.Hash = AnchorHash(&a)
		for i := range leaves {
			leaves[i].AnchorSeq = a.Seq
		}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("write audit anchor %d: %w", a.Seq, err)
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(leaves, 500).Error; err != nil {
			return fmt.Errorf("write audit anchor %d's leaves: %w", a.Seq, err)
		}
		out = &a
		return nil
	})
	return out, err
}

// verifyAnchors checks the anchor chain in order: each anchor's link, hash
// and Merkle root, and that each leaf is still the row of the log it names;
// then that the kept anchor, if any, is one of them.
func verifyAnchors(db *gorm.DB, kept string, r *AuditReport) error {
	const page = 200
	var after int64
	prev, keptFound := "", kept == ""
	for {
		var anchors []AuditAnchor
		if err := db.Where("seq > ?", after).Order("seq").Limit(page).Find(&anchors).Error; err != nil {
			return fmt.Errorf("read audit anchors after %d: %w", after, err)
		}
		for i := range anchors {
			a := &anchors[i]
			r.Anchors++
			broken := func(what, expected, found string) error {
				r.Broken = &BrokenLink{AnchorSeq: a.Seq, Problem: "anchor", Action: what, Expected: expected, Found: found}
				return nil
			}
			if a.Seq != after+1 || a.PrevHash != prev {
				return broken("it does not follow the anchor before it (an anchor was deleted, inserted or rewritten)",
					fmt.Sprintf("seq %d after %s", after+1, prev), fmt.Sprintf("seq %d after %s", a.Seq, a.PrevHash))
			}
			if want := AnchorHash(a); a.Hash != want {
				return broken("its content does not match its hash", want, a.Hash)
			}
			var leaves []struct {
				AuditAnchorLeaf
				RowHash *string
			}
			if err := db.Raw(`SELECT l.anchor_seq, l.stream, l.seq, l.hash, e.hash AS row_hash FROM audit_anchor_leaves l
				LEFT JOIN audit_events e ON e.stream = l.stream AND e.seq = l.seq
				WHERE l.anchor_seq = ? ORDER BY l.stream`, a.Seq).Scan(&leaves).Error; err != nil {
				return fmt.Errorf("read audit anchor %d's leaves: %w", a.Seq, err)
			}
			ls := make([]AuditAnchorLeaf, len(leaves))
			for j, l := range leaves {
				ls[j] = l.AuditAnchorLeaf
				if l.RowHash == nil || *l.RowHash != l.Hash {
					found := "no such row"
					if l.RowHash != nil {
						found = *l.RowHash
					}
					return broken(fmt.Sprintf("its leaf for stream %q seq %d is not in the log as anchored (rows deleted or rewritten)", l.Stream, l.Seq),
						l.Hash, found)
				}
			}
			if root := MerkleRoot(ls); len(ls) != a.Leaves || root != a.Root {
				return broken(fmt.Sprintf("its %d leaves do not give its root (leaves deleted or changed)", len(ls)), a.Root, root)
			}
			prev, after = a.Hash, a.Seq
			keptFound = keptFound || a.Hash == kept
		}
		if len(anchors) < page {
			break
		}
	}
	r.Head = prev
	if !keptFound {
		r.Broken = &BrokenLink{Problem: "kept anchor", Expected: kept, Found: prev}
	}
	return nil
}
