# The workbook's commands. `make lab` to learn, `make test` to check. Both build the venv when it is missing.
#   make test PYTHON=python3.12   builds and tests a separate venv (.venv-3.12) with that interpreter.

PYTHON ?= python3
# The default interpreter gets .venv; any other gets .venv-<its X.Y>, so several can live side by side.
PYVER := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
ifeq ($(PYVER),)
$(error $(PYTHON) was not found: install Python 3.11-3.13 or pass PYTHON=/path/to/python3.X)
endif
ifeq ($(origin PYTHON),file)
VENV ?= .venv
else ifeq ($(origin PYTHON),default)
VENV ?= .venv
else
VENV ?= .venv-$(PYVER)
endif
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Lessons in order, the appendices, then the lessons' solutions notebooks: all executed and validated alike.
LESSONS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
APPENDICES := $(sort $(wildcard notebooks/appendix_*.ipynb))
SOLUTIONS := $(sort $(wildcard notebooks/solutions/[0-9][0-9]_*.ipynb))
NOTEBOOKS := $(LESSONS) $(APPENDICES) $(SOLUTIONS)
# A notebook's kernel that dies before it answers (seen once in CI, three workers on two cores) is started again,
# up to 3 times, as a hub's kernel restarter does; each restart shows in the warnings summary.
NBVAL := -p nbval -p support.workbook.kernel_restart --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=120
# make test, unit and nbval run on JOBS pytest-xdist workers: one and a half per CPU, as most tests and cells
# wait on sockets, timers and kernels rather than compute. More workers would keep every CPU busy, and the
# tests that time the event loop (its longest lag, a CPU share) would then fail for want of a free CPU.
# JOBS=0 runs everything in this one process, in the exact order the seed gives (with workers, which worker
# runs what depends on timing).
JOBS ?= $(shell $(PYTHON) -c 'import os; n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1; print(n + n // 2)')
# Each test file and each notebook goes to one worker whole: a notebook's cells share one kernel and run in
# order, and a file's module-scoped fixtures (a server, a built site) are set up once, as without workers.
XDIST := -n $(JOBS) --dist loadfile
# The order's seed: SEED=N repeats a run's order.
RUN_SEED = $(if $(SEED),$(SEED),$$($(BIN)/python -c 'import random; print(random.randrange(1, 10**6))'))
# The project's external notebook lint, when it sits beside the repository; forks run without it.
LINT_TOOL := ../shared/tools/notebook_lint.py
export PYTHONDONTWRITEBYTECODE := 1
# Kernelspecs from this venv win over any the user installed elsewhere.
export JUPYTER_PREFER_ENV_PATH := 1
# The name JupyterLab shows for the workbook's kernel; notebooks store it too (support.workbook.notebook_runner).
KERNEL_DISPLAY_NAME := Python 3 (async workbook)

.PHONY: help venv lab test unit nbval e2e notebooks slides site lint lock bench bench-readme mutate clean

help:
	@echo "make lab        open JupyterLab on the workbook (builds $(VENV) if missing)"
	@echo "make test       unit tests + strict nbval on every notebook, on JOBS workers (make unit, make nbval: each alone)"
	@echo "make e2e        every notebook run in JupyterLab in headless Chromium (screenshots in build/e2e/)"
	@echo "make notebooks  re-execute every notebook from a fresh kernel, storing outputs"
	@echo "make slides     reveal.js slides of every lesson, from stored outputs, in build/slides/ (offline)"
	@echo "make site       the executed workbook as a static web site in build/site/ (offline, stored outputs)"
	@echo "make lint       ruff on support/, tests/, benchmarks/ and notebooks, the notebook checks, mypy on support/"
	@echo "make bench      run every benchmark, write benchmarks/report.md and the README's performance table"
	@echo "make mutate     mutation testing (mutmut) of the modules the lessons rely on; a score per module"
	@echo "make hub        JupyterHub for a class on this machine: a password and a server per learner (README)"
	@echo "make hub-test   start the hub on 127.0.0.1, three learners run lesson 00, isolation checked (about 1 min)"
	@echo "make class-load K learners (8) run every lesson and solutions notebook at once; clashes fail it"
	@echo "make lock       re-pin requirements.lock from pyproject.toml (needs network)"
	@echo "make clean      remove venvs, caches and generated data"

venv: $(STAMP)

# Rebuilt when the lock, the project metadata or the kernel's start-up change.
$(STAMP): requirements.lock pyproject.toml support/workbook/kernel_interrupt.py
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else "Python 3.11-3.13 is needed, $(PYTHON) is %d.%d" % v)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	# The kernel notebooks ask for ("python3") is this venv's own Python.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "$(KERNEL_DISPLAY_NAME)" >/dev/null
	# Its start-up, read by every kernel of this venv: Interrupt Kernel stops a cell stuck in an await.
	$(BIN)/python -m support.workbook.kernel_interrupt >/dev/null
	# No news pop-up or update check: the lab runs offline, in class.
	$(BIN)/python -m support.workbook.lab_settings >/dev/null
	touch $@

# Root (containers, CI machines) needs --allow-root, or Jupyter refuses to start.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

