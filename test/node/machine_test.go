package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// machine is what a real node changes on the machine it runs on, as far as a teardown must undo it.
type machine map[string][]string

// hostPaths are the paths kubelet, containerd and the CNI plugins write whatever they are configured with.
var hostPaths = []string{"/run/cnat-node", "/run/containerd", "/var/lib/cni", "/var/log/containers",
	"/var/log/pods", "/var/lib/kubelet", "/usr/libexec/kubernetes", "/etc/cni", "/opt/cni", "/opt/containerd",
	"/var/lib/containerd"}

// sysctls are the kernel settings kubelet, kube-proxy and the bridge plugin set.
var sysctls = []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/route_localnet", "net/bridge/bridge-nf-call-iptables",
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys"}

// nodeProcesses match the command of the node's processes; containers run under the shims, and go with them.
var nodeProcesses = regexp.MustCompile(`(^|/)(containerd|containerd-shim[-a-z0-9]*|kubelet|kube-proxy|coredns|pause) $`)

// The node's links are its bridge and the veths of its Pods; its network namespaces are the CNI plugins'
// cni-*. Those of other tests on the machine (test/reliability's partitions make namespaces and veths of
// their own names) come and go while this one runs: they are not compared, nor /run/netns, which the first
// namespace of anyone mounts and the last one's removal unmounts.
var nodeLink = regexp.MustCompile(`^(cnat0|veth[0-9a-f]+)$`)

// othersNetns is whether a mount point is /run/netns or a namespace not of the CNI plugins.
func othersNetns(mount string) bool {
	return mount == "/run/netns" || strings.HasPrefix(mount, "/run/netns/") && !strings.HasPrefix(mount, "/run/netns/cni-")
}

// counters are the packet counters iptables-save prints, which change all the time.
var counters = regexp.MustCompile(`\[\d+:\d+\]`)

func snapshotMachine() (machine, error) {
	m := machine{}
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("ip link: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 1 {
			if name := strings.TrimSuffix(strings.Split(f[1], "@")[0], ":"); nodeLink.MatchString(name) {
				m["link"] = append(m["link"], name)
			}
		}
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(mounts)) {
		if f := strings.Fields(line); len(f) > 1 && !othersNetns(f[1]) {
			m["mount"] = append(m["mount"], f[1])
		}
	}
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(save).Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", save, err)
		}
		for line := range strings.Lines(string(out)) {
			if line = strings.TrimSpace(counters.ReplaceAllString(line, "")); line != "" && !strings.HasPrefix(line, "#") {
				m[save] = append(m[save], line)
			}
		}
	}
	if out, err := exec.Command("nft", "list", "tables").Output(); err == nil {
		m["nft table"] = strings.Fields(strings.ReplaceAll(string(out), "table ", "table:"))
	}
	for _, s := range sysctls {
		if v, err := os.ReadFile(filepath.Join("/proc/sys", s)); err == nil {
			m["sysctl"] = append(m["sysctl"], s+"="+strings.TrimSpace(string(v)))
		}
	}
	for _, p := range hostPaths {
		if _, err := os.Lstat(p); err == nil {
			m["path"] = append(m["path"], p)
		}
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	m["cgroup"] = cgroups
	netns, _ := filepath.Glob("/run/netns/cni-*")
	m["netns"] = netns
	procs, err := processes()
	if err != nil {
		return nil, err
	}
	m["process"] = procs
	return m, nil
}

// processes are the node's processes running, by pid and command line.
func processes() ([]string, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return nil, err
	}
	var procs []string
	for _, f := range dirs {
		raw, err := os.ReadFile(f)
		if err != nil || len(raw) == 0 {
			continue // gone meanwhile, or a kernel thread
		}
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		if nodeProcesses.MatchString(strings.Fields(cmdline)[0] + " ") {
			procs = append(procs, filepath.Base(filepath.Dir(f))+" "+cmdline)
		}
	}
	return procs, nil
}

// diff says what is in one snapshot and not the other, kind by kind; empty if nothing.
func (m machine) diff(after machine) string {
	var b strings.Builder
	kinds := make([]string, 0, len(m)+len(after))
	for k := range m {
		kinds = append(kinds, k)
	}
	for k := range after {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range slices.Compact(kinds) {
		for _, v := range missingFrom(after[kind], m[kind]) {
			fmt.Fprintf(&b, "  %s left behind: %s\n", kind, v)
		}
		for _, v := range missingFrom(m[kind], after[kind]) {
			fmt.Fprintf(&b, "  %s gone: %s\n", kind, v)
		}
	}
	return b.String()
}

// missingFrom lists the entries of a that b does not have.
func missingFrom(a, b []string) []string {
	var out []string
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}
