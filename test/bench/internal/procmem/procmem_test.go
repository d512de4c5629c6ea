package procmem

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestRSSMiBReadsThePidFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "me.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rss, err := RSSMiB(dir, "me")
	if err != nil {
		t.Fatal(err)
	}
	// A Go test binary is resident for a few MiB at least and far less than a GiB.
	if rss < 1 || rss > 1024 {
		t.Errorf("RSSMiB = %.1f MiB for this test process", rss)
	}
	if _, err := RSSMiB(dir, "gone"); err == nil {
		t.Error("no error for a component without a pid file")
	}
}
