// Command securebase is the one binary: dev | api | worker | migrate, plus
// the policy and calendar tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/policy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "securebase:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "securebase",
		Short:         "Keeps every statutory supervision duty on time, and proves it",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDevCmd(), newAPICmd(), newWorkerCmd(), newMigrateCmd(), newPolicyCmd(), newCalendarCmd(), newBenchCmd(), newAuditCmd(), newTokenCmd(), newTemporalServerCmd())
	root.AddCommand(newImportCmd()) // import.go
	// A council's own packs (policy.LoadWith), checked before any command runs.
	root.PersistentFlags().StringVar(&packsDir, "packs", os.Getenv("SECUREBASE_PACKS"), "a directory of pack files that add to or replace the built-in ones (SECUREBASE_PACKS)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if packsDir == "" {
			return nil
		}
		if _, err := policy.LoadWith(packsDir); err != nil {
			return fmt.Errorf("the packs in %s are not valid:\n%w", packsDir, err)
		}
		return nil
	}
	return root
}
