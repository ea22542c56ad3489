package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts the Temporal server's logger interface to slog,
// dropping everything below warn (the server is very chatty at info), a few
// known-benign warnings, and warnings and errors once shutdown has begun
// (internal pollers and clients complain about connections and contexts
// closing under them; Stop reports real shutdown failures itself).
type serverLogger struct {
	l        *slog.Logger
	stopping *atomic.Bool
}

// benignWarnings are logged by every dev server start and mean nothing here.
var benignWarnings = []string{
	"HTTP API port has not been set", // no Nexus HTTP endpoints: intended
}

var (
	_ log.Logger     = serverLogger{}
	_ log.WithLogger = serverLogger{}
)

func newServerLogger(l *slog.Logger, stopping *atomic.Bool) log.Logger {
	return serverLogger{l: l, stopping: stopping}
}

func (s serverLogger) Debug(string, ...tag.Tag) {}
func (s serverLogger) Info(string, ...tag.Tag)  {}
func (s serverLogger) Warn(msg string, tags ...tag.Tag) {
	s.log(slog.LevelWarn, msg, tags)
}
func (s serverLogger) Error(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
}
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) {
	s.always(msg, tags)
}
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.always(msg, tags)
	panic(msg)
}
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.always(msg, tags)
	// The server exits the process: say why even when logs are discarded
	// (a test run otherwise shows only "exit status 1").
	fmt.Fprintf(os.Stderr, "temporal server: fatal: %s %v\n", msg, attrs(tags))
	os.Exit(1)
}

func (s serverLogger) always(msg string, tags []tag.Tag) {
	s.l.Log(context.Background(), slog.LevelError, msg, attrs(tags)...)
}

func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	if len(tags) == 0 {
		return s
	}
	return serverLogger{l: s.l.With(attrs(tags)...), stopping: s.stopping}
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	if s.stopping.Load() {
		return
	}
	if level < slog.LevelError {
		for _, prefix := range benignWarnings {
			if strings.HasPrefix(msg, prefix) {
				return
			}
		}
	}
	s.l.Log(context.Background(), level, msg, attrs(tags)...)
}

func attrs(tags []tag.Tag) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, slog.Any(t.Key(), t.Value()))
	}
	return out
}
