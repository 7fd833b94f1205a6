# directiron.sriov: one-command set-up and test tiers.
#   make demo   converge playbooks/site.yml (on a lab VM when there is no real host)
#   make test   every test tier, from a fresh Debian 12 or Debian 13 machine
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

.PHONY: help venv host-deps link copy pybin unit generate mutation sanity units matrix lint docs-lint changelog-lint docsite release build test demo bench clean

help:
	@echo "make demo   converge playbooks/site.yml on a lab VM (or on inventory INVENTORY=...)"
	@echo "make test   run every test tier (unit, sanity, units, matrix, lint, docs, docsite, changelog, build, lab)"
	@echo "make unit   fast tier: pytest on fixture trees"
	@echo "make generate  write the option table's doc fragment and role argument spec (after editing _spec.py)"
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

# The files that copy the sriov_vf option table (plugins/module_utils/_spec.py) for Ansible: the doc
# fragment vf_options (sriov_vf's options, sriov_host's sriov_pfs) and the sriov_vfs role's
# argument spec. tests/unit/test_generated_docs.py fails when a checked-in copy is stale.
generate: venv link
	PYTHONPATH=$(AC_LINK_ROOT) $(BIN)/python tests/utils/generate_option_docs.py

# Break each claimed behaviour in a copy of the collection and show that a test fails (tests/mutations/).
mutation: venv link
	$(BIN)/python tests/mutations/run.py

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

# The ansible-core minors besides the venv's 2.19 that requires_ansible claims (core
# version:controller Python; each needs Python >= 3.12), and
# the sanity tests that depend on the ansible-core version (module docs and argument specs,
# plugin loading, imports against that version's module_utils); the style and code checks that
# do not depend on it (pylint, pep8, yamllint, ...) run on 2.19 in the sanity tier.
MATRIX ?= 2.20.10:3.12 2.21.5:3.13
MATRIX_SANITY_ARGS ?= --test validate-modules --test ansible-doc --test import --test action-plugin-docs --test runtime-metadata

matrix: venv link copy pybin
	bash tests/release/matrix.sh "$(AC_COPY)" "$(PYBIN)" "$(MATRIX)" "$(MATRIX_SANITY_ARGS)"

lint: venv link
	$(BIN)/ansible-lint --profile production roles playbooks

docs-lint: venv link
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .

# The docsite, built offline by antsibull-docs with the guides (docs/docsite/extra-docs.yml), then
# opened in headless Chromium: module index, one module page, a screenshot (tests/docsite/build.py).
docsite: venv host-deps link
	$(BIN)/python tests/docsite/build.py

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# Release the version in galaxy.yml: changelogs/changelog.yaml and CHANGELOG.rst from the
# fragments (antsibull-changelog runs ansible-doc on the linked collection). See CONTRIBUTING.md.
release: venv link
	$(BIN)/antsibull-changelog release

# Build the tarball, install it from the README's requirements.yml, render every module's docs,
# check the execution-environment files (ansible-builder, offline) and run Galaxy's importer with
# Automation Hub's settings (tests/release/build.sh).
build: venv
	BIN=$(BIN) bash tests/release/build.sh

test: venv host-deps link
	bash tests/run-tiers.sh

demo: venv host-deps link
	bash playbooks/demo.sh

# Every benchmark figure, printed and written to benchmarks/RESULTS.md; exit 1 when a goal is missed.
# The site playbook's figures need a lab VM (host packages, the lab image); BENCH_ARGS=--no-site
# skips them and needs neither.
bench: venv link
	@if [[ " $(BENCH_ARGS) " != *" --no-site "* && " $(BENCH_ARGS) " != *" --fleet-only "* ]]; then \
	  $(MAKE) --no-print-directory host-deps lab-image; fi
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(TMP) tests/output
