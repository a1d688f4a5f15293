# Two commands for newcomers (see README.md):
#   make demo   serve the example project on http://127.0.0.1:8000/ (make demo DEMO_ADDR=...)
#   make test   ruff, mypy, the JavaScript client's tests, the test suite on SQLite, again on real
#               PostgreSQL + Redis, again on the oldest supported Django and DRF, docs
# Both create .venv and install the project into it first. make demo needs Python 3.10+ (with
# venv) and make; make test also wants node 20+ and npm (test-js), redis-server and the PostgreSQL
# server binaries (test-services) and /usr/bin/chromium (tests/browser). .ci/run apt-get installs
# whichever is missing, then runs make test with CI=true (README.md, docs/quickstart.md).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Touched after a successful install: pip runs again only when pyproject.toml changes.
STAMP  := $(VENV)/.installed
PYTEST := $(PY) -m pytest
# Extra arguments for both pytest passes, e.g. make test PYTEST_ARGS="-x -k digest"
PYTEST_ARGS ?=
# Where make demo serves, HOST:PORT for runserver, e.g. make demo DEMO_ADDR=127.0.0.1:8765.
DEMO_ADDR ?= 127.0.0.1:8000
# The management command that fills the demo database (user, key); run when it exists. Its
# arguments: the URL the commands it prints use, the one make demo serves.
DEMO_SETUP_COMMAND ?= signed_api_demo
DEMO_SETUP_ARGS ?= --base-url http://$(DEMO_ADDR)

.DEFAULT_GOAL := help
.PHONY: help install demo demo-setup migrate test lint typecheck test-sqlite test-services \
	test-oldest docs bench compat clean js test-js

help:
	@echo "make demo    serve the example project on http://$(DEMO_ADDR)/ (make demo DEMO_ADDR=HOST:PORT)"
	@echo "make test    ruff, mypy, the JS client's tests, pytest on SQLite, on PostgreSQL+Redis, on"
	@echo "             the oldest Django+DRF, mkdocs"
	@echo "make bench   the benchmarks in tests/benchmarks"
	@echo "make js      npm ci in clients/js when needed, then build signed_api/static/signed_api/signed-api.js"
	@echo "make test-js the JavaScript client's Node tests and its JSDoc type check (part of make test)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check --quiet -e '.[client,qr,test,docs]'
	touch $@

install: $(STAMP)

# --- demo -----------------------------------------------------------------------------------------

migrate: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput

# Hook for the demo data: runs `manage.py $(DEMO_SETUP_COMMAND) $(DEMO_SETUP_ARGS)` once that
# command exists.
demo-setup: migrate
	@if $(PY) manage.py help --commands | grep -qx '$(DEMO_SETUP_COMMAND)'; then \
		$(PY) manage.py $(DEMO_SETUP_COMMAND) $(DEMO_SETUP_ARGS); \
	else \
		echo "demo-setup: no '$(DEMO_SETUP_COMMAND)' command yet, serving the bare project"; \
	fi

demo: demo-setup
	$(PY) manage.py runserver $(DEMO_ADDR)

# --- test -----------------------------------------------------------------------------------------
# pytest exit status 5 means "no tests collected". In the first pass, which runs the whole suite,
# that means the suite is broken, so it fails. In the second pass it only means nothing there needs
# a real server, which is fine.

test: lint typecheck test-js test-sqlite test-services test-oldest docs

lint: $(STAMP)
	$(BIN)/ruff check signed_api tests example_project

# mypy --strict's flags on signed_api/core; the rest of signed_api with django-stubs and
# djangorestframework-stubs (settings: tests.settings). Configuration and cache directory:
# [tool.mypy] in pyproject.toml. `python -m` puts this directory on sys.path for the plugin.
typecheck: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(PY) -m mypy

# Pass 1: SQLite in memory and locmem caches (tests/settings.py defaults, whatever the caller's
# environment says). Tests that ask for the redis_url / postgres_url fixtures start their own.
test-sqlite: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(PYTEST) $(PYTEST_ARGS)

