# Two entry points for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAMPLE := sample_videos/lunge_left_aruco.mp4
PORT ?= 8501

.PHONY: demo app test lint venv browser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,cluster]'
	touch $@

venv: $(VENV)/.installed

# Measure the bundled sample clip on the command line, then open the app with the samples ready.
demo: venv
	mkdir -p out
	$(VENV)/bin/dorsiflex measure $(SAMPLE) --annotate out/annotated.mp4 --peak-image out/peak.png --frames-csv out/frames.csv
	@echo "Wrote out/annotated.mp4, out/peak.png and out/frames.csv. Opening the app on http://localhost:$(PORT) (Ctrl+C to stop)."
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

app: venv
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Chromium for the browser tests: Debian's package (Playwright cannot download browsers offline).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: chromium not found and cannot be installed here; the browser tests will be skipped"; fi

lint: venv
	$(VENV)/bin/ruff check vision tests benchmarks app.py app_pages
	$(VENV)/bin/ruff format --check vision tests benchmarks app.py app_pages
	$(VENV)/bin/mypy

test: lint browser
	$(PY) -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
