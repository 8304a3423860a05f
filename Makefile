# Two commands: `make run` (the demo site with worker and beat) and `make test` (the whole suite).
# Both need only Python 3.11+ and make. Django 6 needs Python 3.12+, so a 3.12+ interpreter is
# preferred when one is installed; on 3.11 the Django 5.2 LTS is installed instead.

SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

PYTHON_FOUND := $(shell for p in python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 python3; do \
	if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then command -v "$$p"; break; fi; done)
PYTHON ?= $(or $(PYTHON_FOUND),python3)

# Embedded defaults for a laptop: SQLite, a file-system broker and e-mails as files under var/.
# The demo restores a counter-noticed listing 2 minutes after the check instead of 10 business days.
COUNTER_NOTICE_WINDOW_SECONDS ?= 120
# One SITE_URL for web, worker and beat: honcho gives each Procfile process a PORT of its own (web the
# base PORT, worker +100, beat +200), so a SITE_URL derived from PORT would put the worker's and beat's
# e-mail links on ports nobody listens on.
SITE_URL ?= http://127.0.0.1:$(PORT)
DEMO_ENV := DEBUG=true DEMO_MODE=true PORT=$(PORT) SITE_URL=$(SITE_URL) COUNTER_NOTICE_WINDOW_SECONDS=$(COUNTER_NOTICE_WINDOW_SECONDS)

.PHONY: run test lint clean translations messages messages-staff

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# --- Translations (README, "Translations"). The catalogues, locale/<lang>/LC_MESSAGES/django.po, are compiled
# to the .mo files Django reads by a Python command (Babel): no GNU gettext needed to run or test. The .mo files
# are not in git; a stamp under var/ saves starting Django when no catalogue changed since (the command itself
# also rewrites only a .mo older than its .po).
TRANSLATIONS_STAMP := var/.translations-compiled
MESSAGE_LANGUAGES := de fr es it zh_Hans

$(TRANSLATIONS_STAMP): $(wildcard locale/*/LC_MESSAGES/*.po) | $(VENV)/.installed
	DEBUG=true $(BIN)/python manage.py compile_translations
	mkdir -p $(@D) && touch $@

translations: $(TRANSLATIONS_STAMP)

# Extracts the marked strings into the five catalogues, keeping the file:line locations (tests and translators
# use them) and dropping strings no longer in the code. A developer's tool: it needs GNU gettext (xgettext,
# msgmerge; Debian: apt-get install gettext), which `make run` and `make test` do not. What is not extracted
# (tests, tools, the English-only staff area) is listed once, in takedowns/management/commands/makemessages.py.
messages: $(VENV)/.installed
	mkdir -p locale
	DEBUG=true $(BIN)/python manage.py makemessages --no-obsolete $(foreach code,$(MESSAGE_LANGUAGES),-l $(code))

# For a lead adding a language to the staff area (STAFF_LANGUAGE): every string, the staff area's included.
messages-staff: $(VENV)/.installed
	@test -n "$(LANGUAGE)" || { echo "Usage: make messages-staff LANGUAGE=xx (a locale name: de, zh_Hans)" >&2; exit 2; }
	mkdir -p locale
	DEBUG=true $(BIN)/python manage.py makemessages --no-obsolete --staff -l $(LANGUAGE)

run: $(VENV)/.installed $(TRANSLATIONS_STAMP)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py load_seeds
	@echo ""
	@echo "  Takedown Portal: http://127.0.0.1:$(PORT)/"
	@echo "  Reviewers:       http://127.0.0.1:$(PORT)/review/  (reviewer / reviewer, lead / lead; also dana / dana, pat / pat)"
	@echo "  Admin:           http://127.0.0.1:$(PORT)/admin/  (lead / lead)"
	@echo "  Dashboard:       http://127.0.0.1:$(PORT)/review/dashboard/  (lead / lead)"
	@echo "  Transparency:    http://127.0.0.1:$(PORT)/transparency/"
	@echo "  Demo sellers:    http://127.0.0.1:$(PORT)/sell/  (a new demo listing every $(or $(GENERATE_EVERY),20) s, screened)"
	@echo "  E-mails:         $(or $(VAR_DIR),$(CURDIR)/var)/mail/  (one .eml file per message)"
	@echo "  Stop with Ctrl-C."
	@echo ""
	PATH="$(abspath $(BIN)):$$PATH" $(DEMO_ENV) $(BIN)/honcho -f Procfile.dev start

# The tools that keep the style run first, so a new finding fails `make test` (and CI) like a failed test:
# ruff (lint rules in pyproject.toml), import-linter (the layers and no cycles), mypy (types of takedowns/ and portal/).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	DEBUG=true $(BIN)/lint-imports
	DEBUG=true $(BIN)/mypy

test: lint $(TRANSLATIONS_STAMP)
	DEBUG=true $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
