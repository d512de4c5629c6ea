package embeddedetcd

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/soheilhy/cmux"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestClosingCore: only the serving-loop errors that our own Close causes are dropped; the same errors
// while etcd serves, and any other error while it closes, are logged.
func TestClosingCore(t *testing.T) {
	closedListener := &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	tests := []struct {
		name    string
		closing bool
		msg     string
		err     error
		logged  bool
	}{
		{"listener closed by Close", true, serveFailedMessage, closedListener, false},
		{"http server closed by Close", true, serveFailedMessage, http.ErrServerClosed, false},
		{"mux closed by Close", true, serveFailedMessage, cmux.ErrServerClosed, false},
		{"wrapped close error", true, serveFailedMessage, fmt.Errorf("serving: %w", cmux.ErrListenerClosed), false},
		{"listener closed while serving", false, serveFailedMessage, closedListener, true},
		{"another error while closing", true, serveFailedMessage, errors.New("bind: address already in use"), true},
		{"another message while closing", true, "failed to save snapshot", closedListener, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			observed, logs := observer.New(zapcore.ErrorLevel)
			var closing atomic.Bool
			closing.Store(tc.closing)
			logger := zap.New(&closingCore{Core: observed, closing: &closing}).With(zap.String("member", "cnat"))
			logger.Error(tc.msg, zap.Error(tc.err))
			if got := logs.Len() == 1; got != tc.logged {
				t.Errorf("logged %v, want %v", got, tc.logged)
			}
		})
	}
}
