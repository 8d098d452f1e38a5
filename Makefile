# `make run` and `make test` are all a fresh clone needs: each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PO := $(wildcard bot/locale/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test bench lint typecheck i18n-extract i18n-update clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]' >&2
	@touch $(STAMP)

%.mo: %.po $(STAMP)
	@$(BIN)/pybabel compile -q -d bot/locale -D messages

run: $(STAMP) $(MO)
	@$(BIN)/reseller-bot

test: $(STAMP) $(MO)
	@$(BIN)/pytest

bench: $(STAMP) $(MO)
	@$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k t -k plural:1,2 -o bot/locale/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i bot/locale/messages.pot -d bot/locale -D messages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
