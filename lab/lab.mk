# directiron.sriov lab targets; included by the top-level Makefile (`-include lab/lab.mk`),
# which defines VENV and BIN. Every target also works on its own: make -f lab/lab.mk lab-test
LAB_VENV ?= $(or $(VENV),$(CURDIR)/.venv)
LAB_BIN ?= $(LAB_VENV)/bin
# Scenarios under extensions/molecule/ that lab-test runs, in order (later issues append).
LAB_SCENARIOS ?= default
LAB_COLLECTIONS ?= $(CURDIR)/.cache/collections

.PHONY: lab-test lab-unit lab-image lab-status lab-down

# Boot lab VMs and run the molecule scenarios (create, converge, idempotence, verify, destroy).
# Needs root once to build the cached image (debootstrap); later runs reuse it.
lab-test: lab-image
	@mkdir -p $(LAB_COLLECTIONS)/ansible_collections/directiron
	@test -e $(LAB_COLLECTIONS)/ansible_collections/directiron/sriov || \
	  ln -sfn $(CURDIR) $(LAB_COLLECTIONS)/ansible_collections/directiron/sriov
	cd $(CURDIR) && for s in $(LAB_SCENARIOS); do \
	  echo "lab-test: scenario $$s"; start=$$(date +%s); \
	  PATH=$(LAB_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(LAB_COLLECTIONS) \
	    $(LAB_BIN)/molecule test -s $$s || exit 1; \
	  echo "lab-test: scenario $$s passed in $$(( $$(date +%s) - start )) s"; \
	done

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
