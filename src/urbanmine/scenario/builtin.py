"""The built-in scenarios (``urbanmine/scenario/shipped/<name>.toml``): names, text and model.

They are run settings (years, time limit, routes, rule sets, samples), not data: every number a
run uses comes from the data files, each with its source; so they live with the scenario code,
not under ``urbanmine/data``."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from urbanmine.errors import InputError
from urbanmine.scenario.model import Scenario, validate

DEFAULT = {"europe": "europe-2050", "china": "china-2050"}
"""The scenario ``urbanmine run`` uses for each region when given no file."""


def _folder() -> Path:
    return Path(str(resources.files("urbanmine.scenario").joinpath("shipped")))


def names() -> list[str]:
    """Names of the built-in scenarios."""
    return sorted(p.stem for p in _folder().glob("*.toml"))


def text(name: str) -> str:
    """The file of built-in scenario ``name``, as shipped (comments included)."""
    if name not in names():
        raise InputError(f"no built-in scenario {name!r}; built in: {', '.join(names())}")
    return (_folder() / f"{name}.toml").read_text(encoding="utf-8")


def load(name: str) -> Scenario:
    """Built-in scenario ``name``, validated."""
    return validate(tomllib.loads(text(name)), f"built-in scenario {name}")
