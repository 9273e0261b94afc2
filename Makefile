# hpo-rig: the two commands of the README are `make site` and `make test`.
# Everything else here is what those two are made of, or extras.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PLAYBOOK_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup setup-dev site images test lint demo bench bench-provision clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## Create .venv with Ansible, the collections and the hpo-rig tool
	@scripts/setup

setup-dev: ## setup, plus the test toolchain and the trainer (TensorFlow)
	@scripts/setup --dev

# Asks for the sudo password only when sudo would need one.
BECOME_ARGS = $(shell [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null || echo --ask-become-pass)

site: setup ## Provision this machine (the default inventory): ansible-playbook site.yml
	$(BIN)/ansible-playbook site.yml $(BECOME_ARGS) $(PLAYBOOK_ARGS)

# Renders the kubeflow role's manifests on the host (after the mirror
# rewrites) and prints every image they name; changes nothing in the cluster.
images: setup ## List the images Katib/Kubeflow needs (to mirror them): site.yml --tags kubeflow_images
	$(BIN)/ansible-playbook site.yml --tags kubeflow_images $(BECOME_ARGS) $(PLAYBOOK_ARGS)

# The test runner sets up .venv itself, beside the test images' build.
test: ## Run every test: set-up, lint, syntax, pytest, image build, Molecule
	python3 scripts/run_tests.py

lint: ## Linters only (yamllint, ansible-lint, ruff, mypy, vermin)
	python3 scripts/run_tests.py --only lint

demo: setup-dev ## A small real experiment on digits, no GPU or cluster needed
	scripts/demo

bench: setup-dev ## Trainer throughput and local-engine overhead, as ratios
	scripts/bench

bench-provision: setup-dev ## Converge, idempotent rerun and one-role rerun times
	$(BIN)/python scripts/bench_provision.py

clean: ## Remove the virtualenv and caches (not the test image cache)
	rm -rf $(VENV) .cache
