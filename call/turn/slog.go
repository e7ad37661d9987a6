package turn

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory gives pion's loggers that write to a slog.Logger: trace
// and debug at Debug, the rest at their level.
type slogFactory struct{ l *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{f.l.With("scope", scope)}
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Trace(msg string)                  { s.l.Debug(msg) }
func (s slogLogger) Tracef(format string, args ...any) { s.l.Debug(fmt.Sprintf(format, args...)) }
func (s slogLogger) Debug(msg string)                  { s.l.Debug(msg) }
func (s slogLogger) Debugf(format string, args ...any) { s.l.Debug(fmt.Sprintf(format, args...)) }
func (s slogLogger) Info(msg string)                   { s.l.Info(msg) }
func (s slogLogger) Infof(format string, args ...any)  { s.l.Info(fmt.Sprintf(format, args...)) }
func (s slogLogger) Warn(msg string)                   { s.l.Warn(msg) }
func (s slogLogger) Warnf(format string, args ...any)  { s.l.Warn(fmt.Sprintf(format, args...)) }
func (s slogLogger) Error(msg string)                  { s.l.Error(msg) }
func (s slogLogger) Errorf(format string, args ...any) { s.l.Error(fmt.Sprintf(format, args...)) }
