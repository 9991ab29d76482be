# Two commands do everything on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen
export DJANGO_SETTINGS_MODULE ?= pubcredit.settings_test

.PHONY: install system-deps demo test lint check-migrations unit bench clean-demo

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

system-deps:
	@scripts/system-deps $(SYSTEM_DEPS_FLAGS)

install: system-deps .venv/.synced

demo: install
	DJANGO_SETTINGS_MODULE=pubcredit.settings $(RUN) pubcredit demo

lint: install
	$(RUN) ruff check src tests
	$(RUN) mypy src
	$(RUN) lint-imports

check-migrations: install
	$(RUN) django-admin makemigrations --check --dry-run

unit: install
	$(RUN) pytest -n 2

test: SYSTEM_DEPS_FLAGS = --browser
test: lint check-migrations unit

# Benchmarks, not tests: each writes its figures to var/bench/*.json (BENCH_ROWS to try smaller).
BENCH_ROWS ?= 1000000
bench: install
	$(RUN) python -m tests.bench.run --rows $(BENCH_ROWS)
	$(RUN) python -m tests.bench.audit_verify --rows $(BENCH_ROWS)
	$(RUN) python -m tests.bench.report_load
	$(RUN) python -m tests.bench.pdf_render
	$(RUN) python -m tests.bench.batch_query
	$(RUN) python -m tests.bench.search_scale

clean-demo:
	rm -rf var/
