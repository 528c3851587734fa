"""The command line starts light: building the app imports none of the heavy libraries, which
the commands import where they use them (issue 11: every ``--help`` under 0.5 s; the timing is
measured by ``bench/cli_startup.py``, not here)."""

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "sqlalchemy", "fastapi", "pydantic", "pandas", "SALib", "pyarrow")


def modules_after(code: str) -> set[str]:
    """Top-level module names in ``sys.modules`` of a fresh interpreter after ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return {name.split(".")[0] for name in json.loads(r.stdout.splitlines()[-1])}


def test_importing_the_cli_imports_no_heavy_library():
    loaded = modules_after("import urbanmine.cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "package", ["urbanmine.compliance", "urbanmine.impacts", "urbanmine.fleet"]
)
def test_pillar_packages_import_their_names_on_first_use(package):
    assert "numpy" not in modules_after(f"import {package}")
    # the names are still there, imported when first read
    assert "numpy" in modules_after(
        f"import {package}\n{package}.__all__\n[getattr({package}, n) for n in {package}.__all__]"
    )
