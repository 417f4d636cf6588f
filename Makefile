# Capstan developer entry points. Everything lands in _output/:
# binaries in _output/bin, the local control plane in _output/local.
#
#   make run        local control plane + capstan-apiserver + demo Git repo and Applications
#   make test       unit, integration and e2e tests (e2e starts its own control plane)
#   make up / down  start / stop the local control plane in the background
#   make ui         rebuild the dashboard's assets from web/ (needs Node)
#   make bench      scale benchmark against its floors (APPS=1000 OBJECTS=10 IDLE=10m)
#   make bench-list list 10,000 stored Applications against as many ConfigMaps (APPS=10000)
#   make soak       soak: a commit and a drift every second (APPS=1000 DURATION=10m)
#   make image      OCI image of capstan-apiserver in _output/image (no container runtime)
#
# See hack/local/README.md for the local control plane's settings.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

export GOTOOLCHAIN ?= local

BIN_DIR := _output/bin
GO_TEST_FLAGS ?=
E2E_TIMEOUT ?= 30m
APPS ?= 1000
OBJECTS ?= 10
FUZZTIME ?= 10s
DURATION ?= 10m
# Replicas of capstan-apiserver that `make up` starts, sharing the Applications.
HA ?= 1
# The image's tag and the version linked into its binary.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_DIR := _output/image
IMAGE_REPOSITORY ?= capstan-apiserver
# Build tags of capstan's binaries. Kustomize's loader of Go plugins (.so
# files, which Capstan never enables: its Kustomize runs with plugins off)
# imports the standard library's plugin package, and a binary that links it
# exports every symbol for dynamic loading: 56 MB more binary, 19 MiB more
# resident memory in every capstan-apiserver (the symbol tables and a second
# name for each function). `make verify` checks that nothing else links it.
GO_BUILD_TAGS := kustomize_disable_go_plugin_support

.PHONY: build
build: ## Build capstan's binaries into _output/bin.
	go build -tags $(GO_BUILD_TAGS) -o $(BIN_DIR)/ ./cmd/...

# A static binary (no C library in the image) on an empty base: the users, the
# CA certificates of this machine and the writable directories in one layer,
# the binary in another. Written as an OCI layout and a tarball; see README.
.PHONY: image
image: ## OCI image of capstan-apiserver in _output/image (VERSION, IMAGE_REPOSITORY), built without a container runtime.
	CGO_ENABLED=0 go build -tags $(GO_BUILD_TAGS) -trimpath -ldflags "-s -w -X capstan.dev/capstan/pkg/version.Version=$(VERSION)" \
		-o $(IMAGE_DIR)/bin/capstan-apiserver ./cmd/capstan-apiserver
	go run ./hack/image --binary $(IMAGE_DIR)/bin/capstan-apiserver --out $(IMAGE_DIR) \
		--repository $(IMAGE_REPOSITORY) --version $(VERSION) \
		--revision "$$(git rev-parse HEAD 2>/dev/null)" --created "$$(git log -1 --format=%ct 2>/dev/null || echo 0)"

.PHONY: tools
tools: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok (incremental).
	hack/tools/build.sh

.PHONY: gitserver
gitserver: ## Build the demo Git server (smart HTTP on loopback).
	go build -o $(BIN_DIR)/capstan-gitserver ./hack/gitserver

.PHONY: generate
generate: ## Regenerate clientset, listers, informers, OpenAPI and deepcopy code.
	hack/update-codegen.sh

.PHONY: verify
verify: ## Check generated code, formatting, vet, go.mod tidiness, the kwok stage copies and the dashboard's assets.
	hack/verify-codegen.sh
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [[ -n $$unformatted ]]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	@if go list -tags $(GO_BUILD_TAGS) -deps ./cmd/... | grep -x plugin >/dev/null; then \
		echo "a package of ./cmd/... imports the plugin package (dynamic export of every symbol): $$(go list -tags $(GO_BUILD_TAGS) -f '{{.ImportPath}} {{join .Imports " "}}' -deps ./cmd/... | grep -E ' plugin( |$$)' | cut -d' ' -f1)"; exit 1; fi
	@go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	hack/tools/sync-kwok-stages.sh --verify
	hack/verify-ui.sh

.PHONY: ui
ui: ## Rebuild the dashboard's assets (pkg/dashboard/assets) from web/ with the pinned esbuild and TypeScript.
	hack/build-ui.sh

.PHONY: test
test: verify test-unit test-fuzz test-integration test-e2e ## Verify generated code, then run every test.

.PHONY: test-unit
test-unit: ## Fast tests: go test ./pkg/... ./cmd/...
	go test $(GO_TEST_FLAGS) ./pkg/... ./cmd/... ./hack/image/...

.PHONY: test-fuzz
test-fuzz: ## Run every Go fuzz target briefly (FUZZTIME each, 10s).
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for longer (FUZZTIME each, default 2m here).
	FUZZTIME=$(if $(filter command line,$(origin FUZZTIME)),$(FUZZTIME),2m) hack/fuzz.sh

.PHONY: test-integration
test-integration: ## Tests against embedded etcd or an in-process server.
	@if [[ -d test/integration ]]; then go test $(GO_TEST_FLAGS) ./test/integration/...; \
	else echo "no integration tests (test/integration does not exist)"; fi

.PHONY: test-e2e
test-e2e: tools build image ## Tests against a local control plane with the real kubectl.
	CAPSTAN_E2E=1 go test $(GO_TEST_FLAGS) -count=1 -timeout $(E2E_TIMEOUT) -v ./test/e2e/...

# CAPSTAN_SKIP_APISERVER=1 starts the cluster without capstan-apiserver, so no build is needed.
.PHONY: up
up: tools $(if $(filter 1,$(CAPSTAN_SKIP_APISERVER)),,build) ## Start the local control plane in the background (HA=N: N sharded replicas of capstan-apiserver).
	CAPSTAN_HA_REPLICAS=$(HA) hack/local-up.sh

.PHONY: down
down: ## Stop the local control plane (only the processes it recorded).
	hack/local-down.sh

.PHONY: run
run: tools build gitserver ## make up, then the demo; Ctrl-C stops everything.
	hack/local-demo.sh

.PHONY: bench
bench: tools build ## Scale benchmark on its own local control plane (APPS, OBJECTS, IDLE, HA, ...: see hack/bench.sh).
	APPS=$(APPS) OBJECTS=$(OBJECTS) HA=$(HA) hack/bench.sh

.PHONY: bench-list
bench-list: tools build ## List APPS (default 10000) Applications stored with a synced status against as many ConfigMaps (see hack/bench.sh).
	APPS=$(if $(filter command line,$(origin APPS)),$(APPS),10000) LIST=1 hack/bench.sh

.PHONY: soak
soak: tools build ## Soak on its own local control plane: a commit and a drift every second (APPS, DURATION=10m; see hack/bench.sh).
	APPS=$(APPS) OBJECTS=$(OBJECTS) SOAK=$(DURATION) hack/bench.sh

.PHONY: clean
clean: down ## Stop the local control plane and delete _output.
	rm -rf _output

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## /  \1\t/' | expand -t 20
