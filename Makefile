# cnat: the At API as a Kubernetes aggregated API server.
GO ?= go
BIN := _output/bin

.PHONY: all build run test test-unit test-integration test-e2e test-reliability reliability control-plane bench verify codegen clean

all: build

build: ## cnat-apiserver and cnat-controller into _output/bin, stamped with their version (pkg/version)
	$(GO) build -ldflags "$$(hack/version-ldflags.sh)" -o $(BIN)/ ./cmd/cnat-apiserver ./cmd/cnat-controller

run: ## standalone on the embedded default: https://127.0.0.1:8443, data in ./cnat-data
	$(GO) run ./cmd/cnat-apiserver

test: ## everything: unit, integration (real server, embedded etcd), e2e (real control plane, real kubectl), then the short form of the reliability scenarios (faults with real processes)
	$(GO) test -count=1 $$($(GO) list ./... | grep -v -e /test/e2e -e /test/reliability)
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-reliability

test-unit:
	$(GO) test -count=1 ./pkg/... ./cmd/...

test-integration:
	$(GO) test -count=1 ./test/integration/...

test-e2e: control-plane ## the control plane built once (minutes), then the end-to-end tests against it
	$(GO) test -count=1 ./test/e2e/...

test-reliability: control-plane ## replicas and etcd members killed and restarted under load, short form (part of make test)
	$(GO) test -count=1 ./test/reliability/...

reliability: control-plane ## the same scenarios, longer, with a table of figures (attempts, acknowledged, lost, failed, …)
	$(GO) test -count=1 -timeout 60m -v ./test/reliability/... -args -long

control-plane: ## etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok from source into _output/bin, once
	hack/build-control-plane.sh

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
