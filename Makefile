# Two commands for users: `make bench` (report on embedded defaults) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: bench test lint typecheck pytest venv redis system-deps web clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

bench: $(STAMP) web
	$(VENV)/bin/rtspike bench

# Redis for the Redis-backend tests: start a throwaway one when none answers.
redis:
	@bash scripts/ensure-redis.sh

# Chromium (Debian package) for the browser tests; never a downloaded browser build.
system-deps:
	@bash scripts/ensure-chromium.sh

web:
	@bash scripts/build-web.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy rtspike

pytest: $(STAMP) redis system-deps web
	RTSPIKE_TEST_REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .rtspike reports/out transports/web/node_modules transports/web/dist
