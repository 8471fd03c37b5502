# Two commands on a fresh machine: `make run` and `make test`.
# The Pythons the lock is checked for (pyproject.toml's requires-python, tests/lockcheck.py); the
# first of python3.11, python3.12, python3.13 on PATH, else python3; `make PYTHON=/path/to/python3.x`
# names another.
PYTHON_VERSIONS := 3.11 3.12 3.13
PYTHON ?= $(or $(firstword $(foreach v,$(PYTHON_VERSIONS),$(shell command -v python$(v) 2>/dev/null))),python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2

.PHONY: run test test-fast lint docs package dry-run slurm-profile clean

# The venv is (re)built when the pinned requirements change. torch/torchvision come from
# pip's local wheel cache where the machine has one (no multi-GB download). A wrong Python is
# one line here, not an error at the last install step. pip compiles no bytecode: only what
# the jobs and tests import is compiled, by importing it (authxai.bytecode; half the time).
$(STAMP): requirements.txt pyproject.toml
	@python=$(PYTHON); [ -x $(BIN)/python ] && python=$(BIN)/python; \
	version=$$($$python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	case " $(PYTHON_VERSIONS) " in *" $$version "*) ;; *) echo "authxai needs Python $(firstword $(PYTHON_VERSIONS)) to $(lastword $(PYTHON_VERSIONS)) (pyproject.toml's requires-python), and $$python is $${version:-not a Python that runs}: install one of $(addprefix python,$(PYTHON_VERSIONS)) (with its venv module) and run make PYTHON=/path/to/python3.x$$([ -x $(BIN)/python ] && echo ' after rm -rf $(VENV)')" >&2; exit 1;; esac
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m authxai.bytecode src workflow/scripts tests
	touch $(STAMP)

run: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete && \
	$(BIN)/snakemake --report results/report.html > results/logs/report.log 2>&1 && \
	elapsed=$$(( $$(date +%s) - start )) && \
	echo "" && echo "Done in $$elapsed s." && \
	echo "Report:  results/report.html" && \
	echo "Figures: $$(ls results/figures/*.png | tr '\n' ' ')" && \
	echo "Tables:  $$(ls results/tables/*.md | tr '\n' ' ')" && \
	echo "" && $(BIN)/python -m authxai.job_times results --wall $$elapsed

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The fast lane: unit tests only (no snakemake runs, none of the slow ones), under 2 minutes.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not workflow and not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts benchmarks docs
	$(BIN)/ruff format --check src tests workflow/scripts benchmarks docs
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(MAKE) docs

# The documentation site (mkdocs.yml) into results/site/; --strict: every page and every relative
# link resolves, or the build fails (lint runs it, so CI does).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The PyPI artefacts: the sdist and the wheel built and `twine check`ed in a throwaway venv (build
# and twine are release tools, not the project's dependencies); nothing is left in the checkout.
package:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install --quiet build twine && \
	"$$tmp/venv/bin/python" -m build --outdir "$$tmp/dist" . > "$$tmp/build.log" 2>&1 || { cat "$$tmp/build.log"; exit 1; }; \
	"$$tmp/venv/bin/twine" check --strict "$$tmp"/dist/* && ls -l "$$tmp"/dist

dry-run: $(STAMP)
	$(BIN)/snakemake -n

# Install profiles/slurm as the user profile `slurm`, so that `snakemake --profile slurm` works
# from any directory; PARTITION, GPU_PARTITION and ACCOUNT fill in the profile's placeholders.
PROFILE_DIR ?= $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/snakemake/slurm
slurm-profile:
	mkdir -p $(PROFILE_DIR)
	sed -e 's|slurm_partition: "cpu"|slurm_partition: "$(or $(PARTITION),cpu)"|' \
	    -e 's|slurm_partition: "gpu"|slurm_partition: "$(or $(GPU_PARTITION),$(PARTITION),gpu)"|' \
	    $(if $(ACCOUNT),-e 's|# slurm_account: "your_account"|slurm_account: "$(ACCOUNT)"|') \
	    profiles/slurm/config.yaml > $(PROFILE_DIR)/config.yaml
	@echo "Installed $(PROFILE_DIR)/config.yaml: snakemake --profile slurm"

clean:
	rm -rf results .snakemake
