# Berth — ECS semantics on Kubernetes.
# `make run` and `make test` do all the set-up on a fresh machine.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

ROOT := $(shell pwd)
LOCALBIN ?= $(ROOT)/bin
ECS_MODEL ?= $(ROOT)/models/ecs/service-2.json
IMG ?= ghcr.io/berth-dev/berth:dev

K8S_VERSION ?= 1.37.2
# The oldest Kubernetes Berth supports: make test-k8s-min runs the envtest
# suites on its kube-apiserver (module hack/tools/k8s-<minor>).
K8S_MIN_VERSION ?= 1.34.4
CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.7.1
GOLANGCI_LINT_VERSION ?= v2.15.0

CONTROLLER_GEN ?= $(LOCALBIN)/tools/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE ?= $(LOCALBIN)/tools/kustomize-$(KUSTOMIZE_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)
K8S_BIN := $(LOCALBIN)/k8s/$(K8S_VERSION)

# Tests run envtest and the local control plane from the binaries built here.
export KUBEBUILDER_ASSETS := $(K8S_BIN)
export BERTH_K8S_BIN := $(K8S_BIN)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the ECS types from the ECS model, deepcopy code, and the Gateway API CRDs' copy (from the pinned module).
	go run ./hack/ecsgen -model $(ECS_MODEL) -out api/v1alpha1/zz_generated.ecs.go
	go run ./hack/ecsgen -wire -package ecswire -model $(ECS_MODEL) -out internal/awsapi/ecswire/zz_generated.go
	go run ./hack/ecsgen -wire -box-all -package aaswire -model $(ROOT)/models/application-autoscaling/service-2.json -out internal/awsapi/aaswire/zz_generated.go
	go run ./hack/ecsgen -wire -box-all -package logswire -model $(ROOT)/models/logs/service-2.json -out internal/awsapi/logswire/zz_generated.go
	go run ./hack/ecsgen -wire -box-all -package cwwire -model $(ROOT)/models/cloudwatch/service-2.json -out internal/awsapi/cwwire/zz_generated.go
	$(CONTROLLER_GEN) object paths="./api/..."
	go generate ./internal/gatewayapi/

.PHONY: update-models
update-models: ## Copy the AWS API models (ECS, Application Auto Scaling, CloudWatch Logs, CloudWatch) from the installed botocore into models/, with licence and SHA-256s.
	hack/update-models.sh

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC from markers.
	$(CONTROLLER_GEN) rbac:roleName=berth-manager crd:allowDangerousTypes=true webhook paths="./api/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) rbac:roleName=berth-api paths="./internal/awsapi/endpoint/..." output:rbac:artifacts:config=config/api/rbac

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet (also over the opt-in corpus and reliability tests).
	go vet -tags corpus,reliability ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run --build-tags corpus,reliability ./...

.PHONY: presubmit
presubmit: verify lint test ## verify, lint, test (.ci/run also checks a bare clone and runs make corpus where the corpus is).
verify: generate manifests fmt ## Regenerate everything and fail if the tree changed.
	go mod tidy
	@if [ -n "$$(git status --porcelain -- . ':!bin')" ]; then git status --porcelain; git --no-pager diff --stat; echo "verify: generated files are out of date: run 'make generate manifests fmt' and commit"; exit 1; fi

##@ Test

.PHONY: k8s-bin
k8s-bin: ## Build the local control plane binaries into bin/k8s/<version> (first time: the longest step of a fresh machine).
	K8S_VERSION=$(K8S_VERSION) hack/build-k8s.sh

# The end-to-end suite is the longest package (about 17 minutes under -race);
# named first, it starts first, and go test's second slot runs every other
# package beside it instead of after most of them.
.PHONY: test
test: manifests generate k8s-bin ## Run every test: unit, golden, envtest and end to end on Kubernetes $(K8S_VERSION), then the envtests on $(K8S_MIN_VERSION).
	go vet -tags corpus,reliability ./...
	go test -race -count=1 -timeout 40m ./test/e2e/ ./...
	$(MAKE) --no-print-directory test-k8s-min

