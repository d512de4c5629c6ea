package embeddedetcd

import (
	"errors"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/soheilhy/cmux"
	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// serveFailedMessage is what embed.Etcd logs, at error level and with a stack trace, whenever one of its
// serving loops returns, even when it returns because Close stopped it: each listener and server it closes
// yields one such line ("mux: server closed", "http: Server closed", "use of closed network connection").
const serveFailedMessage = "setting up serving from embedded etcd failed."

// newLogger returns etcd's default logger (JSON on stderr, errors only) except that, once closing is set,
// it drops the serving-loop errors that Close itself causes. Every other error, and these same errors while
// etcd is meant to be serving, are still logged.
func newLogger(closing *atomic.Bool) (*zap.Logger, error) {
	lg, err := logutil.CreateDefaultZapLogger(zapcore.ErrorLevel)
	if err != nil {
		return nil, err
	}
	return lg.WithOptions(zap.WrapCore(func(core zapcore.Core) zapcore.Core {
		return &closingCore{Core: core, closing: closing}
	})), nil
}

// closingCore is a zapcore.Core that drops the serving-loop errors of a deliberate Close.
type closingCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c *closingCore) With(fields []zapcore.Field) zapcore.Core {
	return &closingCore{Core: c.Core.With(fields), closing: c.closing}
}

// Check adds this core, not the wrapped one, so that Write below sees the entry.
func (c *closingCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *closingCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	if c.closing.Load() && ent.Message == serveFailedMessage && closedByClose(fields) {
		return nil
	}
	return c.Core.Write(ent, fields)
}

// closedByClose tells whether the entry's error says a listener or server was closed, which is what Close
// does to each of them.
func closedByClose(fields []zapcore.Field) bool {
	for _, f := range fields {
		if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType {
			return errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) ||
				errors.Is(err, cmux.ErrServerClosed) || errors.Is(err, cmux.ErrListenerClosed)
		}
	}
	return false
}
