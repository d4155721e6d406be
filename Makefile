# gpu-mlaas developer commands. `make test` works on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
# apt-get needs root: CI runs as root, a developer's shell goes through sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: test plan lab-deps lab-build tools lint bench up preview down clean

# The real Pulumi engine, built from the published Go modules pinned in tools/engine/go.mod
# into .tools/bin (docs/real-engine.md). Rebuilt only when go.mod/go.sum change.
TOOLS_BIN := .tools/bin
ENGINE_MOD := tools/engine
PULUMI_CLI_VERSION = $(shell awk '$$1 == "github.com/pulumi/pulumi/pkg/v3" {print $$2}' $(ENGINE_MOD)/go.mod)
SHIMS := pulumi-language-python pulumi-resource-pulumi-python pulumi-analyzer-policy-python

$(VENV)/.installed: pyproject.toml requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Go for the vCenter lab (a Go module, lab/vcsim/go.mod: govmomi comes from the Go module
# proxy); Debian's golang-go is installed only when no `go` is on PATH.
lab-deps:
	@if ! command -v go >/dev/null; then \
	  echo "installing golang-go"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go; \
	fi

lab-build: lab-deps $(VENV)/.installed
	$(PY) -m lab build

tools: $(TOOLS_BIN)/pulumi $(TOOLS_BIN)/pulumi-language-python-exec $(addprefix $(TOOLS_BIN)/,$(SHIMS)) $(VENV)/.installed

$(TOOLS_BIN)/pulumi: $(ENGINE_MOD)/go.mod $(ENGINE_MOD)/go.sum
	@echo "building the Pulumi CLI $(PULUMI_CLI_VERSION) from its Go module (a first build takes minutes)"
	cd $(ENGINE_MOD) && go build -trimpath \
	  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_CLI_VERSION)" \
	  -o $(abspath $@) github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

# The SDK's program runner, as published in the sdk/v3 Go module of the same version.
$(TOOLS_BIN)/pulumi-language-python-exec: $(ENGINE_MOD)/go.mod $(ENGINE_MOD)/go.sum
	cd $(ENGINE_MOD) && go mod download github.com/pulumi/pulumi/sdk/v3
	install -D -m 0755 "$$(cd $(ENGINE_MOD) && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)/python/cmd/pulumi-language-python-exec" $@

$(TOOLS_BIN)/%: tools/shims/%
	install -D -m 0755 $< $@

test: lab-build tools lint
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

plan: $(VENV)/.installed
	$(PY) -m mlaas plan --stack $(STACK)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy .

# Deploy a lab stack (STACK=dev: vCenter + vRA labs; STACK=dev-aria: vCenter + Aria labs) with
# the engine from `make tools` (or your own: PULUMI=/path/to/pulumi).
up: lab-build tools
	$(PY) -m lab devstack up --stack $(STACK)

preview: lab-build tools
	$(PY) -m lab devstack preview --stack $(STACK)

down: $(VENV)/.installed
	$(PY) -m lab devstack down --stack $(STACK)

bench: lab-build
	$(PY) -m bench

clean:
	rm -rf $(VENV) lab/vcsim/bin .lab .pytest_cache .tools
