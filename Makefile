# The two commands: `make run` (install, migrate, load the demo county, serve) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
COUNTY ?= clinics/demo-county
HOST ?= 127.0.0.1
PORT ?= 5000

# Test processes (pytest-xdist); "auto" is one per core.
TEST_WORKERS ?= auto

.PHONY: run test check install install-test lint format bench lighthouse clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs are stamped so a second `make run` does not reinstall; pyproject or the lock changing
# does. constraints.txt pins the exact versions CI uses; pyproject keeps lower bounds.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e .
	touch $@

# One resolver run for the service and the test extras (what `make run` needs is a subset).
$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e '.[test]'
	touch $(VENV)/.installed $@

# The browser tests inject axe-core from npm (tests/browser/package-lock.json; node_modules is
# not committed), stamped like the Python installs.
tests/browser/node_modules/.installed: tests/browser/package-lock.json
	npm ci --no-audit --no-fund --prefix tests/browser
	touch $@

# The consultation tests drive one side with the official Socket.IO JavaScript client.
tests/js/node_modules/.installed: tests/js/package-lock.json
	npm ci --no-audit --no-fund --prefix tests/js
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test tests/browser/node_modules/.installed tests/js/node_modules/.installed

run: install
	$(BIN)/gpassist db upgrade
	$(BIN)/gpassist load-clinics $(COUNTY)
	$(BIN)/gpassist seed-demo
	$(BIN)/gpassist serve --host $(HOST) --port $(PORT)

# The whole suite: both backends where GPASSIST_TEST_POSTGRES_URL is set (.ci/run sets it), the
# fuzz, the browser and the real-server tests.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS)

# The quick run while working: everything but the fuzz, the browser and the real-server tests
# (none of which it runs needs Node or Chromium).
check: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not fuzz and not browser and not slow"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: install-test
	$(BIN)/python bench/run_all.py

# Lighthouse (mobile preset) on the five main pages with Debian's Chromium; figures in
# docs/performance.md. Lighthouse 12 from npm (bench/lighthouse/package-lock.json).
bench/lighthouse/node_modules/.installed: bench/lighthouse/package-lock.json
	npm ci --no-audit --no-fund --prefix bench/lighthouse
	touch $@

lighthouse: install-test bench/lighthouse/node_modules/.installed
	$(BIN)/python bench/lighthouse/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .ruff_cache

# Pages: extract the Chinese source strings, merge them into the English catalog, compile it.
translations: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -o gpassist/web/translations/messages.pot gpassist/web
	$(BIN)/pybabel update -i gpassist/web/translations/messages.pot -d gpassist/web/translations -w 100
	$(BIN)/pybabel compile -d gpassist/web/translations
