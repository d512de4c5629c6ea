// Command pause is the process of the pod sandbox image (registry.k8s.io/pause, built by
// hack/build-images.sh): it holds the pod's namespaces open while doing nothing. As PID 1 of the pod's PID
// namespace (shareProcessNamespace) it also reaps the orphans that are handed to it, so that they do not
// stay zombies. It exits 0 on SIGTERM or SIGINT, the way the kubelet's runtime stops a sandbox.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		// Signals coalesce: one SIGCHLD may stand for several exited children, so reap until none is left.
		for {
			var status syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
