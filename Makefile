# Everyday verbs. The first use creates .venv and installs Mindgap into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite in one process per core (at most four), a test file per process at a time.
PYTEST_PARALLEL ?= -n auto --maxprocesses 4 --dist loadfile

.PHONY: run test lint format bench serve clean messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Mindgap needs Python 3.11 or newer; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# A random secret key of this installation's own, kept in the git-ignored instance folder.
instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c 'import secrets; print(f"SECRET_KEY = {secrets.token_urlsafe(48)!r}")' > $@
	@echo "Wrote a new secret key to $@"

## run: set up, migrate the SQLite database, load the demo and start the development server
# Invitations go to instance/mail/*.eml instead of a mail server (MINDGAP_MAIL_BACKEND=smtp to send).
run: export MINDGAP_MAIL_BACKEND ?= file
run: $(STAMP) instance/config.py
	$(BIN)/mindgap db upgrade
	MINDGAP_BASE_URL=http://$(HOST):$(PORT) $(BIN)/mindgap demo
	@echo "Serving at http://$(HOST):$(PORT)/ with a background worker  (Ctrl+C stops both)"
	@MINDGAP_BASE_URL=http://$(HOST):$(PORT) $(BIN)/mindgap worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  MINDGAP_BASE_URL=http://$(HOST):$(PORT) $(BIN)/mindgap serve --dev --host $(HOST) --port $(PORT)

## serve: production server (gunicorn) on the configured database
serve: $(STAMP) instance/config.py
	$(BIN)/mindgap db upgrade
	$(BIN)/mindgap serve --host $(HOST) --port $(PORT)

## test: lint, check the import layers, and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_PARALLEL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/deptry .

## messages: extract the texts people read, update every language's catalogue and compile them
# A new language: $(BIN)/pybabel init -i survey/translations/messages.pot -d survey/translations -l <code>
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project Mindgap \
	  --copyright-holder "The Mindgap developers" --msgid-bugs-address "" \
	  -k translate:2 -k translate_plural:2,3 -k lazy_gettext -k N_ \
	  -o survey/translations/messages.pot .
	$(BIN)/pybabel update -i survey/translations/messages.pot -d survey/translations --no-fuzzy-matching \
	  --ignore-obsolete --width 0
	$(BIN)/python -c 'from survey.i18n import compile_catalogues; \
	  [print(f"{k}: {d} of {n} translated") for k, (d, n) in compile_catalogues().items()]'

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/analysis.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
