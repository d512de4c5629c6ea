# cnat: the At API as a Kubernetes aggregated API server.
GO ?= go
BIN := _output/bin

.PHONY: all build run test test-unit test-integration test-e2e test-skew test-node-short test-node test-reliability reliability control-plane control-plane-skew control-plane-node images bench verify codegen clean

all: build

build: ## cnat-apiserver and cnat-controller into _output/bin, stamped with their version (pkg/version)
	$(GO) build -ldflags "$$(hack/version-ldflags.sh)" -o $(BIN)/ ./cmd/cnat-apiserver ./cmd/cnat-controller

run: ## standalone on the embedded default: https://127.0.0.1:8443, data in ./cnat-data
	$(GO) run ./cmd/cnat-apiserver

# Kubernetes minors older than the newest (hack/tools/kube) that cnat is tested behind, each with its own
# control plane (hack/tools/kube-<minor>), and kubectl one minor newer than the newest (hack/tools/kubectl-1.38).
SKEW_MINORS := 1.34 1.35 1.36
SKEW_KUBECTLS := kubectl-1.38

# The real node's tests (test/node) need root: containerd, kubelet, network links, iptables. Run through sudo
# when make is not root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo -n env PATH="$(PATH)" HOME="$(HOME)")
# The short form of TestNode: install from artifacts/deploy, an At in a real container, a rolling restart, the
# aggregator cut off from one of the two replicas.
NODE_SHORT := TestNode/^(Install|AtRunsARealContainer|RollingRestartUnderLoad|AggregatorCutOffFromOneReplica)$$
# The real node's part of make reliability: the aggregator cut off from one replica, long form (TestMain installs
# cnat; Install checks the installation before it).
NODE_RELIABILITY := TestNode/^(Install|AggregatorCutOffFromOneReplica)$$

test: control-plane control-plane-skew control-plane-node images ## everything (the images first: test/images checks them): unit, integration (real server, embedded etcd), e2e (real control plane, real kubectl), the version-skew smoke (Kubernetes 1.34–1.36), the short form of the real node's tests (artifacts/deploy installed, an At run in a container, a rolling restart, one replica cut off the network), then the short form of the reliability scenarios (faults with real processes)
	@# The port-sharing tests (unit and reliability) need the kernel to hand a closing listener's queued
	@# connections to the other replica (docs/operations.md); root can turn it on.
	@if [ "$$(id -u)" = 0 ] && [ "$$(cat /proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null)" != 1 ]; then \
		sysctl -qw net.ipv4.tcp_migrate_req=1 || echo "make test: cannot set net.ipv4.tcp_migrate_req=1"; fi
	$(GO) test -count=1 $$($(GO) list ./... | grep -v -e /test/e2e -e /test/skew -e /test/reliability -e /test/node)
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-skew
	$(MAKE) --no-print-directory test-node-short
	$(MAKE) --no-print-directory test-reliability

test-unit:
	$(GO) test -count=1 ./pkg/... ./cmd/...

test-integration: control-plane ## (kubectl: the one the control plane builds)
	$(GO) test -count=1 ./test/integration/...

test-e2e: control-plane control-plane-skew ## the control plane built once (minutes), then the end-to-end tests against it (kubectl of three minors)
	$(GO) test -count=1 -timeout 30m ./test/e2e/...

test-skew: control-plane control-plane-skew ## the smoke behind each older supported Kubernetes minor, a control plane of its own each
	$(GO) test -count=1 -timeout 30m -v ./test/skew/...

test-node-short: control-plane control-plane-node images ## a real node (root), cnat installed on it with kubectl apply -k artifacts/deploy, an At run by a real container, a rolling restart under load, one replica cut off the network under load (part of make test)
	$(SUDO) $(GO) test -count=1 -timeout 20m -v -run '$(NODE_SHORT)' ./test/node/

test-node: control-plane control-plane-node images ## every real-node test: also the README, eviction against the PDB, etcd members losing their Pod or volume, the docs' etcd operations (exec, snapshot, restore), uninstall, then cnat 1.0 installed from its commit and upgraded under load through docs/versions.md's steps
	$(SUDO) $(GO) test -count=1 -timeout 40m -v ./test/node/ -args -long

test-reliability: control-plane ## replicas and etcd members killed and restarted under load, the etcd leader and cnat-apiserver cut off from etcd (network namespaces, root), the controller's leader cut off (network namespaces, root) or killed, two replicas rolled from cnat 1.0 to 1.2 and back, short form (part of make test)
	$(GO) test -count=1 -timeout 20m ./test/reliability/...

reliability: control-plane control-plane-skew control-plane-node images ## the same scenarios, longer, with a table of figures (attempts, acknowledged, lost, failed, …); the storage version migration of every At under load, longer; then, on a real node (root), the aggregator cut off from one of two replicas, longer, with its table
	$(GO) test -count=1 -timeout 60m -v ./test/reliability/... -args -long
	$(GO) test -count=1 -timeout 30m -v -run '^TestStorageMigration$$' ./test/e2e/ -args -long
	$(SUDO) $(GO) test -count=1 -timeout 30m -v -run '$(NODE_RELIABILITY)' ./test/node/ -args -long

control-plane: ## etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok from source into _output/bin, once
	hack/build-control-plane.sh

control-plane-skew: ## the control planes (and kubectls) of the older supported minors, and kubectl 1.38, into _output/bin/kube-<minor>, once
	hack/build-control-plane.sh $(SKEW_MINORS) $(SKEW_KUBECTLS)

images: ## the images an install pulls (cnat-apiserver, cnat-controller, etcd, busybox, pause) as docker-archive tarballs into _output/images, for ctr images import; no docker, no registry
	hack/build-images.sh

control-plane-node: ## kubelet, kube-proxy (the newest control plane's version) and CoreDNS into _output/bin/node, for the real node (CP_NODE=real)
	hack/build-control-plane.sh node

bench: ## benchmarks on a local control plane of their own; they print figures, they are not tests
	hack/bench.sh

verify: ## generated code up to date, gofmt, go vet
	hack/verify-codegen.sh
	@out=$$(gofmt -l cmd pkg test hack); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...

codegen: ## regenerate deepcopy, conversion, defaults, OpenAPI, clientset, listers, informers, apply configurations
	hack/update-codegen.sh

clean:
	rm -rf _output
