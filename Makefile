# The README's commands. Everything installs into .venv so a fresh machine needs only python3 and make.
# `make run` installs what the bot needs; `make test` adds the test and lint tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUM := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(SUM)
TEST_STAMP := $(VENV)/.installed-test-$(SUM)

.PHONY: run test lint bench bench-quick explore clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $(RUN_STAMP)

# The test extra includes everything the bot needs, so it stands for a run install too.
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-run-* $(VENV)/.installed-test-*
	touch $(RUN_STAMP) $(TEST_STAMP)

run: $(if $(wildcard $(TEST_STAMP)),$(TEST_STAMP),$(RUN_STAMP))
	$(BIN)/attention-bot run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

bench-quick: $(TEST_STAMP)
	$(BIN)/python -m bench --quick

explore: $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[explore]'
	$(BIN)/datasette $${ATTENTION_DB:-attention.db} --metadata datasette.yml

clean:
	rm -rf $(VENV) build *.egg-info
