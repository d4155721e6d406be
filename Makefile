# gpu-mlaas developer commands. `make test` works on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
GO_PACKAGES := golang-go golang-github-vmware-govmomi-dev golang-github-google-uuid-dev
# apt-get needs root: CI runs as root, a developer's shell goes through sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: test plan lab-deps lab-build lint bench up down clean

$(VENV)/.installed: pyproject.toml requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Debian packages for the vCenter lab; installed only when missing.
lab-deps:
	@if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/github.com/vmware/govmomi ] \
	    || [ ! -d /usr/share/gocode/src/github.com/google/uuid ]; then \
	  echo "installing $(GO_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GO_PACKAGES); \
	fi

lab-build: lab-deps $(VENV)/.installed
	$(PY) -m lab build

test: lab-build lint
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

plan: $(VENV)/.installed
	$(PY) -m mlaas plan --stack $(STACK)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy .

# Deploy a lab stack (STACK=dev: vCenter + vRA labs; STACK=dev-aria: vCenter + Aria labs;
# needs the Pulumi CLI; see README).
up: lab-build
	$(PY) -m lab devstack up --stack $(STACK)

down: $(VENV)/.installed
	$(PY) -m lab devstack down --stack $(STACK)

bench: lab-build
	$(PY) -m bench

clean:
	rm -rf $(VENV) lab/vcsim/bin .lab .pytest_cache
