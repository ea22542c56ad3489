package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the audit log, or anchor it and print the anchor to keep",
	}
	cmd.AddCommand(newAuditVerifyCmd(), newAuditHeadCmd())
	return cmd
}

// openAuditDB opens the app database (DATABASE_URL, or dev's SQLite file)
// at this binary's schema.
func openAuditDB(dataDir string) (*gorm.DB, func(), error) {
	db, err := models.Open(os.Getenv("DATABASE_URL"), filepath.Join(dataDir, "securebase.db"))
	if err != nil {
		return nil, nil, err
	}
	closeDB := func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}
	if err := models.CheckSchema(db); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}

func newAuditVerifyCmd() *cobra.Command {
	var dataDir, anchor string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every audit stream's hash chain and the anchors, and report the first broken link (DATABASE_URL, or the dev SQLite file under --data-dir)",
		Long: "verify recomputes every audit event's hash, stream by stream, checks each links to the one before it in its " +
			"stream and that each stream ends at its recorded head, then checks the anchor chain: each anchor's hash and " +
			"link, its leaves' Merkle root, and that every leaf is still in the log. With " + models.AuditKeyEnv + " set, " +
			"hashes are HMAC-SHA256 under that key, so rows rehashed without it fail. With --anchor (a hash printed by " +
			"`audit head` and kept outside the database) it also fails when that anchor is not in the chain: the log was " +
			"cut short or rewritten after it. It prints \"ok: ...\" and the newest anchor, or the first broken link and exits non-zero.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, closeDB, err := openAuditDB(dataDir)
			if err != nil {
				return err
			}
			defer closeDB()
			r, err := models.VerifyAuditAgainst(cmd.Context(), db, anchor)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if r.Broken != nil {
				fmt.Fprintf(out, "BROKEN after %d intact events: %s\n", max(r.Events-1, 0), r.Broken)
				return fmt.Errorf("audit log broken (%s)", r.Broken.Problem)
			}
			keyed := "unkeyed (SHA-256)"
			if models.AuditKeyed() {
				keyed = "keyed (HMAC-SHA256)"
			}
			fmt.Fprintf(out, "ok: %d events in %d streams, %d anchors, every chain intact, %s; %d events newer than the last anchor\n",
				r.Events, r.Streams, r.Anchors, keyed, r.Unanchored)
			if anchor != "" {
				fmt.Fprintf(out, "kept anchor %s found in the anchor chain\n", anchor)
			}
			if r.Head != "" {
				fmt.Fprintf(out, "newest anchor: %s\n", r.Head)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SECUREBASE_DATA_DIR", "./data"), "where dev keeps its SQLite database (used when DATABASE_URL is unset)")
	cmd.Flags().StringVar(&anchor, "anchor", "", "an anchor hash kept outside the database (from `audit head`) that must be in the anchor chain")
	return cmd
}

func newAuditHeadCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "head",
		Short: "Anchor every audit stream's head now and print the anchor's hash, for an operator to keep outside the database",
		Long: "head writes an anchor (as the hourly AuditAnchor Schedule does) of every stream that moved since the last one, " +
			"and prints its sequence number and hash. Keep the hash somewhere the database's writers cannot change (an " +
			"inspection report, a ticket); `audit verify --anchor <hash>` then catches the log cut short or rewritten after it.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, closeDB, err := openAuditDB(dataDir)
			if err != nil {
				return err
			}
			defer closeDB()
			a, err := models.AnchorAudit(cmd.Context(), db, time.Now())
			if err != nil {
				return err
			}
			if a == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "the audit log is empty: nothing to anchor")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "anchor %d at %s over %d streams\n%s\n", a.Seq, a.At.Format(time.RFC3339), a.Leaves, a.Hash)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SECUREBASE_DATA_DIR", "./data"), "where dev keeps its SQLite database (used when DATABASE_URL is unset)")
	return cmd
}
