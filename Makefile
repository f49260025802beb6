# pigw — the two commands users run, and the pieces they are made of.
#   make demo   install what is missing, then run broker + gateway + simulated agent + dashboard
#   make test   install what is missing, then run every check and the whole test suite
# Nothing is assumed to be installed beyond Python 3.11+, make and apt (Debian / Raspberry Pi OS);
# a Node.js new enough for the dashboard is fetched into .run/node when the system has none.

PYTHON ?= python3
# A Node.js fetched by scripts/ensure_node.py (when the system's is missing or too old) comes first.
export PATH := $(CURDIR)/.run/node/bin:$(PATH)
VENV   := .venv
BIN    := $(VENV)/bin
WEB    := gateway/web
STAMP  := $(VENV)/.pigw-installed

.PHONY: demo test check lint typecheck pytest bench web venv dist system-deps-demo system-deps-test system-deps-bench clean

demo: system-deps-demo venv web
	$(BIN)/python scripts/demo.py

test: system-deps-test venv web check pytest

system-deps-demo:
	@scripts/ensure-system-deps.sh demo

system-deps-test:
	@scripts/ensure-system-deps.sh test

system-deps-bench:
	@scripts/ensure-system-deps.sh bench

venv: $(STAMP)

# Re-installs when the dependency list changes; editable, so code changes need no reinstall.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[agent,gateway,postgres,bench,dev]'
	touch $@

# The React dashboard, once its source exists (gateway/web/package.json): npm ci + vite build into
# gateway/web/dist, which the gateway serves at /.
web:
	@if [ -f $(WEB)/package.json ]; then \
		cd $(WEB) && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm run build; \
	else echo "pigw: the dashboard is not built yet ($(WEB)/package.json does not exist)"; fi

# The sdist and the wheel in dist/ (docs/deployment.md): the wheel's gateway package carries the
# dashboard's build, so `pipx install pigw-*.whl[gateway]` serves `/` with no Node on the machine.
dist: venv web
	@test -f $(WEB)/dist/index.html || { echo "pigw: no dashboard build in $(WEB)/dist" >&2; exit 1; }
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	@# The systemd units for a pipx install (commands in /usr/local/bin) and their example settings.
	for unit in pigw-agent pigw-gateway; do \
		sed 's#/opt/pigw/.venv/bin/#/usr/local/bin/#' deploy/systemd/$$unit.service > dist/$$unit.service; \
	done
	cp deploy/systemd/agent.env.example deploy/systemd/gateway.env.example dist/
	@ls -l dist

check: lint typecheck web-check

# The dashboard's checks, once its source exists: ESLint + tsc --noEmit (npm run lint), Vitest.
.PHONY: web-check
web-check: web
	@if [ -f $(WEB)/package.json ]; then cd $(WEB) && npm run --silent lint && npm test --silent; fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest

# The benchmarks of issues 4 and 7 (docs/performance.md): the fan-out run (floor, textbook,
# Node-RED, pigw; several minutes; BENCH_ARGS=--quick for a smoke run), the three-node NATS
# cluster's fan-out beside one Mosquitto (issue 19, ~3 min), then the agent's figures,
# then the recorder's beside InfluxDB (issue 14; BENCH_RECORDER_ARGS=--quick for a smoke run).
# The fan-out run writes $(BENCH_OUT)/fanout.json and its charts (SVG) next to it (issue 20);
# `python -m bench.charts FILE.json --out DIR` redraws charts from any results file; the last line
# draws the recorder benchmark's $(BENCH_OUT)/recorder.json when it exists (it must run after it).
BENCH_OUT ?= .run/bench
bench: system-deps-bench venv
	$(BIN)/python -m bench --json $(BENCH_OUT)/fanout.json $(BENCH_ARGS)
	$(BIN)/python -m bench --systems floor cluster --clients 1 100 --runs 1 --json $(BENCH_OUT)/cluster/cluster.json $(BENCH_CLUSTER_ARGS)
	$(BIN)/python -m bench.agent $(BENCH_AGENT_ARGS)
	$(BIN)/python -m bench.recorder --json $(BENCH_OUT)/recorder.json $(BENCH_RECORDER_ARGS)
	@if [ -f $(BENCH_OUT)/recorder.json ]; then $(BIN)/python -m bench.charts $(BENCH_OUT)/recorder.json --out $(BENCH_OUT); fi

clean:
	rm -rf $(VENV) .run dist build .mypy_cache .pytest_cache .ruff_cache $(WEB)/node_modules $(WEB)/dist