.PHONY: k8s-min-bin
k8s-min-bin: ## Build the kube-apiserver of $(K8S_MIN_VERSION) for test-k8s-min (its etcd comes from k8s-bin).
	K8S_MIN_VERSION=$(K8S_MIN_VERSION) K8S_VERSION=$(K8S_VERSION) hack/build-k8s-min.sh

.PHONY: test-k8s-min
test-k8s-min: k8s-bin ## Run the API, translation and TaskDefinition envtests on the oldest Kubernetes Berth supports, $(K8S_MIN_VERSION) (the first time, builds its kube-apiserver: 5-10 min).
	assets="$$(K8S_MIN_VERSION=$(K8S_MIN_VERSION) K8S_VERSION=$(K8S_VERSION) hack/build-k8s-min.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" BERTH_EXPECT_K8S_MINOR=$(word 2,$(subst ., ,$(K8S_MIN_VERSION))) \
		go test -count=1 ./api/v1alpha1/ ./internal/importer/ ./controllers/taskdefinition/

# Packages whose tests need an API server (envtest) or the local control
# plane; every other package's tests are unit and golden tests.
API_TEST_PKGS := /api/v1alpha1$$|/controllers/capacityprovider$$|/internal/patch$$|/controllers/revision$$|/controllers/cluster$$|/controllers/service$$|/controllers/stoppedtask$$|/controllers/task$$|/controllers/scalabletarget$$|/controllers/metricalarm$$|/internal/hooks$$|/internal/testenv$$|/controllers/taskdefinition$$|/internal/awsapi/endpoint$$|/internal/importer$$|/internal/localcp$$|/internal/localrun$$|/internal/bench$$|/test/
UNIT_TEST_PKGS = $(shell go list ./... | grep -v -E '$(API_TEST_PKGS)')

.PHONY: reliability
reliability: manifests k8s-bin ## Run the reliability and security suite in full (docs/reliability.md): R1-R10 on the local control plane, about 25 minutes; `make test` runs a short version of it.
	BERTH_RELIABILITY_FIGURES=$(CURDIR)/docs/reliability/figures.json go test -tags reliability -count=1 -v -timeout 60m ./test/reliability/
	go test -tags reliability -count=1 -v -timeout 30m -run 'TestNoTaskStoppedWithItsNode' ./test/e2e/

.PHONY: test-unit
test-unit: ## Run the unit and golden tests only: every package but those that need an API server (no Kubernetes binaries needed).
	go test -count=1 -run 'TestSchemaCoverage|TestMarkersSurviveGofmt' ./api/...
	go test -count=1 $(UNIT_TEST_PKGS)

.PHONY: test-e2e
test-e2e: k8s-bin ## Run the end-to-end suite on the local control plane.
	go test -count=1 -v -timeout 30m ./test/e2e/...

# The real-world corpus: task definitions and services from other people's
# public repositories, kept outside the repository (opt-in; .ci/run runs it
# when the folder exists).
CORPUS ?= ../shared/corpus

.PHONY: corpus
corpus: manifests k8s-bin ## Run the real-world corpus tests over CORPUS (other people's files, kept outside the repository; default ../shared/corpus) and check docs/corpus.md.
	BERTH_CORPUS=$(abspath $(CORPUS)) go test -tags corpus -count=1 -run '^TestCorpus$$' ./api/v1alpha1/ ./internal/importer/

.PHONY: corpus-update
corpus-update: manifests k8s-bin ## make corpus, rewriting docs/corpus.md.
	BERTH_CORPUS=$(abspath $(CORPUS)) go test -tags corpus -count=1 -run '^TestCorpus$$' ./internal/importer/ -update

BENCH_OUT ?= docs/bench
BENCH_QUICK_OUT ?= $(LOCALBIN)/bench-quick
BENCH_LARGE_OUT ?= docs/bench-large
BENCH_FLAGS ?=

.PHONY: bench
bench: manifests k8s-bin ## Run the micro-benchmarks, then M1-M5 and S1 on the local control plane against the client-go baseline; writes $(BENCH_OUT) (43 minutes on 2 cores, of which berth-bench's 39m39s; BENCH_FLAGS=-quick for a short run).
	go test -run '^$$' -bench . -benchmem ./internal/... ./controllers/...
	go build -o $(LOCALBIN)/berth-bench ./cmd/berth-bench
	$(LOCALBIN)/berth-bench -out $(BENCH_OUT) $(BENCH_FLAGS)

