# yatbench — `make help` lists the targets. Every target creates the virtual environment first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The exact versions the tests passed with (torch included); pyproject.toml keeps compatible ranges.
CONSTRAINTS := constraints.txt
WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help venv demo test test-browser test-gpu findings lint bench clean

help: ## Show the targets and what they do
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install yatbench with its test tools, at the versions in constraints.txt

demo: $(STAMP) ## The main job: the `default` sweep on offline data, then the report and its comparison
	$(BIN)/yatbench sweep default
	$(BIN)/yatbench report

test: $(STAMP) ## Lint, then the whole test suite on $(WORKERS) processes
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(WORKERS)

test-browser: $(STAMP) ## The page in headless Chromium (installed with apt-get if missing): cards, anchors, jumps
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ echo "installing chromium (apt-get; needs root)"; apt-get update && apt-get install -y chromium; }
	$(BIN)/python -m pytest tests/test_browser.py tests/test_report.py -k "browser or chromium" -rs

test-gpu: $(STAMP) ## On a CUDA machine: tests/test_cuda.py (GPU against CPU), then the layer bench with torch.compile
	$(BIN)/python -m pytest tests/test_cuda.py -rs -n $(WORKERS)
	$(BIN)/yatbench bench --device cuda --compile --shapes 256x784x256,1024x784x512,4096x784x512 --out results/bench-cuda

findings: $(STAMP) ## Rebuild the report of results/ and put its claims' table between the README's findings markers
	$(BIN)/yatbench report --findings README.md

lint: $(STAMP) ## Lint only
	$(BIN)/ruff check .

bench: $(STAMP) ## Layer speed and memory against Linear+ReLU, and trainer throughput (CSV in results/bench/)
	$(BIN)/yatbench bench

clean: ## Remove the virtual environment and every result
	rm -rf $(VENV) results/*/ results/.partial
