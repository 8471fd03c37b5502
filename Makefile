# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2

.PHONY: run test test-fast lint dry-run slurm-profile clean

# The venv is (re)built when the pinned requirements change. torch/torchvision come from
# pip's local wheel cache where the machine has one (no multi-GB download).
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete && \
	$(BIN)/snakemake --report results/report.html > results/logs/report.log 2>&1 && \
	echo "" && echo "Done in $$(( $$(date +%s) - start )) s." && \
	echo "Report:  results/report.html" && \
	echo "Figures: $$(ls results/figures/*.png | tr '\n' ' ')" && \
	echo "Tables:  $$(ls results/tables/*.md | tr '\n' ' ')" && \
	echo "" && $(BIN)/python -m authxai.job_times results

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The fast lane: unit tests only (no snakemake runs, none of the slow ones), under 2 minutes.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not workflow and not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts benchmarks
	$(BIN)/ruff format --check src tests workflow/scripts benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/rules

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