.PHONY: bench-large
bench-large: manifests k8s-bin ## What does not fit make bench's 40 minutes: M1 at 5,000 Services, K1 (10,000 Services, 1,000 of every other kind), A1 (ECS API reads), L1 (CloudWatch Logs FilterLogEvents) and M1 in the default profile; writes $(BENCH_LARGE_OUT).
	go build -o $(LOCALBIN)/berth-bench ./cmd/berth-bench
	$(LOCALBIN)/berth-bench -large -out $(BENCH_LARGE_OUT) $(BENCH_FLAGS)

.PHONY: bench-quick
bench-quick: manifests k8s-bin ## M1-M5 and the write budget at N = 100, for reviewing a change (under 5 minutes; report in $(BENCH_QUICK_OUT), not comparable with docs/bench).
	go build -o $(LOCALBIN)/berth-bench ./cmd/berth-bench
	$(LOCALBIN)/berth-bench -quick -out $(BENCH_QUICK_OUT) $(BENCH_FLAGS)

.PHONY: bench-smoke
bench-smoke: manifests k8s-bin ## The benchmark's smoke test (part of `make test`): a new Service must cost at most 4 operator writes, and a no-op resync of 20 Services must write nothing.
	go test -count=1 -run TestSmoke -v ./internal/bench/

##@ Build

.PHONY: build
build: ## Build the manager binary.
	go build -o $(LOCALBIN)/manager ./cmd

# run builds berth-local and execs it rather than `go run`: after a Ctrl-C,
# `go run` exits with status 1 whatever the program did, and make reports it.
.PHONY: run
run: ## Start a local control plane with simulated node pools and run Berth against it (first time: builds the Kubernetes binaries).
	@echo "Generating the code, CRDs and RBAC (make manifests generate)..."
	@$(MAKE) --no-print-directory -s manifests generate
	@$(MAKE) --no-print-directory -s k8s-bin >/dev/null
	@echo "Building berth-local into $(LOCALBIN)/berth-local (a few minutes the first time)..."
	@go build -o $(LOCALBIN)/berth-local ./cmd/berth-local
	@exec $(LOCALBIN)/berth-local

.PHONY: run-cluster
run-cluster: manifests generate install ## Run Berth from source against the cluster of the current kubeconfig (kind, k3d, ...), after installing the CRDs (needs kubectl); ARGS="..." passes flags (bin/manager -h).
	go build -o $(LOCALBIN)/manager ./cmd
	exec $(LOCALBIN)/manager $(ARGS)

.PHONY: docker-build
docker-build: ## Build the manager image (needs a container engine).
	docker build -t $(IMG) .

##@ Deployment (a real cluster: kind, k3d, EKS, ...)

.PHONY: install
install: manifests $(KUSTOMIZE) ## Install the CRDs into the cluster in ~/.kube/config.
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side -f -

.PHONY: uninstall
uninstall: manifests $(KUSTOMIZE) ## Remove the CRDs.
	$(KUSTOMIZE) build config/crd | kubectl delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests $(KUSTOMIZE) ## Deploy the operator (image IMG).
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | kubectl apply --server-side -f -
	@# Kubernetes 1.36+: the draining finalizer rides a Service's create (config/admission).
	if kubectl get --raw /apis/admissionregistration.k8s.io/v1 | grep -q '"name":"mutatingadmissionpolicies"'; then \
		$(KUSTOMIZE) build config/admission | kubectl apply --server-side -f -; fi

.PHONY: undeploy
undeploy: $(KUSTOMIZE) ## Remove the operator.
	$(KUSTOMIZE) build config/admission | kubectl delete --ignore-not-found -f - || true
	$(KUSTOMIZE) build config/default | kubectl delete --ignore-not-found -f -

##@ Tools

$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN)/tools/.gobin go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/tools/.gobin/controller-gen $@

$(KUSTOMIZE):
	GOBIN=$(LOCALBIN)/tools/.gobin go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(LOCALBIN)/tools/.gobin/kustomize $@

$(GOLANGCI_LINT):
	GOBIN=$(LOCALBIN)/tools/.gobin go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(LOCALBIN)/tools/.gobin/golangci-lint $@
