# The two commands of the README: `make run` and `make test`. Each sets up what it needs first.
VENV := .venv
PY := $(VENV)/bin/python
DEMO := workstation/resources/demo/feb-2026-selloff.session

.PHONY: setup run test wheel-test bench lint format demo clean bundle bundle-test

setup:
	@bash scripts/bootstrap.sh

# The window on the demo session where there is a display; the headless report elsewhere.
run: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  $(PY) -m workstation gui --session $(DEMO); \
	else \
	  echo "make run: no display here: the demo replayed headless (the window needs a desktop session)"; \
	  $(PY) -m workstation replay $(DEMO) --format table --every 14400; \
	fi

test: setup
	QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 $(PY) -m pytest -q -n auto

# A wheel of the project, installed in a fresh venv, passes its --self-test away from this checkout.
wheel-test: setup
	bash scripts/wheel_selftest.sh

bench: setup
	$(PY) bench/run_all.py

lint: setup
	$(VENV)/bin/ruff check workstation tests bench
	$(VENV)/bin/ruff format --check workstation tests bench
	$(VENV)/bin/lint-imports --no-cache

format: setup
	$(VENV)/bin/ruff format workstation tests bench
	$(VENV)/bin/ruff check --fix workstation tests bench

# The desktop bundle: dist/workstation/ and dist/workstation-<version>-linux-x86_64.tar.gz.
bundle: setup
	bash installer/build.sh

# Build it, then run the built bundle's self-test and its install/uninstall scripts.
bundle-test: bundle
	bash installer/bundle_test.sh

# Remake the bundled demo session (deterministic: same seed, same file contents).
demo: setup
	$(PY) -m workstation simulate --scenario feb-2026-selloff --seed 7 --hours 120 \
	  --venues binance,bybit,deribit --symbols BTCUSDT --out $(DEMO) --force

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
