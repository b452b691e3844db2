# The two set-up commands are `make run` and `make test`; see README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned versions of every dependency (`make lock` writes it), so installs are reproducible.
CONSTRAINTS := constraints.txt
AXE := node_modules/axe-core/axe.min.js
# The first owner account, created by `make run` when there is no organiser yet.
OWNER_EMAIL ?= owner@example.org
# Where `make run` serves (set BASE_URL too when the port is not 8000: links use it).
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the tests in parallel (pytest-xdist): one worker per core, at most 4
# (each starts its own PostgreSQL and Chromium), whole files to a worker, so a file's
# module-scoped live server and browser start once. PYTEST_XDIST=-n0 runs them in one process.
PYTEST_XDIST ?= -n auto --maxprocesses=4 --dist loadfile

.PHONY: help install lock run worker test smoke fuzz lint format bench mail-messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.12 ...")'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV) with $(PYTHON) -m venv: on Debian or Ubuntu, apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the app with its development tools (pinned by constraints.txt)

lock: install ## Pin what .venv has installed into constraints.txt (after upgrading .venv)
	$(BIN)/python scripts/lock.py > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	@touch $(STAMP)

run: install ## Migrate, create the side-event if missing, create a first owner and serve on HOST:PORT (127.0.0.1:8000)
	$(BIN)/rsvp migrate
	$(BIN)/rsvp seed --if-missing
	$(BIN)/rsvp create-organiser --if-none --generate-password --email $(OWNER_EMAIL) --role owner
	$(BIN)/rsvp serve --host $(HOST) --port $(PORT)

worker: install ## Send queued e-mails (a separate sender; `make run` also sends in-process)
	$(BIN)/rsvp worker

# axe-core (for the browser tests) comes from npm when npm is there; without it, or
# without Chromium, the browser tests skip with the reason (and fail under CI=true).
$(AXE): package-lock.json
	npm ci --no-audit --no-fund

test: install $(if $(shell command -v npm),$(AXE)) ## Run the whole test suite, in parallel (PYTEST_ARGS='-m "not slow"': the quick loop)
	$(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

smoke: ## `make run` on a free port, then the README's curl lines against it
	bash scripts/smoke.sh

fuzz: install ## schemathesis against the running app, anonymous and as owner: no 5xx, all as documented
	bash scripts/schemathesis.sh

lint: install ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests bench

format: install ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The e-mail texts' catalogs (gettext domain `mail`, see README "E-mail languages"):
# the English texts marked N_ in app/mail are extracted, and every language's mail.po
# gets the new and changed ones, empty, for a translator; tests/test_mail_texts.py
# fails until each is translated.
MAIL_TRANSLATIONS := app/mail/translations
mail-messages: install ## Extract the e-mail texts into mail.pot and add new ones to each language's mail.po
	$(BIN)/pybabel extract -k N_ --no-location --sort-output --project sideevent-rsvp -o $(MAIL_TRANSLATIONS)/mail.pot app/mail
	$(BIN)/pybabel update -D mail -i $(MAIL_TRANSLATIONS)/mail.pot -d $(MAIL_TRANSLATIONS) --no-fuzzy-matching

# One or a few benchmarks by name: make bench BENCH=signup (or BENCH="export reads").
BENCH ?=
bench: install ## Run the benchmarks in bench/ and print their tables (BENCH=signup|export|reads|mail|dashboard|table|broadcast: only those)
	$(BIN)/python -m bench $(BENCH)

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache node_modules test-artifacts
