# directiron.sriov lab targets; included by the top-level Makefile (`-include lab/lab.mk`),
# which defines VENV and BIN. Every target also works on its own: make -f lab/lab.mk lab-test
LAB_VENV ?= $(or $(VENV),$(CURDIR)/.venv)
LAB_BIN ?= $(LAB_VENV)/bin
# Scenarios under extensions/molecule/ that lab-test runs. lab/schedule.py runs them on
# LAB_JOBS lanes (lab VMs at once; LAB_JOBS=1 runs them one after another): largest VM-seconds
# first (platforms x the measured seconds in lab/scenario-times.json: the one table of scenario
# times; facts boots two VMs, so it holds both lanes), one log per scenario in LAB_LOG_DIR.
# site covers what default (smoke), pools (pool network up with its PF's VFs) and persist (boot
# replay) also check, faults the PF missing at boot; site-trixie is site on Debian 13 (the trixie
# image variant); default, pools and persist run outside the default set:
# LAB_SCENARIOS="$(LAB_SCENARIOS_EXTRA)" make lab-test. migrate (two lab VMs, both lanes: the
# nested guest live-migrated between them, and what guest checks) runs outside it too, for
# now: LAB_SCENARIOS=migrate make lab-test (its time does not fit the make test budget yet).
LAB_SCENARIOS ?= facts vf lifecycle faults iommu site site-trixie guest
LAB_SCENARIOS_EXTRA := default pools persist migrate
LAB_COLLECTIONS ?= $(CURDIR)/.cache/collections
LAB_JOBS ?= 2
LAB_LOG_DIR ?= $(CURDIR)/.cache/lab-logs

.PHONY: lab-test lab-unit lab-image lab-status lab-down

# Boot lab VMs and run the molecule scenarios (create, converge, idempotence, verify, destroy).
# Needs root once to build the cached image (debootstrap); later runs reuse it.
lab-test: lab-image
	@mkdir -p $(LAB_COLLECTIONS)/ansible_collections/directiron
	@test -e $(LAB_COLLECTIONS)/ansible_collections/directiron/sriov || \
	  ln -sfn $(CURDIR) $(LAB_COLLECTIONS)/ansible_collections/directiron/sriov
	cd $(CURDIR) && PATH=$(LAB_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(LAB_COLLECTIONS) \
	  $(LAB_BIN)/python -m lab.schedule --jobs $(LAB_JOBS) --log-dir $(LAB_LOG_DIR) \
	  --molecule $(LAB_BIN)/molecule $(LAB_SCENARIOS)

# Unit tests of the lab tooling itself (no VM, no root).
lab-unit:
	cd $(CURDIR) && $(LAB_BIN)/python -m pytest -q lab/tests

lab-image:
	cd $(CURDIR) && $(LAB_BIN)/python -m lab build --variant base
	cd $(CURDIR) && $(LAB_BIN)/python -m lab build --variant iommu

lab-status:
	cd $(CURDIR) && $(LAB_BIN)/python -m lab status

lab-down:
	cd $(CURDIR) && $(LAB_BIN)/python -m lab down --all --no-sync
