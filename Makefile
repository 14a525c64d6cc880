# orgportal: `make run` serves the portal, `make test` runs the suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
POSTGRES_URL ?= postgres://root@127.0.0.1:5432/orgportal
PYTEST_ARGS ?=

.PHONY: run test test-postgres lint format bench venv catalogs messages clean lock screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml or the pins change, so `make test` also updates an existing
# .venv. constraints.txt pins every package to the version CI and production install.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Regenerate constraints.txt after a change to pyproject.toml's dependencies: new packages are
# resolved, every other pin is kept. UPGRADE=1 resolves everything to the newest allowed.
lock: | $(BIN)/python
	$(BIN)/python scripts/lock.py $(if $(UPGRADE),--upgrade)

venv: $(VENV)/.installed

catalogs: venv
	DEBUG=1 $(BIN)/python manage.py compile_catalogs

# A development .env, so that manage.py run by hand finds DEBUG=1 too (never used in production:
# the container and CI set their environment themselves).
.env:
	printf '# Development settings written by make run; see .env.example.\nDEBUG=1\n' > $@

run: venv catalogs .env
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py import_org --if-empty
	DEBUG=1 $(BIN)/python manage.py ensure_admin
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: venv catalogs
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: venv catalogs
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Refresh the README's pictures in docs/screenshots/ (tests save theirs in the ignored
# test-results/screenshots/, so `make test` leaves the working tree clean).
screenshots: venv catalogs
	env -u DATABASE_URL ORGPORTAL_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots ORGPORTAL_REQUIRE_BROWSER=1 \
		$(BIN)/pytest tests/browser/test_screenshots.py tests/browser/test_teams.py tests/browser/test_history.py -p no:cacheprovider $(PYTEST_ARGS)

# Time pages, the API (also under gunicorn, with wrk: apt-get install wrk), a move, export,
# import and check_tree on a generated organisation of SIZE departments (500, 10k or 50k), each
# beside its floor. SQLite by default; BENCH_DATABASE_URL or DATABASE_URL for PostgreSQL.
# See docs/benchmarks.md.
SIZE ?= 500
bench: venv catalogs
	$(BIN)/python bench/run.py --size $(SIZE)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract the UI strings into locale/*/LC_MESSAGES/django.po (needs GNU gettext).
messages: venv
	DEBUG=1 $(BIN)/python manage.py makemessages --no-obsolete --locale zh_Hans --locale en --locale zh_Hant \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'scripts/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
	find locale -name '*.mo' -delete

# Production smoke test against PostgreSQL: build, start with scripts/start-web.sh, probe.
.PHONY: smoke
smoke: venv
	$(BIN)/python scripts/smoke.py
