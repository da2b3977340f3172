# Two entry points for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAMPLE := sample_videos/lunge_left_aruco.mp4

.PHONY: demo test lint venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	mkdir -p out
	$(VENV)/bin/dorsiflex measure $(SAMPLE) --annotate out/annotated.mp4 --peak-image out/peak.png --frames-csv out/frames.csv
	@echo "annotated video: out/annotated.mp4, peak frame: out/peak.png, per-frame CSV: out/frames.csv"

lint: venv
	$(VENV)/bin/ruff check vision tests benchmarks app.py
	$(VENV)/bin/ruff format --check vision tests benchmarks app.py
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
