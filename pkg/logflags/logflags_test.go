package logflags

import (
	"testing"

	"github.com/spf13/pflag"
)

// TestLogFlushFrequency: zero and negative flush intervals are refused while parsing (klog's flush daemon
// panics on them); a positive one is taken.
func TestLogFlushFrequency(t *testing.T) {
	for value, wantErr := range map[string]bool{"0": true, "0s": true, "-1s": true, "abc": true, "1ms": false, "10s": false} {
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		AddFlags(fs)
		err := fs.Set("log-flush-frequency", value)
		if (err != nil) != wantErr {
			t.Errorf("--log-flush-frequency=%s: error %v, want an error: %v", value, err, wantErr)
		}
		if !wantErr && fs.Lookup("log-flush-frequency").Value.String() != value {
			t.Errorf("--log-flush-frequency=%s: reads %s", value, fs.Lookup("log-flush-frequency").Value)
		}
	}
}
