# directiron.sriov lab targets; included by the top-level Makefile (`-include lab/lab.mk`),
# which defines VENV and BIN. Every target also works on its own: make -f lab/lab.mk lab-test
LAB_VENV ?= $(or $(VENV),$(CURDIR)/.venv)
LAB_BIN ?= $(LAB_VENV)/bin
# Scenarios under extensions/molecule/ that lab-test runs, in order (the reboot-heavy and the
# nested-guest ones last). `make test` runs these seven (measured on 2 shared cores at load 3-6:
# facts 497 s with its second VM acting as a guest and standing in for the driver-pins host
# (pins moved and held, module options, stale modules: folded in from a scenario of its own, which
# took 367 s beside facts' 273 s), vf 76 s, lifecycle 610 s (272 s before its kernel upgrade,
# per-PF removal and IOMMU removal reboots: +174, +12, +76 s; 1003 s and 1547 s at load 25-42), faults 563 s
# (708 s before plan-then-apply), iommu 212 s, site 577 s (660 s before), guest 770 s). site covers what
# default (smoke), pools (pool network up with its PF's VFs)
# and persist (boot replay) also check, faults the PF missing at boot; those three run outside it:
# LAB_SCENARIOS="$(LAB_SCENARIOS_EXTRA)" make lab-test (default 133 s, pools 331 s, persist 334 s).
LAB_SCENARIOS ?= facts vf lifecycle faults iommu site guest
LAB_SCENARIOS_EXTRA := default pools persist
LAB_COLLECTIONS ?= $(CURDIR)/.cache/collections

.PHONY: lab-test lab-unit lab-image lab-status lab-down

# Boot lab VMs and run the molecule scenarios (create, converge, idempotence, verify, destroy).
# Needs root once to build the cached image (debootstrap); later runs reuse it.
lab-test: lab-image
	@mkdir -p $(LAB_COLLECTIONS)/ansible_collections/directiron
	@test -e $(LAB_COLLECTIONS)/ansible_collections/directiron/sriov || \
	  ln -sfn $(CURDIR) $(LAB_COLLECTIONS)/ansible_collections/directiron/sriov
	@cd $(CURDIR) && failed=""; summary=""; for s in $(LAB_SCENARIOS); do \
	  echo "lab-test: scenario $$s"; start=$$(date +%s); \
	  if PATH=$(LAB_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(LAB_COLLECTIONS) \
	      $(LAB_BIN)/molecule test -s $$s; then result=passed; else result=FAILED; failed="$$failed $$s"; fi; \
	  line="lab-test: scenario $$s $$result in $$(( $$(date +%s) - start )) s"; echo "$$line"; \
	  summary="$$summary$$line\n"; \
	done; printf "$$summary"; test -z "$$failed" || { echo "lab-test: failed:$$failed"; exit 1; }

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
