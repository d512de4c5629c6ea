package proccpu

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestTakeReadsPidFilesAndSelf(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "me.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A component that is not running is left out, not reported as zero.
	if err := os.WriteFile(filepath.Join(dir, "gone.pid"), []byte("999999999"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := Take(dir)
	// Burn CPU until /proc shows 300 ms more (30 clock ticks), however busy the machine is.
	var used Snapshot
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if used = Take(dir).Since(before); used[Self] >= 300*time.Millisecond {
			break
		}
	}

	if _, ok := before["gone"]; ok {
		t.Errorf("a pid file of no running process gave a figure: %v", before)
	}
	if used[Self] < 300*time.Millisecond {
		t.Fatalf("this process used %v of CPU in 30 busy seconds, by /proc", used[Self])
	}
	// The pid file names this very process: both readings agree, to a clock tick.
	if diff := used["me"] - used[Self]; diff < -10*time.Millisecond || diff > 10*time.Millisecond {
		t.Errorf("me used %v, %s used %v: the same process", used["me"], Self, used[Self])
	}
	if got, want := used.Total(), used["me"]+used[Self]; got != want {
		t.Errorf("Total = %v, want the sum %v", got, want)
	}
	if names := used.Names(); len(names) != 2 || names[0] != Self || names[1] != "me" {
		t.Errorf("Names = %v, want [client me]", names)
	}
}
