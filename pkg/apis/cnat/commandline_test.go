package cnat

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestQuoteCommandLineSplitsBackInARealShell hands each rendering to /bin/sh and checks that the shell splits
// it into exactly the original argv: the v1alpha1 command line of an argv must mean that argv.
func TestQuoteCommandLineSplitsBackInARealShell(t *testing.T) {
	argvs := [][]string{
		{"echo", "YAY"},
		{"echo", "a b"},
		{"printf", "%s|", "it's", `a "quoted" word`, "a b"},
		{"x", "", "$HOME", "`id`", "a\\b", "tab\there", "new\nline", "*", "~", "semi;colon", "ünïcode"},
		{"/bin/sh", "-c", "echo $0", "extra"},
	}
	for _, argv := range argvs {
		line := QuoteCommandLine(argv)
		// printf prints each word the shell made of the line, NUL-terminated; "$@" re-splits nothing.
		out, err := exec.Command("/bin/sh", "-c", `f() { printf '%s\0' "$@"; }; f `+line).Output()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !slices.Equal(got, argv) {
			t.Errorf("%q split by /bin/sh into %q, want %q", line, got, argv)
		}
	}
}

func TestQuoteCommandLineLeavesPlainWordsBare(t *testing.T) {
	if got := QuoteCommandLine([]string{"echo", "a-b_c.d/e:f=g,h@i%j+k"}); got != "echo a-b_c.d/e:f=g,h@i%j+k" {
		t.Errorf("got %q", got)
	}
}

func TestShellCommandLine(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		line string
		ok   bool
	}{
		{[]string{"/bin/sh", "-c", "echo YAY"}, "echo YAY", true},
		{[]string{"/bin/sh", "-c", ""}, "", false}, // v1alpha1's "" means no command at all
		{[]string{"/bin/sh", "-c"}, "", false},
		{[]string{"/bin/sh", "-c", "a", "b"}, "", false},
		{[]string{"sh", "-c", "echo"}, "", false},
		{nil, "", false},
	} {
		line, ok := ShellCommandLine(tc.argv)
		if line != tc.line || ok != tc.ok {
			t.Errorf("%q: got %q, %v", tc.argv, line, ok)
		}
	}
}

func TestWithoutBookkeepingAnnotationsNeverWritesItsArgument(t *testing.T) {
	in := map[string]string{"keep": "1", ImageAnnotation: "alpine", GroupName + "/user-owned": "2"}
	out := WithoutBookkeepingAnnotations(in)
	if len(in) != 3 {
		t.Errorf("argument modified: %v", in)
	}
	if len(out) != 2 || out["keep"] != "1" || out[GroupName+"/user-owned"] != "2" {
		t.Errorf("got %v: want only the bookkeeping key removed", out)
	}
	if WithoutBookkeepingAnnotations(map[string]string{PhaseAnnotation: "Failed"}) != nil {
		t.Error("want nil when nothing is left")
	}
}
