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
	root.AddCommand(newDevCmd(), newAPICmd(), newWorkerCmd(), newMigrateCmd(), newPolicyCmd(), newCalendarCmd(), newBenchCmd(), newAuditCmd(), newTokenCmd())
	root.AddCommand(newImportCmd()) // import.go
	return root
}
