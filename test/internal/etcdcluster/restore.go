package etcdcluster

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RestoreOptions are what etcdutl snapshot restore is told besides the members.
type RestoreOptions struct {
	// BumpRevision raises the revision of the restored cluster by this much, and MarkCompacted marks every
	// revision up to there compacted: clients that hold a resourceVersion from after the snapshot are told
	// 410 Gone (and relist) instead of waiting for revisions that will never come or being shown stale data.
	BumpRevision  int64
	MarkCompacted bool
}

// Restore starts a new cluster of n members under dir from a snapshot file, as an operator restores one with
// etcdutl: every member's data dir is made by `etcdutl snapshot restore` with the new cluster's members and a
// new cluster token. It returns the restore commands it ran (for the docs).
func Restore(dir, snapshot string, n int, bins Binaries, opts RestoreOptions) (*Cluster, []string, error) {
	c, err := newCluster(dir, "cnat-restored-"+strconv.FormatInt(time.Now().UnixNano(), 36), make([]Placement, n), bins)
	if err != nil {
		return nil, nil, err
	}
	var commands []string
	for _, m := range c.Members {
		args := []string{"snapshot", "restore", snapshot,
			"--name", m.Name,
			"--data-dir", m.DataDir,
			"--initial-cluster", c.InitialCluster(),
			"--initial-cluster-token", c.Token,
			"--initial-advertise-peer-urls", m.PeerURL,
		}
		if opts.BumpRevision > 0 {
			args = append(args, "--bump-revision", strconv.FormatInt(opts.BumpRevision, 10))
		}
		if opts.MarkCompacted {
			args = append(args, "--mark-compacted")
		}
		commands = append(commands, "etcdutl "+strings.Join(args, " "))
		if out, err := exec.Command(bins.Etcdutl, args...).CombinedOutput(); err != nil {
			return nil, commands, fmt.Errorf("etcdutl %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := c.startAll("existing"); err != nil {
		c.Stop()
		return nil, commands, err
	}
	return c, commands, nil
}

// Snapshot saves a snapshot of the cluster to path with etcdctl (from one member: etcdctl refuses several).
func (c *Cluster) Snapshot(path string) error {
	for i, m := range c.Members {
		if !c.Running(i) {
			continue
		}
		_, err := c.etcdctlAt([]string{m.ClientURL}, "snapshot", "save", filepath.Clean(path))
		return err
	}
	return fmt.Errorf("no member runs")
}
