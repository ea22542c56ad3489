package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/models"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the audit log",
	}
	cmd.AddCommand(newAuditVerifyCmd())
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit log's hash chain and report the first broken link (DATABASE_URL, or the dev SQLite file under --data-dir)",
		Long: "verify recomputes every audit event's hash in order and checks each links to the one before. " +
			"It prints \"ok: N events, chain intact\" and the chain's head hash (note it somewhere outside the " +
			"database: a chain cut short at the end, or rewritten from some row on, is only caught against a noted head), " +
			"or the first broken link, and then exits non-zero.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := models.Open(os.Getenv("DATABASE_URL"), filepath.Join(dataDir, "securebase.db"))
			if err != nil {
				return err
			}
			if sqlDB, err := db.DB(); err == nil {
				defer sqlDB.Close()
			}
			if err := models.CheckSchema(db); err != nil {
				return err
			}
			n, head, broken, err := models.AuditHead(cmd.Context(), db)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if broken != nil {
				fmt.Fprintf(out, "BROKEN after %d intact events: %s\n", n-1, broken)
				return fmt.Errorf("audit chain broken at event id %d", broken.ID)
			}
			fmt.Fprintf(out, "ok: %d events, chain intact\n", n)
			if head != "" {
				fmt.Fprintf(out, "head: %s\n", head)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SECUREBASE_DATA_DIR", "./data"), "where dev keeps its SQLite database (used when DATABASE_URL is unset)")
	return cmd
}
