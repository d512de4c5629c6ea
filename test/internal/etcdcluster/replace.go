package etcdcluster

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// memberAddPatience bounds how long Replace retries a member add that etcd refuses as "unhealthy cluster":
// etcd adds a voting member only when the members that will form the new quorum have been connected to each
// other for its health interval (5 s), which is not yet true just after a start or an election.
const memberAddPatience = 30 * time.Second

// Replace replaces member i, whose data is lost, by a new member of the same name and peer URL with an empty
// data dir, as an operator does after losing a disk or a PersistentVolume (docs/operations.md): remove the
// old member from the cluster, add the new one, start it with --initial-cluster-state existing. The member
// must not run. It returns the etcdctl commands it ran.
func (c *Cluster) Replace(i int) ([]string, error) {
	m := c.Members[i]
	if c.Running(i) {
		return nil, fmt.Errorf("member %s runs", m.Name)
	}
	id, err := c.memberID(m.Name)
	if err != nil {
		return nil, err
	}
	var commands []string
	for _, args := range [][]string{
		{"member", "remove", id},
		{"member", "add", m.Name, "--peer-urls=" + m.PeerURL},
	} {
		commands = append(commands, "etcdctl "+strings.Join(args, " "))
		deadline := time.Now().Add(memberAddPatience)
		for {
			_, err := c.etcdctlAt(c.runningEndpoints(), args...)
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "unhealthy cluster") || time.Now().After(deadline) {
				return commands, err
			}
			commands = append(commands, "  (etcd: unhealthy cluster; retried after 1s)")
			time.Sleep(time.Second)
		}
	}
	if err := os.RemoveAll(m.DataDir); err != nil {
		return commands, err
	}
	return commands, c.startMember(i, "existing")
}

// memberID finds a member's ID (hex, as etcdctl member remove takes it) by its name in etcdctl member list.
func (c *Cluster) memberID(name string) (string, error) {
	out, err := c.etcdctlAt(c.runningEndpoints(), "member", "list")
	if err != nil {
		return "", err
	}
	// Lines: <id>, <status>, <name>, <peer URLs>, <client URLs>, <is learner>
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Split(line, ", ")
		if len(fields) >= 3 && fields[2] == name {
			if _, err := strconv.ParseUint(fields[0], 16, 64); err != nil {
				return "", fmt.Errorf("etcdctl member list: %q is no member ID", fields[0])
			}
			return fields[0], nil
		}
	}
	return "", fmt.Errorf("etcdctl member list has no member %s:\n%s", name, out)
}

func (c *Cluster) runningEndpoints() []string {
	var urls []string
	for i, m := range c.Members {
		if c.Running(i) {
			urls = append(urls, m.ClientURL)
		}
	}
	return urls
}
