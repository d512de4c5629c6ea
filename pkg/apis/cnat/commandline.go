package cnat

import "strings"

// ShellCommand is the argv prefix of a shell command line: v1alpha1's command X is ["/bin/sh", "-c", X].
var ShellCommand = []string{"/bin/sh", "-c"}

// ShellCommandLine returns X when argv is exactly ["/bin/sh", "-c", X] with X not empty (v1alpha1's empty
// command stands for no command at all).
func ShellCommandLine(argv []string) (string, bool) {
	if len(argv) != 3 || argv[0] != ShellCommand[0] || argv[1] != ShellCommand[1] || argv[2] == "" {
		return "", false
	}
	return argv[2], true
}

// QuoteCommandLine renders argv as a POSIX shell command line that a shell splits back into exactly argv:
// words made only of safe characters stay bare, every other word is single-quoted.
func QuoteCommandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, arg := range argv {
		words[i] = quoteWord(arg)
	}
	return strings.Join(words, " ")
}

func quoteWord(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, needsQuoting) < 0 {
		return s
	}
	// Inside single quotes nothing is special but the single quote itself, which is written as '\''.
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func needsQuoting(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	case strings.ContainsRune("@%+=:,./_-", r):
		return false
	}
	return true
}
