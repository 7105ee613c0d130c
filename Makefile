# Two commands on a fresh machine (Python 3.11+ and make):
#   make report   set up .venv, install evaltools, run the main job on data/sample -> reports/
#   make test     set up .venv with the test extras and run the whole test suite
# Also: make summary (data summary -> $(SUMMARY_OUT)), make lab (JupyterLab on the project root:
# the templates in notebooks/ and every executed report under reports/, re-runnable as they are),
# make bench (benchmarks -> benchmarks/RESULTS.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STUDY  ?= data/sample
OUT    ?= reports
JOBS   ?=
LANG_REPORT ?= id
# run folder under $(OUT) (default: the study folder's name, plus -en for LANG_REPORT=en)
RUN_ID ?=
# the data summary (counts per unit, item, role, period) goes apart from the runs' summary.xlsx
SUMMARY_OUT ?= $(OUT)/$(notdir $(STUDY))-data-summary
BENCH_ARGS ?=
# root may start JupyterLab only when it says so
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: report test bench lab install clean summary r-reference

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# one stamp per extra, refreshed whenever pyproject.toml changes
$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@
$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.stamp-base
$(VENV)/.stamp-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench,dask]'
	@touch $@ $(VENV)/.stamp-base
$(VENV)/.stamp-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	@touch $@ $(VENV)/.stamp-base

install: $(VENV)/.stamp-base

report: $(VENV)/.stamp-base
	$(BIN)/evaltools run --study $(STUDY) --out $(OUT) --lang $(LANG_REPORT) $(if $(JOBS),--jobs $(JOBS),) \
	  $(if $(RUN_ID),--run-id $(RUN_ID),)

summary: $(VENV)/.stamp-base
	$(BIN)/evaltools summary --study $(STUDY) --out $(SUMMARY_OUT)

test: $(VENV)/.stamp-test
	$(BIN)/python -m pytest

bench: $(VENV)/.stamp-bench
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# the R outputs the tests compare against (tests/reference/*.R; needs R with psych and lme4)
r-reference:
	cd tests/reference && for f in *.R; do Rscript "$$f" || exit 1; done

lab: $(VENV)/.stamp-lab
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(LAB_ROOT)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