# What make unit and make nbval run, in one pytest: the workers stay busy from the first test to the last.
# Notebooks come in the seed's order among the tests, each one's cells in their own order (conftest.py).
test: $(STAMP)
	@seed=$(RUN_SEED); \
	echo "tests and notebooks in random order, seed $$seed (make test SEED=$$seed repeats it)"; \
	$(BIN)/python -m pytest -q $(XDIST) -p randomly --randomly-seed=$$seed -m "not e2e" $(NBVAL) tests $(NOTEBOOKS)

# The browser tests (marked e2e) take minutes: `make e2e` runs them, `make unit` says so in one line.
# In a random order (pytest-randomly), so no test leans on another having run first. The first line names the
# seed: `make unit SEED=N` repeats that order.
unit: $(STAMP)
	@seed=$(RUN_SEED); \
	echo "tests in random order, seed $$seed (make unit SEED=$$seed repeats it)"; \
	$(BIN)/python -m pytest -q $(XDIST) -p randomly --randomly-seed=$$seed -m "not e2e" tests

# Every notebook run from JupyterLab's menu in the system's Chromium (apt-get install chromium), on a copy of
# notebooks/. Screenshots and the Run-All times go to build/e2e/. Fails at once, in one line, without Chromium.
# Lesson 06's form and the static site are checked too; the site is built afresh by the test (no make site first).
e2e: $(STAMP)
	@$(BIN)/python tests/e2e/browser.py
	$(BIN)/python -m pytest -q -m e2e -rs tests/e2e

nbval: $(STAMP)
	$(BIN)/python -m pytest -q $(XDIST) $(NBVAL) $(NOTEBOOKS)

# Stored outputs come only from here: each notebook from a fresh kernel, top to bottom, in order.
notebooks: $(STAMP)
	$(BIN)/python -m support.workbook.notebook_runner $(NOTEBOOKS)

# reveal.js HTML of each lesson with its stored outputs; reveal.js is copied beside them, so they open offline.
slides: $(STAMP)
	$(BIN)/python -m support.workbook.slides --out build/slides $(LESSONS)

# README as the front page, every notebook with its stored outputs (Sphinx + MyST-NB; no kernel, no network).
site: $(STAMP)
	$(BIN)/python -m support.workbook.site --out build/site

lint: $(STAMP)
	$(BIN)/ruff check support tests benchmarks notebooks
	$(BIN)/ruff format --check support tests benchmarks notebooks
	$(BIN)/python -m support.workbook.notebook_checks notebooks
	# Type checks of support/, settings in pyproject.toml ([tool.mypy]).
	$(BIN)/python -m mypy
	@if [ -f $(LINT_TOOL) ]; then $(BIN)/python $(LINT_TOOL) notebooks; else echo "($(LINT_TOOL) not found: skipped)"; fi

# Every benchmark in one go, then benchmarks/report.md, its charts, results/report.json and the README's table;
# exits 1 when a figure regressed or missed its goal (about 5 minutes on 2 cores).
bench: $(STAMP)
	$(BIN)/python benchmarks/report.py

# Only the README's performance table, from the saved report (no benchmark runs).
bench-readme: $(STAMP)
	$(BIN)/python benchmarks/report.py --readme-only

# Mutation testing, not part of `make test` (CPU-heavy: about two hours on 2 cores for every mutant). One module
# at a time, each mutant against the tests that call it; survivors in tests/mutation/equivalent.md are left out.
# `make mutate MODULES="support.timing support.lab.services"` runs only those; SAMPLE=4 runs a quarter.
mutate: $(STAMP)
	$(BIN)/python tests/mutation/run.py $(if $(SAMPLE),--sample $(SAMPLE)) $(MODULES)

# -- A class on one machine (README, "Teaching a class") ------------------------------------------------------
.PHONY: hub hub-test class-load
HUB_PROXY := hub/node/node_modules/.bin/configurable-http-proxy

# The proxy JupyterHub routes through, from npm: the exact versions of hub/node/package-lock.json, installed into
# hub/node only (never globally). Needs Node.js 20+ and npm, and the npm registry the first time.
$(HUB_PROXY): hub/node/package.json hub/node/package-lock.json
	@command -v npm >/dev/null || { echo "make hub needs Node.js 20+ and npm (e.g. apt-get install nodejs npm)"; exit 1; }
	npm ci --prefix hub/node --no-audit --no-fund --loglevel=error
	touch $@

# The class hub on http://127.0.0.1:8900 (HUB_IP, HUB_PORT, HUB_STATE, HUB_ADMIN: hub/jupyterhub_config.py).
hub: $(STAMP) $(HUB_PROXY)
	$(BIN)/jupyterhub -f hub/jupyterhub_config.py

# Not part of `make test`: a real hub, proxy, three learners' servers and kernels (about a minute on 2 cores).
hub-test: $(STAMP) $(HUB_PROXY)
	$(BIN)/python -m pytest -q hub/test_hub.py

# Not part of `make test`: K learners (default 8) at once, each in their own folder and home, running every lesson
# and solutions notebook with strict nbval; fails on any port, file or cache clash. CPU-heavy: run it alone.
class-load: $(STAMP)
	$(BIN)/python -m support.workbook.class_load $(if $(K),--learners $(K))

lock:
	$(PYTHON) -m pip install --quiet uv && $(PYTHON) -m uv pip compile pyproject.toml --extra dev --extra hub --universal --python-version 3.11 -o requirements.lock

clean:
	rm -rf .venv .venv-* .pytest_cache .ruff_cache .mypy_cache build mutants *.egg-info support/*.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
	rm -rf .cache
