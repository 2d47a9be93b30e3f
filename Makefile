# Two commands for a newcomer: `make demo` and `make test`. Both set up first.
# Needs only python3.11 and make; uv (from PyPI) installs the locked dependencies fast.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
VENV := .venv
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true

.PHONY: setup clients demo lint test test-long benchmark clean

$(UV):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "make: $(PYTHON) not found. This project needs Python 3.11: install it (e.g. apt install python3.11, pyenv install 3.11)," >&2; \
		echo "      or point make at one you have: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; \
		exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || { \
		echo "make: $(PYTHON) is not Python 3.11 ($$($(PYTHON) --version 2>&1)); run make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; \
		exit 2; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $@

setup: $(VENV)/.synced

# Third-party Jira clients, each in a venv of its own under .venv-clients/ (tap-jira's singer-python
# and Airbyte's CDK cannot share one), pinned by tests/clients/requirements-*.txt (regenerate one
# with `uv pip compile --python-version 3.11 -o requirements-X.txt X.in` there). tests/clients runs
# them against the simulators when this folder exists and skips, saying so, when it does not.
CLIENTS := tap-jira airbyte jira
CLIENTS_VENV := .venv-clients

$(CLIENTS_VENV)/%/.synced: tests/clients/requirements-%.txt | $(UV)
	rm -rf $(CLIENTS_VENV)/$*
	$(UV) venv --quiet --python $(PYTHON) $(CLIENTS_VENV)/$*
	$(UV) pip sync --quiet --python $(CLIENTS_VENV)/$*/bin/python $<
	touch $@

clients: $(foreach client,$(CLIENTS),$(CLIENTS_VENV)/$(client)/.synced)

demo: setup
	$(VENV)/bin/pwh demo $(ARGS)

# ruff (lint and format) on the Python, sqlfluff on the dbt models (dbt templater; it compiles
# the project against a scratch PWH_HOME, so it needs no warehouse).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PWH_HOME="$$(mktemp -d)" $(VENV)/bin/sqlfluff lint dbt_project --processes 2

# Whole test files go to the two workers (their module fixtures are built once); the costly
# session fixtures (the demo warehouse, the landed small world, its dbt builds) are built once per
# run and shared by both workers (tests/conftest.py shared_once). Files go out in the order
# tests/conftest.py gives them (the slow ones first), not xdist's most-tests-first.
test: setup
	$(VENV)/bin/pytest -n 2 --dist loadfile --no-loadscope-reorder $(ARGS)

# Scenarios of several whole pipeline runs (minutes each); CI runs them after `make test`.
test-long: setup
	$(VENV)/bin/pytest -n 2 --dist loadfile -m long $(ARGS)

benchmark: setup
	$(VENV)/bin/pytest -m benchmark -p no:cacheprovider $(ARGS)

clean:
	rm -rf $(VENV) $(CLIENTS_VENV) $(TOOLS) warehouse .dagster dbt_project/target dbt_project/logs
