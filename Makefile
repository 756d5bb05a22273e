# Lindung: `make demo` runs the whole system on a demo scenario, `make test` runs the tests.
# Both set everything up first (virtual environment from uv.lock, the Kafka broker via Maven).

UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
VENV       := .venv
PY         := $(VENV)/bin/python
PACKAGES   := -p lindung_contracts -p lindung_common -p lindung_intake -p lindung_router \
              -p lindung_notifier -p lindung_sla_monitor -p lindung_devstack
SOURCES    := contracts services deploy/devstack tests bench

.PHONY: compile fetch browser interop demo run test test-unit lint format contracts contracts-check k8s k8s-check alerts-check setup prereqs up clean bench bench-e2e bench-dashboard bench-deadlines

demo: setup fetch ## Run infrastructure + the four services on the demo scenario (Ctrl-C stops all)
	$(PY) -m lindung_devstack demo $(DEMO_ARGS)

run: setup fetch ## The real system on one machine, data in ./var (RUN_ARGS="--data DIR"); docs/operations.md
	$(PY) -m lindung_devstack run $(RUN_ARGS)

# Two workers: the end-to-end and sign-in tests on one (with the run's Keycloak), the
# others on the other, each with its own broker and PostgreSQL (tests/conftest.py groups them).
TEST_WORKERS := -n 2 --dist loadgroup

test: setup fetch browser interop ## Unit, integration and end-to-end tests (starts its own Kafka, PostgreSQL and Keycloak)
	$(VENV)/bin/pytest $(TEST_WORKERS) $(PYTEST_ARGS)

test-unit: setup ## Only the tests that need no infrastructure
	$(VENV)/bin/pytest tests/unit contracts/tests $(PYTEST_ARGS)

lint: setup ## ruff, ruff format --check, mypy (strict for contracts and every domain)
	$(VENV)/bin/ruff check $(SOURCES)
	$(VENV)/bin/ruff format --check $(SOURCES)
	$(VENV)/bin/mypy $(PACKAGES)

format: setup ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix $(SOURCES)
	$(VENV)/bin/ruff format $(SOURCES)

contracts: setup ## Regenerate JSON Schemas, the AsyncAPI document and topic pages
	$(PY) -m lindung_contracts.generate

contracts-check: setup ## Fail on drift from the models, or an API document its linter refuses
	$(PY) -m lindung_contracts.generate --check
	@./contracts/lint/check.sh $(PY)

k8s: setup ## Regenerate the Strimzi topics and users and the Keycloak realm under deploy/k8s/base
	$(PY) -m lindung_devstack k8s

k8s-check: setup ## Render each Kubernetes overlay and validate it (kubeconform, strict, vendored schemas)
	@./deploy/k8s/check.sh $(PY)

alerts-check: ## The Prometheus alerting rules: promtool check rules, and their unit tests
	@./deploy/prometheus/check.sh

up: setup fetch ## Kafka, PostgreSQL and Keycloak only, until Ctrl-C (prints their addresses)
	$(PY) -m lindung_devstack up

setup: prereqs $(VENV)/.synced compile

interop: ## The JavaScript and Go CloudEvents SDK readers the interop test drives (npm ci, go build)
	@./tests/interop/build.sh

browser: ## Debian's chromium, for the dashboard's browser test (installed if missing, as root)
	@./deploy/browser.sh

prereqs:
	@./deploy/prereqs.sh

fetch: setup ## The Kafka broker and Keycloak from Maven Central, built once per machine (~/.cache/lindung)
	@$(PY) -m lindung_devstack fetch

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on these machines),
# every process would otherwise compile every module it imports, each time it starts.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python python3 --compile-bytecode
	@touch $@

compile: $(VENV)/.synced
	@$(PY) -m compileall -q -j 0 contracts/src services/*/src deploy/devstack/src

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

bench: setup ## Outbox relay throughput against a raw aiokafka producer in the same run
	$(PY) bench/outbox_relay.py

bench-e2e: setup ## All four services end to end: throughput, latency, CPU per component (BENCH_ARGS=--quick)
	$(PY) bench/e2e.py $(BENCH_ARGS)

bench-dashboard: setup ## The operations dashboard's views over 1,000,000 referrals of the last 30 days
	$(PY) bench/dashboard.py $(BENCH_ARGS)

bench-deadlines: setup ## The sla-monitor over 1,000,000 open referrals: start-up, memory, lateness, burst
	$(PY) bench/deadlines.py $(BENCH_ARGS)
