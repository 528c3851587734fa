"""Throwaway BioSTEAM virtualenv for cross-checking and benchmarking urbanmine.

BioSTEAM is never a dependency of urbanmine. This module uses only the
standard library. It builds a separate venv at ``<repo>/.cache/biosteam-venv``,
and ``bench/biosteam_side.py`` runs inside that venv::

    python3 bench/biosteam_env.py            # create if needed; print the venv's python
    python3 bench/biosteam_env.py --force    # rebuild from scratch

    from bench.biosteam_env import ensure_env   # -> Path to the venv's python

How it is built:
``uv venv --python 3.11 <venv>``, then ``uv pip install --python <venv>/bin/python``
with the pins in ``REQUIREMENTS``. ``uv`` is found on PATH; failing that,
``python3 -m uv`` is used. An import test follows (import biosteam and check
the versions). Once it passes, a marker file ``<venv>/.urbanmine-biosteam-ok``
is written holding the pins. A later call returns at once when the marker's
pins match, without importing anything. If the marker is missing or stale,
the venv is deleted and rebuilt. A file lock serialises concurrent callers.

Pins: ``biosteam==2.51.19 thermosteam==0.51.17 "numpy<2"``. That is the
QSDsan 1.4.3 pair, and these thermosteam versions still run on Python 3.11
(thermosteam 0.52.x uses 3.12-only f-strings). That set resolves to
numpy 1.26.4 and chaospy 4.3.15 (pinned by biosteam) and works as it is: a
trial install needed no further pins to import and run. The numeric stack we
exercise (scipy, pandas, numba/llvmlite, thermo/chemicals/fluids, flexsolve)
is still pinned to the versions that were tested, so that a future release
cannot change the results.

Measured on the 2-core dev box with uv 0.13.9 and Python 3.11.7:
* install (uv venv + uv pip install) takes 4.9 s with an empty uv cache, all
  60 wheels/sdists fetched from PyPI, and 3.6 s with a warm cache. The import
  test adds another 12-13 s, so the first call takes about 17 s in all;
* a re-run with the marker present takes 0.09 s (nothing is imported);
* the venv is 656 MB on disk (du), 640 MB of files, with 60 distributions.
  The largest are llvmlite, scipy, pandas, chemicals, CoolProp, numba and
  matplotlib, and it also has IPython, pyglet and openpyxl, which BioSTEAM
  pulls in;
* ``import biosteam`` takes 9-13 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_DIR = REPO_ROOT / ".cache" / "biosteam-venv"
MARKER_NAME = ".urbanmine-biosteam-ok"
PYTHON_VERSION = "3.11"

REQUIREMENTS = [
    "biosteam==2.51.19",
    "thermosteam==0.51.17",
    "numpy<2",
    # not needed today, but frozen at the tested versions (see docstring)
    "scipy==1.17.1",
    "pandas==3.0.6",
    "numba==0.60.0",
    "llvmlite==0.43.0",
    "thermo==0.6.1",
    "chemicals==1.5.2",
    "fluids==1.3.1",
    "flexsolve==0.5.10",
    "chaospy==4.3.15",
]

IMPORT_TEST = (
    "import numpy, thermosteam, biosteam; "
    "assert biosteam.__version__ == '2.51.19', biosteam.__version__; "
    "assert thermosteam.__version__ == '0.51.17', thermosteam.__version__; "
    "assert numpy.__version__.startswith('1.'), numpy.__version__; "
    "c = thermosteam.Chemical('NMC811', search_db=False, formula='LiNi0.8Mn0.1Co0.1O2', "
    "phase='s', default=True); "
    "assert abs(c.MW - 97.28) < 0.01, c.MW; "
    "print(biosteam.__version__, thermosteam.__version__, numpy.__version__)"
)


def _log(msg: str) -> None:
    print(f"[biosteam_env] {msg}", file=sys.stderr, flush=True)


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _uv_command() -> list[str]:
    uv = shutil.which("uv")
    if uv:
        return [uv]
    for py in (sys.executable, "python3"):
        try:
            subprocess.run(
                [py, "-m", "uv", "--version"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            return [py, "-m", "uv"]
        except (OSError, subprocess.CalledProcessError):
            continue
    raise RuntimeError("uv not found: install it (pip install uv) or put it on PATH")


def _marker_payload() -> dict:
    return {"requirements": REQUIREMENTS, "python": PYTHON_VERSION}


def _is_ready(venv: Path) -> bool:
    marker = venv / MARKER_NAME
    if not (marker.is_file() and _venv_python(venv).exists()):
        return False
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return all(data.get(k) == v for k, v in _marker_payload().items())


@contextlib.contextmanager
def _lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover (non-POSIX)
            pass
        yield


def _run(cmd: list, env=None) -> None:
    _log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, env=env, stdout=sys.stderr, stderr=sys.stderr)


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def ensure_env(venv: Path | str | None = None, force: bool = False) -> Path:
    """Create the BioSTEAM venv if needed; return the path of its python."""
    venv = Path(venv) if venv else VENV_DIR
    py = _venv_python(venv)
    if not force and _is_ready(venv):
        return py
    with _lock(venv.parent / (venv.name + ".lock")):
        if not force and _is_ready(venv):  # another process built it meanwhile
            return py
        t0 = time.perf_counter()
        if venv.exists():
            _log(f"removing incomplete/stale {venv}")
            shutil.rmtree(venv)
        uv = _uv_command()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME")
        }
        _run([*uv, "venv", "--python", PYTHON_VERSION, venv], env=env)
        _run([*uv, "pip", "install", "--python", py, *REQUIREMENTS], env=env)
        t1 = time.perf_counter()
        _log("import test (import biosteam takes ~10 s) ...")
        res = subprocess.run([str(py), "-c", IMPORT_TEST], env=env, text=True, capture_output=True)
        if res.returncode != 0:
            raise RuntimeError("BioSTEAM import test failed:\n" + res.stdout + res.stderr)
        t2 = time.perf_counter()
        info = dict(
            _marker_payload(),
            versions=res.stdout.strip().splitlines()[-1],
            install_seconds=round(t1 - t0, 1),
            import_test_seconds=round(t2 - t1, 1),
            size_mb=round(_dir_size(venv) / 1e6, 1),
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        (venv / MARKER_NAME).write_text(json.dumps(info, indent=1))
        _log(f"ready: {info}")
    return py


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Create the throwaway BioSTEAM venv and print its python."
    )
    ap.add_argument("--venv", default=None, help=f"venv directory (default {VENV_DIR})")
    ap.add_argument("--force", action="store_true", help="rebuild even if the marker is present")
    args = ap.parse_args(argv)
    print(ensure_env(args.venv, force=args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
