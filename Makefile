# conaktiv.server developer commands; `make test` is the whole test command (also what CI runs via .ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := test
ENV := source scripts/env.sh &&

.PHONY: setup test pytest unit integration faults sanity lint docs build demo clean distclean

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

# Every pytest test path (pytest.ini), without sanity, lint and build.
pytest: setup
	$(ENV) python -m pytest

unit: setup
	$(ENV) python -m pytest tests/unit

integration: setup
	$(ENV) python -m pytest tests/integration

# The whole fault matrix (every row of tests/faults), then the matrix as a table; fails when a row is not safe.
faults: setup
	bash scripts/faults.sh

sanity: setup
	bash scripts/sanity.sh

lint: setup
	bash scripts/lint.sh

# antsibull-docs: the plugins' and the role's documentation and the docsite guides (docs/docsite), built into build/docs.
docs: setup
	bash scripts/docs.sh

build: setup
	bash scripts/build.sh

demo: setup
	bash scripts/demo.sh

# Build and test output; the venv and the dependency collections stay (see distclean).
clean:
	rm -rf build tests/output .pytest_cache .cache
	find . \( -path ./.venv -o -path ./.collections -o -path ./.git \) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf .venv .collections
