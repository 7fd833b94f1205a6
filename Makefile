# directiron.sriov: one-command set-up and test tiers.
#   make demo   converge playbooks/site.yml (on a lab VM when there is no real host)
#   make test   every test tier, from a fresh Debian 12 machine
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
TMP := $(CURDIR)/.tmp
# ansible-test refuses any layout but ansible_collections/<ns>/<name>: a copy, not a symlink,
# and outside this git checkout (inside it, ansible-test lists files with git and sees none).
AC_COPY := $(or $(TMPDIR),/tmp)/directiron-sriov-$(shell echo $(CURDIR) | md5sum | cut -c1-8)/ansible_collections/directiron/sriov
# pytest and ansible-doc import the collection through this symlinked root.
AC_LINK_ROOT := $(CURDIR)/.cache/collections
ANSIBLE_TEST_PIP := 24.2
export ANSIBLE_COLLECTIONS_PATH := $(AC_LINK_ROOT)
export PATH := $(BIN):$(PATH)

-include lab/lab.mk

.PHONY: help venv host-deps link copy pybin unit sanity units lint docs-lint changelog-lint build test demo bench clean

help:
	@echo "make demo   converge playbooks/site.yml on a lab VM (or on inventory INVENTORY=...)"
	@echo "make test   run every test tier (unit, sanity, units, lint, docs, changelog, build, lab)"
	@echo "make unit   fast tier: pytest on fixture trees"
	@echo "make bench  every benchmark figure, written to benchmarks/RESULTS.md (BENCH_ARGS=--report-only)"

$(BIN)/.deps-stamp: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.deps-stamp

host-deps:
	bash lab/host-deps.sh

link:
	@mkdir -p $(AC_LINK_ROOT)/ansible_collections/directiron
	@ln -sfn $(CURDIR) $(AC_LINK_ROOT)/ansible_collections/directiron/sriov

# The files git would ship (tracked plus untracked-not-ignored), copied for ansible-test.
copy:
	@rm -rf $(AC_COPY) && mkdir -p $(AC_COPY)
	@git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' \
	  | tar -cf - -T - | tar -xf - -C $(AC_COPY)

unit: venv link
	PYTHONPATH=$(AC_LINK_ROOT) $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider tests/unit

# pyenv's shims answer for python3.X only when that version is selected, and ansible-test does
# not pass PYENV_VERSION on: link every installed interpreter into one directory on PATH so
# sanity checks each target Python this machine has (versions it lacks are skipped).
PYBIN := $(TMP)/pybin

pybin:
	@rm -rf $(PYBIN) && mkdir -p $(PYBIN)
	@if command -v pyenv >/dev/null; then \
	  for exe in $$(pyenv root)/versions/*/bin/python3.*; do \
	    case "$$(basename $$exe)" in python3.[0-9]|python3.[0-9][0-9]) \
	      test -e $(PYBIN)/$$(basename $$exe) || ln -s $$exe $(PYBIN)/$$(basename $$exe);; esac; \
	  done; fi

sanity: venv copy pybin
	$(BIN)/python tests/utils/write_get_pip_cache.py $(ANSIBLE_TEST_PIP)
	cd $(AC_COPY) && PATH=$(PYBIN):$$PATH $(BIN)/ansible-test sanity --venv --color no $(SANITY_ARGS)

units: venv copy
	$(BIN)/python tests/utils/write_get_pip_cache.py $(ANSIBLE_TEST_PIP)
	cd $(AC_COPY) && $(BIN)/ansible-test units --venv --python 3.11 --color no

lint: venv link
	$(BIN)/ansible-lint --profile production roles playbooks

docs-lint: venv link
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# Build the tarball, install it into a scratch path and render every module's docs from there.
build: venv
	rm -rf $(TMP)/build && mkdir -p $(TMP)/build/install
	$(BIN)/ansible-galaxy collection build --force --output-path $(TMP)/build .
	$(BIN)/ansible-galaxy collection install --force -p $(TMP)/build/install $(TMP)/build/directiron-sriov-*.tar.gz
	for m in $$(ls plugins/modules/*.py | xargs -n1 basename | sed 's/\.py$$//'); do \
	  ANSIBLE_COLLECTIONS_PATH=$(TMP)/build/install $(BIN)/ansible-doc directiron.sriov.$$m >/dev/null \
	    || { echo "ansible-doc failed for $$m"; exit 1; }; echo "ansible-doc ok: directiron.sriov.$$m"; done

test: venv host-deps link
	bash tests/run-tiers.sh

demo: venv host-deps link
	bash playbooks/demo.sh

# Every benchmark figure, printed and written to benchmarks/RESULTS.md; exit 1 when a goal is missed.
bench: venv
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(TMP) tests/output
