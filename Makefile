# Two commands for users: `make bench` (report on embedded defaults) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
REDIS_URL ?= redis://127.0.0.1:6379/0

# Installs come from the committed uv.lock (`uv sync --frozen`), never from a fresh resolve.
# uv itself is bootstrapped into .tools/ when it is not on PATH (a fresh machine has only python3).
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON)

.PHONY: bench bench-decision bench-deps test lint lockcheck typecheck pytest venv redis system-deps web wheel clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet 'uv>=0.5,<1'

$(VENV)/.installed-bench: pyproject.toml uv.lock | $(UV)
	$(SYNC) --extra bench --inexact
	touch $@

$(VENV)/.installed-dev: pyproject.toml uv.lock | $(UV)
	$(SYNC) --extra dev
	touch $@ $(VENV)/.installed-bench

venv: $(VENV)/.installed-dev

bench: $(VENV)/.installed-bench web bench-deps
	$(VENV)/bin/rtspike bench

# The browser scenarios at 5 repeats too: the run a decision should rest on (longer).
bench-decision: $(VENV)/.installed-bench web bench-deps
	$(VENV)/bin/rtspike bench --profile decision

# Chromium and nginx for the native and proxy scenarios; without them those cells say
# "not measured: install X" and the rest of the bench still runs.
bench-deps:
	-@bash scripts/ensure-chromium.sh || echo "bench: no Chromium; native/proxy will say not measured"
	-@bash scripts/ensure-nginx.sh || echo "bench: no nginx; proxy will say not measured"

# Redis for the Redis-backend tests: start a throwaway one when none answers.
redis:
	@bash scripts/ensure-redis.sh

# Chromium and nginx (Debian packages) for the browser and proxy tests; never a downloaded
# browser build, never the system nginx service.
system-deps:
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-nginx.sh

web:
	@bash scripts/build-web.sh

# The lock must match pyproject.toml: a dependency edited without `uv lock` fails here.
lockcheck: | $(UV)
	$(UV) lock --check

lint: $(VENV)/.installed-dev lockcheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy rtspike

pytest: $(VENV)/.installed-dev redis system-deps web
	RTSPIKE_TEST_REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

# The wheel ships the built browser bundles, so build them first.
wheel: web | $(UV)
	$(UV) build --wheel --out-dir dist

clean:
	rm -rf $(VENV) .tools dist build .rtspike reports/out transports/web/node_modules transports/web/dist
