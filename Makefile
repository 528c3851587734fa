# Both targets set up the same way: uv (installed with pip if missing), then the locked environment.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: run test bench setup mutation

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen

run: setup
	$(UV) run --frozen urbanmine run

test: setup
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen mypy
	$(UV) run --frozen pytest -q

bench: setup
	$(UV) run --frozen python bench/flowsheet_mc.py
	$(UV) run --frozen python bench/impacts_mc.py
	$(UV) run --frozen python bench/cli_startup.py

# Opt-in and slow (about 5 minutes on two cores): mutation testing of the compliance checks and
# the flowsheet engine ([tool.mutmut] in pyproject.toml), then the score with message-only mutants
# counted apart. See docs/testing.md.
mutation: setup
	rm -rf mutants
	nice -n 15 $(UV) run --frozen mutmut run --max-children 2
	$(UV) run --frozen python bench/mutation_score.py --survivors
