// Package logflags adds the logging flags of the cnat binaries (--v, --vmodule, --log-flush-frequency) as
// component-base's cli.Run adds them, with the values that would crash the logger refused while the flags are
// parsed.
package logflags

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
)

// AddFlags adds the logging flags to fs, which should be the command's persistent flags: cli.Run adds them
// there too, and keeps a flag that is already there.
//
// --log-flush-frequency is refused unless positive: cli.Run starts klog's flush daemon with it before the
// command runs, and a ticker of zero or a negative interval panics ("non-positive interval for NewTicker").
func AddFlags(fs *pflag.FlagSet) {
	logs.AddFlags(fs)
	if f := fs.Lookup(logsapi.LogFlushFreqFlagName); f != nil {
		f.Value = positiveDuration{f.Value}
	}
}

// positiveDuration is a duration flag's value that refuses zero and negative durations.
type positiveDuration struct {
	pflag.Value
}

func (d positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("must be positive")
	}
	return d.Value.Set(s)
}