# Pass 2: the same suite with Django on a real PostgreSQL and the nonce cache on a real Redis,
# both started (and stopped) by tests/servers.py. tests/unit is pure protocol code that never
# touches a database or cache, so it runs in pass 1 only.
test-services: $(STAMP)
	$(PY) -m tests.servers run -- $(PYTEST) --ignore=tests/unit $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "test-services: no tests collected, nothing to do"; \
	else exit $$status; fi

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Pass 3: the SQLite pass again on the oldest Django and DRF that pyproject.toml admits, in a venv
# of its own under .compat/ (reinstalled when pyproject.toml changes), with the oldest Python
# pyenv has that requires-python admits (3.10), else $(PYTHON). The browser tests are left out:
# they test the admin's pages in Chromium, not the versions.
OLDEST_DEPS   ?= 'django>=4.2,<4.3' 'djangorestframework>=3.14,<3.15'
OLDEST_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python) $(PYTHON))
OLDEST_VENV   := .compat/oldest
OLDEST_STAMP  := $(OLDEST_VENV)/.installed

$(OLDEST_STAMP): pyproject.toml
	[ -x $(OLDEST_VENV)/bin/python ] || $(OLDEST_PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --disable-pip-version-check --quiet \
		$(OLDEST_DEPS) -e '.[client,qr,test]'
	touch $@

test-oldest: $(OLDEST_STAMP)
	@$(OLDEST_VENV)/bin/python -c 'import django, rest_framework, sys; print("test-oldest: Python", \
		sys.version.split()[0], "Django", django.get_version(), "DRF", rest_framework.VERSION)'
	@start=$$(date +%s); \
	env -u DATABASE_URL -u REDIS_URL $(OLDEST_VENV)/bin/python -m pytest --ignore=tests/browser \
		$(PYTEST_ARGS) || exit $$?; \
	echo "test-oldest: passed in $$(( $$(date +%s) - start )) s"

# --- JavaScript client (clients/js) ---------------------------------------------------------------
# npm ci installs the exact versions of package-lock.json (esbuild pinned there); it runs again only
# when node_modules is missing or older than the lock file. `make js` writes the committed bundle;
# tests/test_js_bundle.py fails when it differs from a fresh build.
JS := clients/js

$(JS)/node_modules/.package-lock.json: $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund
	touch $@

js: $(JS)/node_modules/.package-lock.json
	cd $(JS) && node build.mjs

# The same npm ci as `make js` (a clean clone gets it; an up-to-date node_modules is kept).
test-js: $(JS)/node_modules/.package-lock.json
	cd $(JS) && node --test test/ && npx --no-install tsc -p jsconfig.json

# --- benchmarks (not part of make test) -----------------------------------------------------------

bench: $(STAMP)
	$(PYTEST) tests/benchmarks -o addopts="" -ra --strict-markers -p no:cacheprovider \
		--benchmark-only --benchmark-columns=min,median,mean,stddev,rounds $(PYTEST_ARGS)

# --- compatibility (not part of make test: it needs pyenv's newer Pythons) -----------------------
# The suite on SQLite under the newest Django with Python 3.12 and 3.13 where pyenv has them, each
# in its own venv under .compat/. The oldest Django and DRF are `make test-oldest`, part of make test.
COMPAT_PYTHONS ?= $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python) \
                  $(wildcard $(HOME)/.pyenv/versions/3.13.*/bin/python)
compat:
	@set -e; \
	run() { venv=.compat/$$1; shift; py=$$1; shift; \
		[ -x $$venv/bin/python ] || $$py -m venv $$venv; \
		$$venv/bin/python -m pip install --quiet --disable-pip-version-check "$$@" -e '.[client,qr,test]'; \
		$$venv/bin/python -c 'import django, sys; print("compat:", sys.version.split()[0], "Django", django.get_version())'; \
		env -u DATABASE_URL -u REDIS_URL $$venv/bin/python -m pytest -q -p no:cacheprovider \
			--ignore=tests/browser -W error::DeprecationWarning; }; \
	for py in $(COMPAT_PYTHONS); do run $$(basename $$(dirname $$(dirname $$py))) $$py 'django>=5.2'; done

clean:
	rm -rf build dist site .hypothesis .benchmarks
