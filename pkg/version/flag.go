package version

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/pflag"
)

// Flag is --version, as k8s.io/component-base/version/verflag gives it to Kubernetes' binaries: --version
// prints the program's name and version, --version=raw everything Get knows. (verflag itself prints
// component-base's version, which only -ldflags can set.)
type Flag string

const (
	flagOff Flag = "false"
	flagOn  Flag = "true"
	flagRaw Flag = "raw"
)

// AddFlag adds --version to fs.
func (f *Flag) AddFlag(fs *pflag.FlagSet) {
	*f = flagOff
	fs.Var(f, "version", "--version prints version information and quits; --version=raw prints all of it")
	fs.Lookup("version").NoOptDefVal = string(flagOn)
}

// PrintIfRequested prints the version to w when --version was given, and tells whether it did: the command
// then has nothing else to do.
func (f Flag) PrintIfRequested(w io.Writer, program string) bool {
	switch f {
	case flagOn:
		fmt.Fprintf(w, "%s %s\n", program, String())
	case flagRaw:
		fmt.Fprintf(w, "%#v\n", Get())
	default:
		return false
	}
	return true
}

func (f *Flag) Set(s string) error {
	if s == string(flagRaw) {
		*f = flagRaw
		return nil
	}
	on, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true, false or raw, not %q", s)
	}
	*f = flagOff
	if on {
		*f = flagOn
	}
	return nil
}

func (f *Flag) String() string { return string(*f) }

func (f *Flag) Type() string { return "version" }
