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
	@$(BIN)/pybabel -q compile -d bot/locale -D messages

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

# Message ids: N_("…") and _("…") mark them, t("…") translates a literal, t.plural("…", "…", n) a
# plural (tests/unit/test_i18n_catalogs.py reads this line: keep one space-separated list).
I18N_KEYWORDS := N_ _ t plural:1,2
I18N_POT := bot/locale/messages.pot

# Re-run after changing user-facing text: new ids appear untranslated in each messages.po (the
# catalog test names them), changed ones as fuzzy. Fill them in, then `make test` recompiles.
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords $(addprefix -k ,$(I18N_KEYWORDS)) \
		--sort-by-file --no-wrap --project "Reseller Desk" --copyright-holder "Reseller Desk" \
		-o $(I18N_POT) .

i18n-update: i18n-extract
	$(BIN)/pybabel -q update -i $(I18N_POT) -d bot/locale -D messages --no-wrap --ignore-obsolete \
		--ignore-pot-creation-date
	$(BIN)/pybabel -q compile -d bot/locale -D messages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
